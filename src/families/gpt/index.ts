import type { ModelSpec, NetworkFamily, TrainingShape } from '../family';
import { settingsReaders } from '../settingsReaders';
import { buildGpt, type GptConfig, isGptModel } from './network';
import { GptStepper } from './stepper';

export { attentionMaps, type AttentionMaps } from './attentionMaps';
export { buildGpt, GPT_LAYERS, type GptConfig } from './network';
export { GptStepper } from './stepper';

/** A spec without sizes: 4 blocks of width 128, 4 heads, a context of 128 tokens; no dropout, untied. */
const DEFAULTS = { layers: 4, width: 128, heads: 4, context: 128, dropout: 0, tied: false, seed: 42 };
/** Each whole-number setting's largest value. */
const LIMITS = { layers: 48, width: 4096, heads: 64, context: 8192, seed: Number.MAX_SAFE_INTEGER };
/** The syntax, for `gennet models` and refusals. */
const SYNTAX = 'gpt[:LAYERSxWIDTH][:hHEADS][:ctxCONTEXT][:tied]';

/** Reads `gpt`, `gpt:LAYERSxWIDTH` and any of the parts `hHEADS`, `ctxCONTEXT`, `tied` after it. */
function parseSpec(spec: string): ModelSpec | null {
  const [name, ...parts] = spec.split(':');
  if (name !== 'gpt') return null;
  const bad = (why: string) =>
    new Error(`Cannot read the model "${spec}": ${why}. Use ${SYNTAX}, e.g. gpt:4x128:h4:ctx128.`);
  const settings: Record<string, number> = {};
  parts.forEach((part, i) => {
    const size = /^(\d+)x(\d+)$/.exec(part);
    const named = /^(h|ctx)(\d+)$/.exec(part);
    if (size !== null && i === 0) [settings.layers, settings.width] = [Number(size[1]), Number(size[2])];
    else if (named !== null && !((named[1] === 'h' ? 'heads' : 'context') in settings))
      settings[named[1] === 'h' ? 'heads' : 'context'] = Number(named[2]);
    else if (part === 'tied' && !('tied' in settings)) settings.tied = 1;
    else throw bad(`"${part}" is not a part it knows, or comes twice or out of place`);
  });
  for (const key of ['layers', 'width', 'heads', 'context'] as const) {
    const value = settings[key];
    if (value !== undefined && !(value >= 1 && value <= LIMITS[key])) throw bad(`its ${key} must be 1–${LIMITS[key]}`);
  }
  const { width, heads } = { ...DEFAULTS, ...settings };
  if (width % heads !== 0) throw bad(`a width of ${width} does not split into ${heads} heads`);
  return { family: 'gpt', label: spec, settings };
}

/**
 * Settings checked and complete (`defaults` fill what is not given: a new model's, or none for a saved one, whose
 * settings must all be there); `where` says where they came from.
 */
function checked(
  given: Readonly<Record<string, unknown>>,
  vocabSize: number,
  where: string,
  defaults: Partial<typeof DEFAULTS>,
): GptConfig {
  const unknown = Object.keys(given).filter((key) => !(key in DEFAULTS));
  if (unknown.length > 0)
    throw new Error(`A GPT has no setting ${unknown.join(', ')} (it has ${Object.keys(DEFAULTS).join(', ')})${where}.`);
  const merged: Record<string, unknown> = { ...defaults, ...given, vocabSize, family: 'gpt' };
  const config: Record<string, unknown> = { ...merged, tied: merged.tied === true || merged.tied === 1 };
  const limits: Record<string, number> = { ...LIMITS, vocabSize: Number.MAX_SAFE_INTEGER };
  for (const [key, most] of Object.entries(limits)) {
    const value = config[key] as number;
    const least = key === 'seed' ? 0 : 1;
    if (!(Number.isInteger(value) && value >= least && value <= most))
      throw new Error(`The GPT's ${key} must be a whole number from ${least} to ${most}, got ${value}${where}.`);
  }
  const { width, heads, dropout } = config as unknown as GptConfig;
  if (width % heads !== 0) throw new Error(`The GPT's width ${width} does not split into ${heads} heads${where}.`);
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1))
    throw new Error(`The GPT's dropout must be from 0 to below 1, got ${String(dropout)}${where}.`);
  return config as unknown as GptConfig; // every setting checked above
}

/**
 * The sizes of the network `buildGpt` builds. Each weight is read once per pass, so the tape keeps one gradient per
 * parameter. Per token and block tfjs-layers keeps the LayerNorms, the query–key–value, the attention's output and
 * projection, the MLP's 4× hidden layer before and after GELU and the residual sums (about 16 × width), and per head a
 * row of attention scores before and after the softmax (2 × seqLen); each with its gradient, plus the logits.
 * Estimated from the shapes, not yet measured.
 */
function trainingShape({ vocabSize, layers, width, heads, context, tied }: GptConfig, seqLen: number): TrainingShape {
  const block = 12 * width * width + 13 * width;
  const params =
    vocabSize * width + context * width + layers * block + 2 * width + (tied ? 0 : (width + 1) * vocabSize);
  return {
    params,
    tapeGradients: params,
    floatsPerToken: 2 * (layers * (16 * width + 2 * heads * seqLen) + 2 * width + 2 * vocabSize),
  };
}

/**
 * GPT (a decoder-only transformer, as nanoGPT): token and position embeddings, pre-LayerNorm blocks of causal
 * multi-head self-attention and a GELU MLP, a final LayerNorm and the logits. It reads at most its context of tokens:
 * training windows are that long by default, and generation keeps a key–value cache. It takes no conditions and no
 * encoder. It trains on the native engine (whole steps in C++: the pass, clipping and Adam) or the layers engine (tfjs ops
 * and automatic gradients, the reference).
 */
export const gptFamily: NetworkFamily<GptConfig> = {
  name: 'gpt',
  description: 'GPT: a decoder-only transformer (causal self-attention, GELU MLP, pre-LayerNorm; nanoGPT)',
  spec: { syntax: SYNTAX, example: 'gpt:4x128:h4:ctx128' },
  supports: { conditions: false, seq2seq: false, beam: true, page: true, export: false },
  engines: ['native', 'layers'],
  recordKeys: ['model'],
  training: 'steps',
  parseSpec,
  owns: isGptModel,
  ownsRecord: (record) => (record.model as { family?: unknown } | undefined)?.family === 'gpt',
  openStepper: (model, _engine, rows) => new GptStepper(model.network, model.config, rows),
  longestSequence: (spec) => Number(spec.settings.context ?? DEFAULTS.context),

  describe({ config, network }) {
    const tied = config.tied ? ', tied output' : '';
    return {
      kind: 'GPT',
      shape: `GPT, ${config.layers} blocks × width ${config.width}, ${config.heads} heads, context ${config.context}${tied}`,
      layers: config.layers,
      units: config.width,
      input: `embedding ${config.width}`,
      order: config.context,
      params: network.countParams(),
    };
  },

  ...settingsReaders(checked, DEFAULTS),

  build: buildGpt,
  trainingShape,
  stateLayout: () => null,
};

import type { ModelSpec, NetworkFamily, NetworkModel, TrainingShape } from '../family';
import { settingsReaders } from '../settingsReaders';
import { buildMlp, type MlpConfig } from './network';
import { MlpStepper } from './stepper';

export { buildMlp, type MlpConfig } from './network';
export { MlpStepper } from './stepper';

/** A spec without sizes: 8 tokens of context, 128 hidden units; embeddings of 64. */
const DEFAULTS = { context: 8, units: 128, embeddingDim: 64, seed: 42 };
/** Each setting's largest value. */
const LIMITS: Record<keyof typeof DEFAULTS, number> = {
  context: 64,
  units: 4096,
  embeddingDim: 4096,
  seed: Number.MAX_SAFE_INTEGER,
};

/** Reads `mlp`, `mlp:CONTEXT` or `mlp:CONTEXTxUNITS`. */
function parseSpec(spec: string): ModelSpec | null {
  const [name, size, extra] = spec.split(':');
  if (name !== 'mlp') return null;
  const match =
    size === undefined ? ['', String(DEFAULTS.context), String(DEFAULTS.units)] : /^(\d+)(?:x(\d+))?$/.exec(size);
  const [context, units] = [Number(match?.[1]), Number(match?.[2] ?? DEFAULTS.units)];
  if (
    extra !== undefined ||
    match === null ||
    !(context >= 1 && context <= LIMITS.context && units >= 1 && units <= LIMITS.units)
  ) {
    throw new Error(
      `Cannot read the model "${spec}": use mlp, mlp:CONTEXT or mlp:CONTEXTxUNITS (context ` +
        `1–${LIMITS.context} tokens, e.g. mlp:8x256).`,
    );
  }
  return { family: 'mlp', label: spec, settings: { context, units } };
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
): MlpConfig {
  const unknown = Object.keys(given).filter((key) => !(key in DEFAULTS));
  if (unknown.length > 0)
    throw new Error(
      `An MLP has no setting ${unknown.join(', ')} (it has ${Object.keys(DEFAULTS).join(', ')})${where}.`,
    );
  const config = { ...defaults, ...given, vocabSize, family: 'mlp' as const };
  for (const key of ['vocabSize', ...Object.keys(DEFAULTS)] as const) {
    const value = config[key as keyof typeof config] as number;
    const limit = key === 'vocabSize' ? Number.MAX_SAFE_INTEGER : LIMITS[key as keyof typeof LIMITS];
    if (!(Number.isInteger(value) && value >= (key === 'seed' ? 0 : 1) && value <= limit))
      throw new Error(
        `The MLP's ${key} must be a whole number from ${key === 'seed' ? 0 : 1} to ${limit}, got ${value}${where}.`,
      );
  }
  return config as MlpConfig; // every setting checked above
}

/**
 * The sizes of the network `buildMlp` builds: the embedding table, the hidden layer over `context` embeddings side by
 * side, the dense logits. Every position is computed at once, but the hidden kernel is read in `context` slices, and
 * a slice's gradient on a tape is the whole kernel's size. Per token tfjs-layers keeps about 2 floats per product of
 * a slot (`context × units`) and 10 per other value (the slots' inputs, the hidden layer, the logits; measured:
 * mlp:16x1024, mlp:32x1024).
 */
function trainingShape({ vocabSize, context, units, embeddingDim }: MlpConfig): TrainingShape {
  const hidden = context * embeddingDim * units;
  return {
    params: vocabSize * embeddingDim + hidden + units + (units + 1) * vocabSize,
    tapeGradients: context * hidden,
    floatsPerToken: 2 * context * units + 10 * (context * embeddingDim + 2 * units + vocabSize),
  };
}

/**
 * Bengio et al.'s (2003) neural probabilistic language model (`mlp:CONTEXTxUNITS`): the last CONTEXT tokens'
 * embeddings side by side → a tanh hidden layer → the next token's logits. No recurrent state: its steps keep a
 * window of tokens, so it takes no conditions and no encoder. It trains on the layers engine.
 */
export const mlpFamily: NetworkFamily<MlpConfig> = {
  name: 'mlp',
  description:
    "Bengio's neural probabilistic language model: the last N " +
    "tokens' embeddings → tanh layer → softmax (makemore's MLP)",
  spec: { syntax: 'mlp[:CONTEXT[xUNITS]]', example: 'mlp:8x128' },
  supports: { conditions: false, seq2seq: false, beam: true, page: true, export: false },
  engines: ['layers'],
  recordKeys: ['model'],
  training: 'steps',
  parseSpec,
  owns: (model): model is NetworkModel<MlpConfig> =>
    'network' in model && (model as NetworkModel).config.family === 'mlp',
  ownsRecord: (record) => (record.model as { family?: unknown } | undefined)?.family === 'mlp',
  openStepper: (model, _engine, rows) => new MlpStepper(model.network, model.config.context, rows),

  describe({ config, network }) {
    return {
      kind: 'MLP',
      shape: `MLP, ${config.context} tokens × embedding ${config.embeddingDim} → ${config.units} tanh units`,
      layers: 1,
      units: config.units,
      input: `embedding ${config.embeddingDim}`,
      order: config.context,
      params: network.countParams(),
    };
  },

  ...settingsReaders(checked, DEFAULTS),

  build: buildMlp,
  trainingShape,
  stateLayout: () => null,
};

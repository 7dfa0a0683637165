import { type BackendName, initBackend } from '../backend';
import type { EngineChoice } from '../engines';
import { engineOf, familyOf, isNetwork } from '../families';
import { loadGenerator, type LoadedModel } from '../io';
import { conditionState, conditionValues, sourceStarts } from '../model';
import { checkPrompts } from '../sample';
import type { Log } from './run';

/** What {@link loadForSampling} loads: a model folder, where it runs, and the values that condition its generations. */
export interface SamplingModelOptions {
  /** The model folder. */
  model: string;
  /** The TensorFlow.js backend (default: GN_BACKEND or auto). */
  backend?: BackendName | 'auto';
  /** The engine asked for (`auto`: the fastest that runs the model). */
  engine: EngineChoice;
  /** A conditional model's value of each condition, by column (all of them required). */
  condition?: Record<string, string>;
  /** A sequence-to-sequence model's source text to decode (required for one, not blank; refused for others). */
  source?: string;
  /** Refuse prompts (and a source) with tokens the model never saw, instead of warning through `log`. */
  strict?: boolean;
}

/**
 * Loads `options.model` on the chosen backend and picks the engine that will run it; for a conditional model, the
 * state its encoder gives the `condition` values (all of them required), for a sequence-to-sequence model the state
 * its encoder gives `source`: every generation starts from it. `prompts` are checked against the model's vocabulary.
 * A refusal releases what was loaded.
 */
export async function loadForSampling(options: SamplingModelOptions, prompts: readonly string[], log: Log) {
  const backend = await initBackend(options.backend);
  const loaded = await loadGenerator(options.model);
  try {
    return withStartState(loaded, options, prompts, log, backend);
  } catch (error) {
    if (isNetwork(loaded)) loaded.network.dispose();
    loaded.conditions?.encoder.dispose();
    loaded.source?.encoder.dispose();
    throw error;
  }
}

/** The checks of {@link loadForSampling} on a loaded model, and the state every generation starts from. */
function withStartState(
  loaded: LoadedModel,
  options: SamplingModelOptions,
  prompts: readonly string[],
  log: Log,
  backend: BackendName,
) {
  const family = familyOf(loaded);
  if (family.engines.length === 0 && (options.engine !== 'auto' || options.backend !== undefined)) {
    throw new Error(
      `"${options.model}" holds a model of the ${family.name} family, which runs on its own (no engine, no ` +
        'backend); drop --engine and --backend.',
    );
  }
  const { conditions, source } = loaded;
  if (conditions === null && options.condition !== undefined)
    throw new Error(`"${options.model}" is not a conditional model; drop --condition.`);
  if (source === null && options.source !== undefined)
    throw new Error(`"${options.model}" is not a sequence-to-sequence model; drop --source.`);
  if (source !== null && options.source === undefined)
    throw new Error(
      `"${options.model}" is a sequence-to-sequence model (it ` +
        `reads ${source.vocab.unit}s); give --source TEXT to decode.`,
    );
  if (source !== null && options.source!.trim() === '')
    throw new Error(
      `The source to decode is empty; "${options.model}" translates a text of ${source.vocab.unit}s: give one ` +
        '(--source TEXT).',
    );
  const values = conditions === null ? null : conditionValues(conditions.config, options.condition ?? {});
  if (source !== null) checkPrompts(source.vocab, [options.source!], options.strict ?? false, log);
  const initialState =
    conditions !== null
      ? conditionState(conditions.encoder, conditions.config, values!)
      : source !== null
        ? sourceStarts(source, [options.source!])[0]
        : undefined;
  checkPrompts(loaded.vocab, prompts, options.strict ?? false, log);
  const given =
    conditions === null
      ? undefined
      : Object.fromEntries(conditions.config.conditions.map((c, j) => [c.column, values![j]]));
  return {
    backend,
    loaded,
    engine: engineOf(loaded, options.engine) ?? family.name,
    initialState,
    conditions: given,
    seq2seq: source !== null,
  };
}

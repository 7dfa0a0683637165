import type { Corpus } from '../corpus';
import type { NetworkConfig, NetworkFamily } from '../families';
import type { SavedConditions } from '../io';
import { buildConditionEncoder, conditionIds, conditionsOf } from '../model';
import { listSome } from '../messages';

/** Size of each condition value's learned vector when a run does not choose it. */
export const DEFAULT_CONDITION_DIM = 16;

/** A conditional run's encoder and settings, with what it trains on: the condition ids of every corpus document. */
export interface RunConditions extends SavedConditions {
  /** `[documents, conditions]` row-major, in the corpus's document order (see `conditionIds`). */
  documentIds: Int32Array;
  /** The commonest combination of values among the documents: the conditions of the samples shown while training. */
  commonest: string[];
}

/**
 * The conditions of a run on `corpus` (loaded with its condition columns), or null for a corpus loaded without any:
 * a new encoder of `dim`-sized vectors for a network of `family` and `config` (its state: a family without one is
 * refused), or when `resuming` the `saved` one — which must exist, name the same conditions and know every document's
 * values.
 */
export function conditionsForRun(
  corpus: Corpus,
  family: NetworkFamily,
  config: NetworkConfig,
  dim: number,
  saved: SavedConditions | null,
  resuming = false,
): RunConditions | null {
  const documents = corpus.conditions;
  if (documents === null) {
    if (saved !== null)
      throw new Error(
        'The model is conditional, but its run names no condition columns ' +
          '(damaged config.json?). Re-train or restore the model folder.',
      );
    return null;
  }
  const layout = family.stateLayout(config);
  if (layout === null || !family.supports.conditions) {
    throw new Error(
      `A ${family.name} model has no state for conditions to set; drop ` +
        '--condition, or train a recurrent network (e.g. --model lstm).',
    );
  }
  if (resuming && saved === null)
    throw new Error(
      'The run names condition columns, but the model has no condition ' +
        'encoder (damaged model folder?). Re-train or restore it.',
    );
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`The condition vector size must be a whole number ≥ 1, got ${dim}.`);
  let encoderConfig = saved?.config;
  if (encoderConfig === undefined)
    encoderConfig = { conditions: conditionsOf(documents.names, documents.values), dim, seed: config.seed };
  else if (encoderConfig.conditions.map((c) => c.column).join('\u0000') !== documents.names.join('\u0000')) {
    throw new Error(
      `The model's conditions (${listSome(encoderConfig.conditions.map((c) => c.column))}) are not the ` +
        `run's (${listSome(documents.names)}) (damaged config.json?).`,
    );
  }
  const documentIds = conditionIds(encoderConfig, documents.values);
  const encoder = saved?.encoder ?? buildConditionEncoder(encoderConfig, layout);
  return { config: encoderConfig, encoder, documentIds, commonest: commonestRow(documents.values) };
}

/** The row that occurs most often (the first of them on a tie). */
function commonestRow(rows: readonly (readonly string[])[]): string[] {
  const counts = new Map<string, { row: readonly string[]; count: number }>();
  for (const row of rows) {
    const key = row.join('\u0000');
    const entry = counts.get(key) ?? counts.set(key, { row, count: 0 }).get(key)!;
    entry.count += 1;
  }
  let best = { row: rows[0], count: 0 };
  for (const entry of counts.values()) if (entry.count > best.count) best = entry;
  return [...best.row];
}

import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../random';
import { TokenEmbedding } from './layers';
import type { StateLayout } from './recurrentState';
import { listSome, printable, quoted } from '../messages';

/** One categorical condition: a corpus column and the values a model knows, in id order. */
export interface Condition {
  column: string;
  values: string[];
}

/** Everything needed to rebuild a condition encoder; saved with a conditional model. */
export interface ConditionEncoderConfig {
  conditions: Condition[];
  /** Size of each condition value's learned vector. */
  dim: number;
  /** Seed of the encoder's initial weights. */
  seed: number;
}

/**
 * The one-to-many pattern's first half: each condition value has a learned vector; the vectors of a row's values,
 * side by side, go through one dense tanh layer to the initial state of every recurrent layer of a generator.
 * Input: `[batch, conditions]` ids from {@link conditionIds}; output `[batch, parts·units]` — row b holds its
 * state's arrays one after another (see {@link rowsToState}).
 */
export function buildConditionEncoder(config: ConditionEncoderConfig, layout: StateLayout): tf.LayersModel {
  const count = config.conditions.length;
  if (count === 0) throw new Error('A condition encoder needs at least one condition.');
  const empty = config.conditions.find((c) => c.values.length === 0);
  if (empty !== undefined) throw new Error(`Condition ${quoted(empty.column)} has no values.`);
  const input = tf.input({ shape: [count], dtype: 'int32', name: 'condition_ids' });
  const totalValues = config.conditions.reduce((n, c) => n + c.values.length, 0);
  const vectors = new TokenEmbedding({
    inputDim: totalValues,
    outputDim: config.dim,
    seed: deriveSeed(config.seed, 'conditions'),
    name: 'condition_vectors',
  }).apply(input) as tf.SymbolicTensor;
  const joined = tf.layers.flatten({ name: 'condition_join' }).apply(vectors) as tf.SymbolicTensor;
  const state = tf.layers
    .dense({
      units: layout.parts * layout.units,
      activation: 'tanh',
      name: 'initial_state',
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, 'initial_state') }),
    })
    .apply(joined) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: state, name: 'condition_encoder' });
}

/**
 * The encoder input for rows of condition values (`rows[b][j]` = row b's value of condition j): each value's id,
 * offset so that all conditions share one table. Throws naming an unknown value and listing the known ones.
 */
export function conditionIds(config: ConditionEncoderConfig, rows: readonly (readonly string[])[]): Int32Array {
  const { conditions } = config;
  const offsets = conditions.map((_, j) => conditions.slice(0, j).reduce((n, c) => n + c.values.length, 0));
  const indexes = conditions.map((c) => new Map(c.values.map((value, i) => [value, i])));
  const ids = new Int32Array(rows.length * conditions.length);
  rows.forEach((row, b) => {
    if (row.length !== conditions.length) {
      throw new Error(
        `Each row needs one value per condition (${listSome(conditions.map((c) => c.column))}), got ${row.length}.`,
      );
    }
    row.forEach((value, j) => {
      const id = indexes[j].get(value);
      if (id === undefined) {
        throw new Error(
          `Unknown value ${quoted(value)} for condition ${quoted(conditions[j].column)}; the model knows: ` +
            `${listSome(conditions[j].values)}.`,
        );
      }
      ids[b * conditions.length + j] = offsets[j] + id;
    });
  });
  return ids;
}

/** The initial state (one row, the engines' layout) that `encoder` gives one row of condition values. */
export function conditionState(
  encoder: tf.LayersModel,
  config: ConditionEncoderConfig,
  values: readonly string[],
): Float32Array {
  const ids = conditionIds(config, [values]);
  // One row of the encoder's output is already a one-row state (see `rowsToState`).
  return tf.tidy(
    () => (encoder.apply(tf.tensor2d(ids, [1, ids.length], 'int32')) as tf.Tensor).dataSync() as Float32Array,
  );
}

/** How many conditions an encoder built by {@link buildConditionEncoder} takes per row. */
export function conditionCount(encoder: tf.LayersModel): number {
  return encoder.inputs[0].shape[1]!;
}

/**
 * The conditions a model learns from its documents: `names[j]` with the distinct values of `values[d][j]`, sorted
 * (numbers in numeric order: `800s` before `1790s`), so that the same corpus always gives the same ids.
 */
export function conditionsOf(names: readonly string[], values: readonly (readonly string[])[]): Condition[] {
  const order = new Intl.Collator('en', { numeric: true }).compare;
  return names.map((column, j) => ({ column, values: [...new Set(values.map((row) => row[j]))].sort(order) }));
}

/**
 * One value per condition, in the model's order, from values given by name (`{ party: 'Whig' }`). Each value is
 * trimmed of the white space around it, as training trims the corpus's cells (`party= Whig ` is `Whig`). A condition
 * grouped at training (`year:decade`) may be named by its column alone (`year`). Throws naming the conditions
 * left out (with their known values), a name the model does not have or an empty value; an unknown value is refused
 * by {@link conditionIds}.
 */
export function conditionValues(config: ConditionEncoderConfig, given: Readonly<Record<string, string>>): string[] {
  const { conditions } = config;
  const byName = (name: string) => {
    const exact = conditions.findIndex((c) => c.column === name);
    if (exact >= 0) return exact;
    const grouped = conditions.flatMap((c, j) => (c.column.split(':')[0] === name ? [j] : []));
    if (grouped.length > 1)
      throw new Error(`"${name}" names ${grouped.map((j) => conditions[j].column).join(' and ')}; give the full name.`);
    return grouped[0] ?? -1;
  };
  const values: (string | undefined)[] = conditions.map(() => undefined);
  for (const [name, value] of Object.entries(given)) {
    const j = byName(name);
    if (j < 0)
      throw new Error(
        `The model has no condition ${quoted(name)}; its conditions: ${listSome(conditions.map((c) => c.column))}.`,
      );
    if (values[j] !== undefined) throw new Error(`Condition ${quoted(conditions[j].column)} is given twice.`);
    values[j] = value.trim();
    if (values[j] === '')
      throw new Error(
        `Condition ${quoted(conditions[j].column)} is given an empty value; give one the model knows ` +
          `(${listSome(conditions[j].values)}).`,
      );
  }
  const missing = conditions.filter((_, j) => values[j] === undefined);
  if (missing.length > 0) {
    throw new Error(
      'This model generates under conditions; give ' +
        `${missing.map((c) => `${printable(c.column, 'inline')}=VALUE (one of: ${listSome(c.values)})`).join('; ')}.`,
    );
  }
  conditionIds(config, [values as string[]]); // an unknown value fails here, listing the known ones
  return values as string[];
}

/** A condition value's learned vector, as the encoder holds it. */
export interface ConditionVector {
  column: string;
  value: string;
  vector: Float32Array;
}

/** Every condition value's learned vector (read from the encoder's table), conditions in order, values in id order. */
export function conditionVectors(encoder: tf.LayersModel, config: ConditionEncoderConfig): ConditionVector[] {
  const table = encoder.getLayer('condition_vectors').getWeights()[0];
  const data = table.dataSync() as Float32Array;
  const rows = config.conditions.flatMap((c) => c.values.map((value) => ({ column: c.column, value })));
  if (table.shape[0] !== rows.length || table.shape[1] !== config.dim) {
    throw new Error(
      `The encoder's table holds ${table.shape[0]}×${table.shape[1]} ` +
        `values; the conditions need ${rows.length}×${config.dim}.`,
    );
  }
  return rows.map((row, id) => ({ ...row, vector: data.slice(id * config.dim, (id + 1) * config.dim) }));
}

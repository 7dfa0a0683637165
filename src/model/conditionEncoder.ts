import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../random';
import { TokenEmbedding } from './layers';
import type { StateLayout } from './recurrentState';

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
 * Input: `[batch, conditions]` ids from {@link conditionIds}; output `[batch, parts·units]` — row b holds its state's
 * arrays one after another (see {@link rowsToState}).
 */
export function buildConditionEncoder(config: ConditionEncoderConfig, layout: StateLayout): tf.LayersModel {
  const count = config.conditions.length;
  if (count === 0) throw new Error('A condition encoder needs at least one condition.');
  const empty = config.conditions.find((c) => c.values.length === 0);
  if (empty !== undefined) throw new Error(`Condition "${empty.column}" has no values.`);
  const input = tf.input({ shape: [count], dtype: 'int32', name: 'condition_ids' });
  const totalValues = config.conditions.reduce((n, c) => n + c.values.length, 0);
  const vectors = new TokenEmbedding({ inputDim: totalValues, outputDim: config.dim, seed: deriveSeed(config.seed, 'conditions'), name: 'condition_vectors' })
    .apply(input) as tf.SymbolicTensor;
  const joined = tf.layers.flatten({ name: 'condition_join' }).apply(vectors) as tf.SymbolicTensor;
  const state = tf.layers.dense({
    units: layout.parts * layout.units,
    activation: 'tanh',
    name: 'initial_state',
    kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, 'initial_state') }),
  }).apply(joined) as tf.SymbolicTensor;
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
      throw new Error(`Each row needs one value per condition (${conditions.map((c) => c.column).join(', ')}), got ${row.length}.`);
    }
    row.forEach((value, j) => {
      const id = indexes[j].get(value);
      if (id === undefined) {
        throw new Error(`Unknown value "${value}" for condition "${conditions[j].column}"; the model knows: ${conditions[j].values.join(', ')}.`);
      }
      ids[b * conditions.length + j] = offsets[j] + id;
    });
  });
  return ids;
}

/** The initial state (one row, the engines' layout) that `encoder` gives one row of condition values. */
export function conditionState(encoder: tf.LayersModel, config: ConditionEncoderConfig, values: readonly string[]): Float32Array {
  const ids = conditionIds(config, [values]);
  // One row of the encoder's output is already a one-row state (see `rowsToState`).
  return tf.tidy(() => (encoder.apply(tf.tensor2d(ids, [1, ids.length], 'int32')) as tf.Tensor).dataSync() as Float32Array);
}

/** How many conditions an encoder built by {@link buildConditionEncoder} takes per row. */
export function conditionCount(encoder: tf.LayersModel): number {
  return encoder.inputs[0].shape[1]!;
}

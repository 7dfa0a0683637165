import * as tf from '@tensorflow/tfjs';
import { type EncodedRows, fastEncoderOutputs } from './fast/encoder';
import { encoderParts } from './networkParts';

/**
 * The encoder of a conditional or sequence-to-sequence model as training and generation run it: ids per row
 * (condition values, or a padded source) → the rows of the decoder's initial state `[rows, parts·units]`.
 */
export interface Encoder {
  /** The encoder network (its variables are what it learns). */
  readonly network: tf.LayersModel;
  /** Whether it gives a memory for attention (a source encoder of a decoder with attention). */
  readonly hasMemory: boolean;
  /**
   * The initial-state rows for `ids` (`[rows, ids per row]`) and, when it has one, the memory, differentiable in the
   * network's variables.
   */
  encode(ids: Int32Array, rows: number, training: boolean): EncodedRows;
}

/**
 * How `network` runs as an encoder: a source encoder (masked embedding → recurrent layers) on the fast engine's cell
 * ops, its rows grouped by source length (each group runs only its length: the masked tfjs-layers encoder's numbers at
 * a fraction of the cost) — whatever engine runs the decoder; any other encoder (a condition encoder) through
 * tfjs-layers.
 */
export function encoderOf(network: tf.LayersModel): Encoder {
  const parts = encoderParts(network);
  const hasMemory = network.outputs.length > 1;
  if (hasMemory && parts === null)
    throw new Error(`Encoder "${network.name}" gives a memory but is not a source encoder gennet knows how to run.`);
  return {
    network,
    hasMemory,
    encode: (ids, rows, training) =>
      parts !== null
        ? fastEncoderOutputs(parts, ids, rows, hasMemory, training)
        : {
            states: network.apply(tf.tensor2d(ids, [rows, ids.length / rows], 'int32'), { training }) as tf.Tensor2D,
            memory: null,
            lengths: new Int32Array(rows), // no memory: nothing to measure
          },
  };
}

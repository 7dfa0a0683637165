import * as tf from '@tensorflow/tfjs';
import { sourceLengths } from '../../data/sourceData';
import { linear, lookupRows } from '../../model';
import { deriveSeed } from '../../random';
import type { EncoderLayerParts, EncoderParts, RecurrentPart } from '../networkParts';

/** What a source encoder gives for a batch of rows. */
export interface EncodedRows {
  /** `[rows, parts·units]`: per row each layer's final h, then c for LSTM. */
  states: tf.Tensor2D;
  /**
   * `[rows, length, units]` the top layer's outputs at each source position (`length`: the longest source of the
   * rows; zeros after a row's end), when asked for; else null.
   */
  memory: tf.Tensor3D | null;
  /** Each row's source length (tokens before its padding); zeros from an encoder of conditions, which has no memory. */
  lengths: Int32Array;
}

/**
 * A source encoder's final states (and with `withMemory` its outputs at every position), computed with the fast
 * engine's cell ops from the encoder's own variables (gradients reach them): the rows are grouped by source length,
 * and each group runs exactly its length — what the masked tfjs-layers encoder computes, at a fraction of the cost.
 * @param ids `[rows, maxLen]` source ids, padded with `<pad>` (0) at the end.
 * @param training applies the dropout layers' masks (one training call of each; its seed's masks drawn per group).
 */
export function fastEncoderOutputs(
  parts: EncoderParts,
  ids: Int32Array,
  rows: number,
  withMemory: boolean,
  training = false,
): EncodedRows {
  const maxLen = ids.length / rows;
  const lengths = sourceLengths(ids, rows);
  const longest = Math.max(0, ...lengths);
  const groups = new Map<number, number[]>();
  lengths.forEach((length, r) => {
    const group = groups.get(length);
    if (group === undefined) groups.set(length, [r]);
    else group.push(r);
  });
  const seeds = parts.recurrent.map((layer) => (training ? (layer.dropout?.nextSeed() ?? null) : null));
  const position = new Int32Array(rows);
  const outputs: { states: tf.Tensor2D; memory: tf.Tensor3D | null }[] = [];
  let next = 0;
  for (const [length, members] of groups) {
    members.forEach((r) => (position[r] = next++));
    outputs.push(groupOutputs(parts, ids, maxLen, { length, members, seeds }, withMemory ? longest : null));
  }
  const ordered = (tensors: tf.Tensor[]) => {
    const joined = tensors.length === 1 ? tensors[0] : tf.concat(tensors, 0);
    const flat = tf.reshape(joined, [rows, -1]);
    return tf.reshape(lookupRows(flat, tf.tensor1d(position, 'int32')), joined.shape);
  };
  return {
    states: ordered(outputs.map((o) => o.states)) as tf.Tensor2D,
    memory: withMemory ? (ordered(outputs.map((o) => o.memory!)) as tf.Tensor3D) : null,
    lengths,
  };
}

/**
 * One direction of an encoder layer over time-major inputs `[length·batch, in]` (a backward one reads them last step
 * first): its outputs `[length·batch, units]` in the inputs' time order, and its final states (h, then c for LSTM).
 */
function direction(
  part: RecurrentPart,
  x: tf.Tensor2D,
  length: number,
  batch: number,
  backward: boolean,
): { outputs: tf.Tensor2D; finals: tf.Tensor2D[] } {
  const reversed = (values: tf.Tensor2D) =>
    tf.reshape<tf.Rank.R2>(tf.reverse(tf.reshape(values, [length, batch, -1]), 0), values.shape);
  const input = backward ? reversed(x) : x;
  const projected = tf.add<tf.Tensor2D>(linear(input, part.kernel.read() as tf.Tensor2D), part.bias.read());
  const out = part.cell.sequence(
    projected,
    part.recurrentKernel.read() as tf.Tensor2D,
    { steps: length, batch },
    part.gate,
    [],
    true,
  );
  const stepRows = length * batch;
  const outputs = tf.slice(out, [0, 0], [stepRows, -1]);
  const finals = [tf.slice(out, [stepRows - batch, 0], [batch, -1])]; // h after the last step
  for (let k = 1; k < part.cell.states; k++) finals.push(tf.slice(out, [stepRows + (k - 1) * batch, 0], [batch, -1]));
  return { outputs: backward ? reversed(outputs) : outputs, finals };
}

/** The width of a layer's outputs and of each of its state arrays: its directions' units together. */
function layerUnits(layer: EncoderLayerParts): number {
  return [layer.forward, layer.backward].reduce((n, part) => n + (part?.recurrentKernel.shape[0] ?? 0), 0);
}

/** Rows whose sources all have `length` tokens, and each encoder layer's dropout seed for this call (null: none). */
interface RowGroup {
  length: number;
  members: number[];
  seeds: (number | null)[];
}

/**
 * The final states of a group's rows (their recurrent layers run `length` steps; a bidirectional one both ways, its
 * directions' outputs and states side by side; a layer's outputs then pass its dropout), and with `memoryLength` the
 * top layer's outputs `[rows, memoryLength, units]` (zeros after `length`).
 */
function groupOutputs(
  parts: EncoderParts,
  ids: Int32Array,
  maxLen: number,
  { length, members, seeds }: RowGroup,
  memoryLength: number | null,
): { states: tf.Tensor2D; memory: tf.Tensor3D | null } {
  const batch = members.length;
  const width = parts.recurrent.reduce((n, layer) => n + layer.forward.cell.states * layerUnits(layer), 0);
  const top = layerUnits(parts.recurrent[parts.recurrent.length - 1]);
  if (length === 0) {
    // an empty source: the zero state, as the masked encoder gives, and nothing to attend to
    return {
      states: tf.zeros([batch, width]),
      memory: memoryLength === null ? null : tf.zeros([batch, memoryLength, top]),
    };
  }
  const tokens = new Int32Array(length * batch); // time-major
  for (let t = 0; t < length; t++) members.forEach((r, b) => (tokens[t * batch + b] = ids[r * maxLen + t]));
  let x = lookupRows(parts.embedding.read(), tf.tensor1d(tokens, 'int32')) as tf.Tensor2D;
  const finals: tf.Tensor2D[] = [];
  parts.recurrent.forEach((layer, i) => {
    const forward = direction(layer.forward, x, length, batch, false);
    if (layer.backward === null) {
      x = forward.outputs;
      finals.push(...forward.finals);
    } else {
      const backward = direction(layer.backward, x, length, batch, true);
      x = tf.concat([forward.outputs, backward.outputs], 1);
      forward.finals.forEach((state, k) => finals.push(tf.concat([state, backward.finals[k]], 1)));
    }
    const seed = seeds[i];
    if (seed !== null)
      x = tf.dropout(x, layer.dropout!.rate, undefined, deriveSeed(seed, `rows of ${length}`)) as tf.Tensor2D;
  });
  const states = tf.concat(finals, 1);
  if (memoryLength === null) return { states, memory: null };
  const batchMajor = tf.transpose(tf.reshape(x, [length, batch, top]), [1, 0, 2]);
  const memory = tf.pad(batchMajor, [
    [0, 0],
    [0, memoryLength - length],
    [0, 0],
  ]) as tf.Tensor3D;
  return { states, memory };
}

import * as tf from '@tensorflow/tfjs';
import { linear, lookupRows } from '../../model';
import type { EncoderParts } from '../networkParts';

/**
 * A source encoder's final states `[rows, parts·units]` (per row: each layer's h, then c for LSTM), computed with the
 * fast engine's cell ops from the encoder's own variables (gradients reach them): the rows are grouped by source
 * length, and each group runs exactly its length — what the masked tfjs-layers encoder computes, at a fraction of
 * the cost.
 * @param ids `[rows, maxLen]` source ids, padded with `<pad>` (0) at the end.
 */
export function fastEncoderStates(parts: EncoderParts, ids: Int32Array, rows: number): tf.Tensor2D {
  const maxLen = ids.length / rows;
  const groups = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) {
    let length = maxLen;
    while (length > 0 && ids[r * maxLen + length - 1] === 0) length -= 1;
    const group = groups.get(length);
    if (group === undefined) groups.set(length, [r]);
    else group.push(r);
  }
  const position = new Int32Array(rows);
  const states: tf.Tensor2D[] = [];
  let next = 0;
  for (const [length, members] of groups) {
    members.forEach((r) => (position[r] = next++));
    states.push(groupStates(parts, ids, maxLen, length, members));
  }
  const joined = states.length === 1 ? states[0] : tf.concat(states, 0);
  return lookupRows(joined, tf.tensor1d(position, 'int32')) as tf.Tensor2D;
}

/** The final states of rows whose sources all have `length` tokens: their recurrent layers run `length` steps. */
function groupStates(
  parts: EncoderParts,
  ids: Int32Array,
  maxLen: number,
  length: number,
  members: number[],
): tf.Tensor2D {
  const batch = members.length;
  const width = parts.recurrent.reduce(
    (n, part) => n + part.cell.states * (part.recurrentKernel.shape[0] as number),
    0,
  );
  if (length === 0) return tf.zeros([batch, width]); // an empty source: the zero state, as the masked encoder gives
  const tokens = new Int32Array(length * batch); // time-major
  for (let t = 0; t < length; t++) members.forEach((r, b) => (tokens[t * batch + b] = ids[r * maxLen + t]));
  let x = lookupRows(parts.embedding.read(), tf.tensor1d(tokens, 'int32')) as tf.Tensor2D;
  const finals: tf.Tensor2D[] = [];
  for (const part of parts.recurrent) {
    const projected = tf.add<tf.Tensor2D>(linear(x, part.kernel.read() as tf.Tensor2D), part.bias.read());
    const out = part.cell.sequence(
      projected,
      part.recurrentKernel.read() as tf.Tensor2D,
      { steps: length, batch },
      part.gate,
      [],
      true,
    );
    const stepRows = length * batch;
    x = tf.slice(out, [0, 0], [stepRows, -1]);
    finals.push(tf.slice(out, [stepRows - batch, 0], [batch, -1])); // h after the last step
    for (let k = 1; k < part.cell.states; k++) finals.push(tf.slice(out, [stepRows + (k - 1) * batch, 0], [batch, -1]));
  }
  return tf.concat(finals, 1);
}

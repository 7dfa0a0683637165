import * as tf from '@tensorflow/tfjs';

/**
 * Multiplies `count` rows held in a plain array (`rows`, row-major `[count, matrix rows]`) by `matrix` and returns
 * the product as a plain array `[count, matrix columns]`: one step of a recurrence whose elementwise math runs in
 * JavaScript while the matMul runs on the backend.
 */
export function multiplyRows(rows: Float32Array, count: number, matrix: tf.Tensor2D): Float32Array {
  const inner = matrix.shape[0];
  const left = tf.tensor2d(rows, [count, inner]);
  const product = tf.matMul(left, matrix);
  // The product is disposed right away, so the array dataSync returns (a copy, or on cpu the tensor's own) is ours.
  const values = product.dataSync() as Float32Array;
  left.dispose();
  product.dispose();
  return values;
}

/**
 * `aᵀ · b` for `a` `[rows, m]` and `b` `[rows, n]` (a weight gradient summed over rows), with an explicit transpose:
 * on wasm a matMul with a transpose flag is 10–20× slower than a transpose followed by a plain matMul.
 */
export function transposedTimes(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.transpose(a), b));
}

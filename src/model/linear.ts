import * as tf from '@tensorflow/tfjs';
import { transposedTimes } from './cells/rowMath';

/**
 * `x · w` for `x` `[rows, in]` and `w` `[in, out]`, with a gradient that transposes explicitly and then runs plain
 * matMuls: on wasm a matMul with a transpose flag (what tf's own gradient uses) is 10–20× slower than a transpose
 * followed by a plain matMul.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad((a, b, save) => {
    (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
    return {
      value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [input, weights]: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(weights as tf.Tensor2D)),
        transposedTimes(input as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  });
  return product(x, w) as tf.Tensor2D;
}

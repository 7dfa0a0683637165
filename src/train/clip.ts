import * as tf from '@tensorflow/tfjs';

/**
 * Scales gradients down so that their global L2 norm is at most `maxNorm` (as `torch.nn.utils.clip_grad_norm_`).
 * Returns new tensors; the caller disposes both maps.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const sumSquares = tf.addN(names.map((name) => tf.sum(tf.square(grads[name]))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(tf.sqrt(sumSquares), 1e-6)));
    const clipped: tf.NamedTensorMap = {};
    for (const name of names) clipped[name] = tf.mul(grads[name], scale);
    return clipped;
  });
}

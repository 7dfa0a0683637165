import * as tf from '@tensorflow/tfjs';

/**
 * Mean negative log-likelihood per target token, in nats.
 * @param logits `[batch, time, vocab]` unnormalised scores.
 * @param targets `[batch, time]` token ids.
 * @param mask `[batch, time]` 1 for real tokens, 0 for padding; null when every position counts.
 * @param labelSmoothing ε: scored against (1 − ε)·one-hot + ε/vocab instead of the one-hot (0: plain).
 */
export function sequenceLoss(
  logits: tf.Tensor,
  targets: tf.Tensor,
  mask: tf.Tensor | null,
  labelSmoothing = 0,
): tf.Scalar {
  return tf.tidy(() => {
    const vocabSize = logits.shape[logits.shape.length - 1];
    const logProbs = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(targets, vocabSize);
    const smoothed =
      labelSmoothing === 0 ? oneHot : tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / vocabSize);
    const nll = tf.neg(tf.sum(tf.mul(logProbs, smoothed), -1));
    if (mask === null) return tf.mean<tf.Scalar>(nll);
    return tf.div<tf.Scalar>(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1));
  });
}

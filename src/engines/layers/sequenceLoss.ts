import * as tf from '@tensorflow/tfjs';

/**
 * Mean negative log-likelihood per target token, in nats.
 * @param logits `[batch, time, vocab]` unnormalised scores.
 * @param targets `[batch, time]` token ids.
 * @param mask `[batch, time]` 1 for real tokens, 0 for padding; null when every position counts.
 */
export function sequenceLoss(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor | null): tf.Scalar {
  return tf.tidy(() => {
    const vocabSize = logits.shape[logits.shape.length - 1];
    const logProbs = tf.logSoftmax(logits);
    const nll = tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(targets, vocabSize)), -1));
    if (mask === null) return tf.mean<tf.Scalar>(nll);
    return tf.div<tf.Scalar>(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1));
  });
}

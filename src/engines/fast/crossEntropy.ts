import * as tf from '@tensorflow/tfjs';

/**
 * Mean softmax cross-entropy (nats) of `logits` `[rows, classes]` against integer `targets` (one per row), weighted
 * by `weights` (1 for real tokens, 0 for padding; null = all 1), fused in one pass: the forward pass keeps the
 * softmax, the gradient is `(softmax − smoothed) · weight / Σ weights`, where `smoothed` is the target distribution
 * (1 − labelSmoothing)·one-hot + labelSmoothing / classes (the one-hot itself for 0). No `[rows, classes]` one-hot
 * is built.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  targets: Int32Array,
  weights: Float32Array | null,
  labelSmoothing = 0,
): tf.Scalar {
  const [rows, classes] = logits.shape;
  if (targets.length !== rows) throw new Error(`softmaxCrossEntropy: ${targets.length} targets for ${rows} rows.`);
  const spread = labelSmoothing / classes; // each class's share of the smoothed targets' uniform part
  const loss = tf.customGrad((x) => {
    const scores = (x as tf.Tensor).dataSync() as Float32Array;
    const probabilities = new Float32Array(scores.length);
    let total = 0;
    let weightSum = 0;
    for (let r = 0; r < rows; r++) {
      const weight = weights === null ? 1 : weights[r];
      const offset = r * classes;
      let max = -Infinity;
      for (let k = 0; k < classes; k++) max = Math.max(max, scores[offset + k]);
      let scoreSum = 0; // what the smoothed targets' uniform part scores
      if (labelSmoothing !== 0) for (let k = 0; k < classes; k++) scoreSum += scores[offset + k];
      let sum = 0;
      for (let k = 0; k < classes; k++) {
        const e = Math.exp(scores[offset + k] - max);
        probabilities[offset + k] = e;
        sum += e;
      }
      for (let k = 0; k < classes; k++) probabilities[offset + k] /= sum;
      weightSum += weight;
      const target = scores[offset + targets[r]];
      const scored = labelSmoothing === 0 ? target : (1 - labelSmoothing) * target + spread * scoreSum;
      if (weight !== 0) total += weight * (Math.log(sum) + max - scored);
    }
    const scale = 1 / Math.max(weightSum, 1);
    const gradFunc = (dy: tf.Tensor | tf.Tensor[]) => {
      const upstream = (dy as tf.Tensor).dataSync()[0] * scale;
      const dScores = probabilities; // reused in place: the forward pass no longer needs it
      for (let r = 0; r < rows; r++) {
        const factor = upstream * (weights === null ? 1 : weights[r]);
        const offset = r * classes;
        for (let k = 0; k < classes; k++) dScores[offset + k] *= factor;
        if (labelSmoothing !== 0) for (let k = 0; k < classes; k++) dScores[offset + k] -= factor * spread;
        dScores[offset + targets[r]] -= factor * (1 - labelSmoothing);
      }
      return tf.tensor2d(dScores, [rows, classes]);
    };
    return { value: tf.scalar(total * scale), gradFunc };
  });
  return loss(logits);
}

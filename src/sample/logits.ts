import type { Rng } from '../random';

/**
 * Changes one row of next-token logits in place, before a token is chosen. Processors compose: a sampler applies
 * its list in order (suppress tokens, then temperature, then any later filter such as top-k).
 */
export type LogitsProcessor = (logits: Float32Array) => void;

/** Makes the given token ids impossible to choose. */
export function suppressTokens(ids: readonly number[]): LogitsProcessor {
  return (logits) => {
    for (const id of ids) logits[id] = -Infinity;
  };
}

/** Divides logits by a temperature > 0: below 1 sharpens the distribution, above 1 flattens it. */
export function applyTemperature(temperature: number): LogitsProcessor {
  return (logits) => {
    for (let i = 0; i < logits.length; i++) logits[i] /= temperature;
  };
}

/** Index of the largest logit (the lowest index among ties): greedy decoding. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** softmax(logits) as probabilities summing to 1 (max-subtracted for numerical safety). */
export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const probs = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp(logits[i] - max);
    sum += probs[i];
  }
  for (let i = 0; i < probs.length; i++) probs[i] /= sum;
  return probs;
}

/** Draws a token from softmax(logits) with one uniform number from `rng` (inverse-CDF sampling). */
export function sampleFromLogits(logits: Float32Array, rng: Rng): number {
  const probs = softmax(logits);
  let u = rng();
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    last = i;
    u -= probs[i];
    if (u < 0) return i;
  }
  return last;
}

import type { Rng } from '../random';

/**
 * Changes one row of next-token logits in place, before a token is chosen; `history` holds the tokens of the
 * sequence so far (prompt included). Processors compose: a sampler applies its list in order, in the manner of
 * transformers.js (suppressed tokens, repetition penalty, temperature, top-k, top-p).
 */
export type LogitsProcessor = (logits: Float32Array, history: readonly number[]) => void;

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

/**
 * Keeps only the `k` most likely tokens (ties at the border go to the lower id, so exactly `k` survive when
 * `k` tokens are possible); the rest become impossible.
 */
export function topK(k: number): LogitsProcessor {
  return (logits) => {
    if (k >= logits.length) return;
    const kept = new Set(rankByLogit(logits).slice(0, k));
    for (let i = 0; i < logits.length; i++) if (!kept.has(i)) logits[i] = -Infinity;
  };
}

/**
 * Nucleus filter: keeps the smallest set of most likely tokens whose probabilities add up to at least `p`
 * (always at least the most likely one); the rest become impossible.
 */
export function topP(p: number): LogitsProcessor {
  return (logits) => {
    const probs = softmax(logits);
    const ranked = rankByLogit(logits);
    let mass = 0;
    let kept = 0;
    while (kept < ranked.length && (kept === 0 || mass < p)) mass += probs[ranked[kept++]];
    for (const id of ranked.slice(kept)) logits[id] = -Infinity;
  };
}

/**
 * Repetition penalty (CTRL, Keskar et al. 2019, as in transformers.js): every token among the last `window`
 * tokens of the history has its logit divided by `penalty` when positive and multiplied by it when negative,
 * so `penalty` > 1 makes repeats less likely. For characters, a short window (the sampler's default, 20) is what
 * makes sense: nearly every letter occurs somewhere in a long history.
 */
export function repetitionPenalty(penalty: number, window: number): LogitsProcessor {
  return (logits, history) => {
    const seen = new Set(history.slice(Math.max(0, history.length - window)));
    for (const id of seen) logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
  };
}

/** Token ids ordered from the largest logit to the smallest (ties: lower id first). */
function rankByLogit(logits: Float32Array): number[] {
  return Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
}

/** Index of the largest logit (the lowest index among ties): greedy decoding. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/**
 * softmax(logits) as probabilities summing to 1 (max-subtracted for numerical safety), written into `probs` (a new
 * array unless one of the same length is given to reuse).
 */
export function softmax(logits: Float32Array, probs: Float64Array = new Float64Array(logits.length)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp(logits[i] - max);
    sum += probs[i];
  }
  for (let i = 0; i < probs.length; i++) probs[i] /= sum;
  return probs;
}

/**
 * log softmax(logits), each value `(logit − max) − log Σ exp(logit − max)`: exact in its order (ties stay ties).
 */
export function logSoftmax(logits: Float32Array, out = new Float64Array(logits.length)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logSum = Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - max - logSum;
  return out;
}

/** What the model's own distribution, softmax(logits) at T = 1, says at one position. */
export interface LogitsSummary {
  /** log Σ exp(logit): a token's log-probability is its logit minus this. */
  logSum: number;
  /** The distribution's entropy in nats. */
  entropy: number;
}

/**
 * The log-normaliser and the entropy of softmax(logits) from one pass of exponentials, without a logarithm per
 * entry: with y = logit − max, S = Σ exp(y), the entropy is log S − Σ exp(y)·y / S (entries whose exp underflows to 0
 * contribute nothing, as in {@link entropy}).
 */
export function summarizeLogits(logits: Float32Array): LogitsSummary {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < logits.length; i++) {
    const shifted = logits[i] - max;
    const e = Math.exp(shifted);
    if (e === 0) continue;
    sum += e;
    weighted += e * shifted;
  }
  const logS = Math.log(sum);
  return { logSum: max + logS, entropy: logS - weighted / sum };
}

/** Entropy in nats of a probability vector (zero probabilities contribute nothing). */
export function entropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > 0) h -= probs[i] * Math.log(probs[i]);
  return h;
}

/**
 * Draws a token from softmax(logits) with one uniform number from `rng` (inverse-CDF sampling); `scratch` (as long as
 * the logits) saves an allocation per draw.
 */
export function sampleFromLogits(logits: Float32Array, rng: Rng, scratch?: Float64Array): number {
  const probs = softmax(logits, scratch);
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

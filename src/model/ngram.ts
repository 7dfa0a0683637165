import type { Batch } from '../data';
import type { Vocabulary } from '../vocab';
import type { StateLayout } from './recurrentState';

/** An n-gram model with the vocabulary of its ids: it generates text as a network does (see `NgramStepper`). */
export interface NgramGenerator {
  ngram: NgramModel;
  vocab: Vocabulary;
}

/**
 * A Markov chain of order N over token ids with interpolated Kneser–Ney smoothing (Chen & Goodman 1998): the
 * probability of a token after a context mixes the discounted count of the N-gram with, for the mass taken away, the
 * next shorter context's distribution — whose counts are *continuation* counts (in how many different contexts a
 * shorter N-gram was seen), down to a uniform distribution over the vocabulary. So an unseen context backs off
 * cleanly, and no token of the vocabulary ever gets probability 0. Kneser–Ney rather than Witten–Bell: it is the
 * best-performing classic smoothing on held-out text, because a lower order is used exactly when the longer context
 * was not seen, and continuation counts say how likely a token is in a *new* context.
 *
 * Rows start with `order − 1` virtual begin markers (a context shorter than N at a row's start is padded with them),
 * as a network's row starts from a zero state.
 */
export class NgramModel {
  /** Counts by order k = 1 … N: context (k − 1 tokens, as a key) → next token → count (raw at N, continuation below). */
  private readonly counts: Map<string, Map<number, number>>[];
  /** Per order and context: the sum of its counts and the number of different next tokens. */
  private readonly totals: Map<string, { sum: number; types: number }>[];
  /** Discount of each order, from its counts of counts: D = n₁ / (n₁ + 2 n₂). */
  readonly discounts: number[];

  private constructor(readonly order: number, readonly vocabSize: number, counts: Map<string, Map<number, number>>[]) {
    this.counts = counts;
    this.totals = counts.map((byContext) => new Map([...byContext].map(([context, next]) => [context, { sum: sumOf(next), types: next.size }])));
    this.discounts = counts.map(discountOf);
  }

  /** Counts the N-grams of every real target of `batches` (each row's earlier inputs are its context). */
  static fromBatches(batches: Iterable<Batch>, order: number, vocabSize: number): NgramModel {
    checkShape(order, vocabSize);
    const top = new Map<string, Map<number, number>>();
    for (const batch of batches) {
      forEachTarget(batch, order, (context, target) => add(top, context, target, 1));
    }
    return NgramModel.fromTopCounts(order, vocabSize, top);
  }

  /**
   * The model of counts saved by {@link entries}: per N-gram, its context (`order − 1` ids, −1 for a begin marker),
   * its token and its count. Throws naming what does not fit the order and vocabulary.
   */
  static fromEntries(order: number, vocabSize: number, entries: Int32Array): NgramModel {
    checkShape(order, vocabSize);
    if (entries.length % (order + 1) !== 0) throw new Error(`n-gram counts come in groups of ${order + 1} numbers; got ${entries.length}.`);
    const top = new Map<string, Map<number, number>>();
    for (let i = 0; i < entries.length; i += order + 1) {
      const ids = entries.subarray(i, i + order + 1);
      const [token, count] = [ids[order - 1], ids[order]];
      if (ids.subarray(0, order).some((id) => id < -1 || id >= vocabSize) || token < 0 || !(count > 0)) {
        throw new Error(`n-gram count ${i / (order + 1) + 1} holds an id outside the vocabulary of ${vocabSize} or a count below 1.`);
      }
      add(top, contextKey(ids.subarray(0, order - 1), order), token, count);
    }
    return NgramModel.fromTopCounts(order, vocabSize, top);
  }

  /** The top-order counts, `order + 1` numbers each: the context's ids (−1: begin marker), the token, the count. */
  entries(): Int32Array {
    const top = this.counts[this.order - 1];
    const out = new Int32Array([...top.values()].reduce((n, next) => n + next.size, 0) * (this.order + 1));
    let i = 0;
    for (const [context, next] of top) {
      for (const [token, count] of next) {
        for (let k = 0; k < this.order - 1; k++) out[i++] = context.charCodeAt(k) - 1;
        out[i++] = token;
        out[i++] = count;
      }
    }
    return out;
  }

  private static fromTopCounts(order: number, vocabSize: number, top: Map<string, Map<number, number>>): NgramModel {
    // Below the top order, a k-gram counts the different tokens seen before it (its continuation count).
    const counts = [top];
    for (let k = order - 1; k >= 1; k--) {
      const lower = new Map<string, Map<number, number>>();
      for (const [context, next] of counts[0]) for (const token of next.keys()) add(lower, context.slice(1), token, 1);
      counts.unshift(lower);
    }
    return new NgramModel(order, vocabSize, counts);
  }

  /** Its counts of every order (what it keeps in place of parameters; `ngram.bin` stores the top order's, the rest follow from them). */
  get params(): number {
    return this.counts.reduce((n, byContext) => n + [...byContext.values()].reduce((m, next) => m + next.size, 0), 0);
  }

  /**
   * The probability of `token` after `history` (its last `order − 1` tokens count; fewer, or negative ids, stand for
   * a row's start).
   */
  probability(history: ArrayLike<number>, token: number): number {
    return this.probabilityAfter(contextKey(history, this.order), token);
  }

  /** The whole next-token distribution after `history` (sums to 1; see {@link probability}). */
  distribution(history: ArrayLike<number>): Float64Array {
    const context = contextKey(history, this.order);
    const p = new Float64Array(this.vocabSize).fill(1 / this.vocabSize);
    for (let k = 1; k <= this.order; k++) {
      const key = context.slice(this.order - k);
      const total = this.totals[k - 1].get(key);
      if (total === undefined) continue;
      const d = this.discounts[k - 1];
      const backoff = (d * total.types) / total.sum;
      for (let w = 0; w < p.length; w++) p[w] *= backoff;
      for (const [token, count] of this.counts[k - 1].get(key)!) p[token] += Math.max(count - d, 0) / total.sum;
    }
    return p;
  }

  /** Mean negative log-probability (nats) of the real targets of `batches`: the loss a network reports. */
  loss(batches: Iterable<Batch>): number {
    let total = 0;
    let tokens = 0;
    for (const batch of batches) {
      forEachTarget(batch, this.order, (context, target) => {
        total -= Math.log(this.probabilityAfter(context, target));
        tokens += 1;
      });
    }
    if (tokens === 0) throw new Error('No tokens to score; use a larger corpus or validation share.');
    return total / tokens;
  }

  private probabilityAfter(context: string, token: number): number {
    let p = 1 / this.vocabSize;
    for (let k = 1; k <= this.order; k++) {
      const key = context.slice(this.order - k);
      const total = this.totals[k - 1].get(key);
      if (total === undefined) continue; // an unseen context: the shorter one's estimate stands
      const d = this.discounts[k - 1];
      p = Math.max((this.counts[k - 1].get(key)!.get(token) ?? 0) - d, 0) / total.sum + (d * total.types / total.sum) * p;
    }
    return p;
  }
}

/** Checks an order and a vocabulary size; throws saying what is allowed. */
function checkShape(order: number, vocabSize: number): void {
  if (!Number.isInteger(order) || order < 1 || order > 12) throw new Error(`The order of an n-gram model must be a whole number from 1 to 12, got ${order}.`);
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_VOCAB) {
    throw new Error(`An n-gram model handles vocabularies of up to ${MAX_VOCAB} tokens, got ${vocabSize}; use --max-vocab.`);
  }
}

/** Token ids are kept as UTF-16 code units (id + 1; the begin marker is 0). */
const MAX_VOCAB = 0xfffe;
const BEGIN = String.fromCharCode(0);

/** The key of the context of length `order − 1` that `history` ends with, padded with begin markers (so are negative ids). */
function contextKey(history: ArrayLike<number>, order: number): string {
  let key = '';
  for (let i = history.length - (order - 1); i < history.length; i++) key += i < 0 || history[i] < 0 ? BEGIN : String.fromCharCode(history[i] + 1);
  return key;
}

/** Calls `visit` with the context key and target of every real target of a batch (context: the row's inputs so far). */
function forEachTarget(batch: Batch, order: number, visit: (context: string, target: number) => void): void {
  const { inputs, targets, mask, batchSize, seqLen } = batch;
  for (let b = 0; b < batchSize; b++) {
    const row = inputs.subarray(b * seqLen, (b + 1) * seqLen);
    for (let t = 0; t < seqLen; t++) {
      if (mask !== null && mask[b * seqLen + t] === 0) continue;
      visit(contextKey(row.subarray(0, t + 1), order), targets[b * seqLen + t]);
    }
  }
}

function add(counts: Map<string, Map<number, number>>, context: string, token: number, n: number): void {
  let next = counts.get(context);
  if (next === undefined) counts.set(context, (next = new Map()));
  next.set(token, (next.get(token) ?? 0) + n);
}

function sumOf(next: Map<number, number>): number {
  let sum = 0;
  for (const count of next.values()) sum += count;
  return sum;
}

/** Ney's discount D = n₁ / (n₁ + 2 n₂) from the numbers of N-grams seen once and twice; 0.5 when they do not tell. */
function discountOf(byContext: Map<string, Map<number, number>>): number {
  let [once, twice] = [0, 0];
  for (const next of byContext.values()) {
    for (const count of next.values()) {
      if (count === 1) once += 1;
      else if (count === 2) twice += 1;
    }
  }
  const d = once / (once + 2 * twice);
  return Number.isFinite(d) && d > 0 && d < 1 ? d : 0.5;
}

/** The layout of an n-gram stepper's state: one array of each row's last `max(order − 1, 1)` tokens. */
export function ngramStateLayout(model: NgramModel): StateLayout {
  return { parts: 1, units: Math.max(model.order - 1, 1) };
}

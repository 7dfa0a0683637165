import type { Batch } from '../../data';
import type { Vocabulary } from '../../vocab';
import { CountTable, GramRows } from './countTable';

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
  /** Counts by order k = 1 … N (raw at N, continuation below): see {@link CountTable}. */
  private readonly levels: CountTable[];
  /** Discount of each order, from its counts of counts: D = n₁ / (n₁ + 2 n₂). */
  readonly discounts: number[];

  private constructor(
    readonly order: number,
    readonly vocabSize: number,
    levels: CountTable[],
  ) {
    this.levels = levels;
    this.discounts = levels.map((level) => discountOf(level.values));
  }

  /** Counts the N-grams of every real target of `batches` (each row's earlier inputs are its context). */
  static fromBatches(batches: Iterable<Batch>, order: number, vocabSize: number): NgramModel {
    checkShape(order, vocabSize);
    const grams = new GramRows(order);
    for (const batch of batches) {
      forEachTarget(batch, order, (context, target) => {
        const at = grams.append();
        grams.data.set(context, at);
        grams.data[at + order - 1] = target + 1;
      });
    }
    return NgramModel.fromTopCounts(order, vocabSize, CountTable.count(grams, vocabSize + 1));
  }

  /**
   * The model of counts saved by {@link entries}: per N-gram, its context (`order − 1` ids, −1 for a begin marker),
   * its token and its count. Throws naming what does not fit the order and vocabulary.
   */
  static fromEntries(order: number, vocabSize: number, entries: Int32Array): NgramModel {
    checkShape(order, vocabSize);
    if (entries.length % (order + 1) !== 0)
      throw new Error(`n-gram counts come in groups of ${order + 1} numbers; got ${entries.length}.`);
    const grams = new GramRows(order);
    const counts = new Uint32Array(entries.length / (order + 1));
    for (let i = 0; i < entries.length; i += order + 1) {
      const ids = entries.subarray(i, i + order + 1);
      const [token, count] = [ids[order - 1], ids[order]];
      if (ids.subarray(0, order).some((id) => id < -1 || id >= vocabSize) || token < 0 || !(count > 0)) {
        throw new Error(
          `n-gram count ${i / (order + 1) + 1} holds an id outside the vocabulary of ${vocabSize} or a count below 1.`,
        );
      }
      const at = grams.append();
      for (let k = 0; k < order; k++) grams.data[at + k] = ids[k] + 1;
      counts[i / (order + 1)] = count;
    }
    return NgramModel.fromTopCounts(order, vocabSize, CountTable.count(grams, vocabSize + 1, counts));
  }

  /** The top-order counts, `order + 1` numbers each: the context's ids (−1: begin marker), the token, the count. */
  entries(): Int32Array {
    const top = this.levels[this.order - 1];
    const out = new Int32Array(top.values.length * (this.order + 1));
    let i = 0;
    for (let c = 0; c < top.contextCount; c++) {
      const context = top.context(c);
      for (let j = top.offsets[c]; j < top.offsets[c + 1]; j++) {
        for (let k = 0; k < this.order - 1; k++) out[i++] = context[k] - 1;
        out[i++] = top.tokens[j];
        out[i++] = top.values[j];
      }
    }
    return out;
  }

  private static fromTopCounts(order: number, vocabSize: number, top: CountTable): NgramModel {
    // Below the top order, a k-gram counts the different tokens seen before it (its continuation count): each
    // distinct (k + 1)-gram adds one to the k-gram it ends with.
    const levels = [top];
    for (let k = order - 1; k >= 1; k--) {
      const above = levels[0];
      const lower = new GramRows(k);
      for (let c = 0; c < above.contextCount; c++) {
        const shorter = above.context(c).subarray(1);
        for (let j = above.offsets[c]; j < above.offsets[c + 1]; j++) {
          const at = lower.append();
          lower.data.set(shorter, at);
          lower.data[at + k - 1] = above.tokens[j] + 1;
        }
      }
      levels.unshift(CountTable.count(lower, vocabSize + 1));
    }
    return new NgramModel(order, vocabSize, levels);
  }

  /**
   * Its counts of every order (what it keeps in place of parameters; `ngram.bin` stores the top order's, the rest
   * follow from them).
   */
  get params(): number {
    return this.levels.reduce((n, level) => n + level.values.length, 0);
  }

  /**
   * The probability of `token` after `history` (its last `order − 1` tokens count; fewer, or negative ids, stand for
   * a row's start).
   */
  probability(history: ArrayLike<number>, token: number): number {
    return this.probabilityAfter(contextCodes(history, this.order), token);
  }

  /** The whole next-token distribution after `history` (sums to 1; see {@link probability}). */
  distribution(history: ArrayLike<number>): Float64Array {
    const context = contextCodes(history, this.order);
    const p = new Float64Array(this.vocabSize).fill(1 / this.vocabSize);
    for (let k = 1; k <= this.order; k++) {
      const level = this.levels[k - 1];
      const c = level.find(context, this.order - k);
      if (c < 0) continue;
      const [start, end, sum] = [level.offsets[c], level.offsets[c + 1], level.sums[c]];
      const d = this.discounts[k - 1];
      const backoff = (d * (end - start)) / sum;
      for (let w = 0; w < p.length; w++) p[w] *= backoff;
      for (let j = start; j < end; j++) p[level.tokens[j]] += Math.max(level.values[j] - d, 0) / sum;
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

  /** The probability of `token` after the `order − 1` codes of `context`. */
  private probabilityAfter(context: Uint16Array, token: number): number {
    let p = 1 / this.vocabSize;
    for (let k = 1; k <= this.order; k++) {
      const level = this.levels[k - 1];
      const c = level.find(context, this.order - k);
      if (c < 0) continue; // an unseen context: the shorter one's estimate stands
      const [start, end, sum] = [level.offsets[c], level.offsets[c + 1], level.sums[c]];
      const d = this.discounts[k - 1];
      p = Math.max(level.countOf(c, token) - d, 0) / sum + ((d * (end - start)) / sum) * p;
    }
    return p;
  }
}

/** Checks an order and a vocabulary size; throws saying what is allowed. */
function checkShape(order: number, vocabSize: number): void {
  if (!Number.isInteger(order) || order < 1 || order > 12)
    throw new Error(`The order of an n-gram model must be a whole number from 1 to 12, got ${order}.`);
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_VOCAB) {
    throw new Error(
      `An n-gram model handles vocabularies of up to ${MAX_VOCAB} tokens, got ${vocabSize}; use --max-vocab.`,
    );
  }
}

/** Token ids are kept as 16-bit codes (id + 1; the begin marker is 0). */
const MAX_VOCAB = 0xfffe;

/**
 * Writes into `context` the codes of the ids just before `end` (as many as it holds), with begin markers for those
 * before `start` (a row's first id) and for negative ids.
 */
function fillContext(context: Uint16Array, ids: ArrayLike<number>, start: number, end: number): Uint16Array {
  for (let k = 0; k < context.length; k++) {
    const i = end - context.length + k;
    context[k] = i < start || ids[i] < 0 ? 0 : ids[i] + 1;
  }
  return context;
}

/** The codes of the context of length `order − 1` that `history` ends with (see {@link fillContext}). */
function contextCodes(history: ArrayLike<number>, order: number): Uint16Array {
  return fillContext(new Uint16Array(order - 1), history, 0, history.length);
}

/**
 * Calls `visit` with the context codes and target of every real target of a batch (context: the row's inputs so far;
 * the array is reused from call to call).
 */
function forEachTarget(batch: Batch, order: number, visit: (context: Uint16Array, target: number) => void): void {
  const { inputs, targets, mask, batchSize, seqLen } = batch;
  const context = new Uint16Array(order - 1);
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < seqLen; t++) {
      if (mask !== null && mask[b * seqLen + t] === 0) continue;
      visit(fillContext(context, inputs, b * seqLen, b * seqLen + t + 1), targets[b * seqLen + t]);
    }
  }
}

/**
 * Ney's discount D = n₁ / (n₁ + 2 n₂) from the numbers of N-grams seen once and twice; 0.5 when they do not tell.
 */
function discountOf(values: Uint32Array): number {
  let [once, twice] = [0, 0];
  for (const count of values) {
    if (count === 1) once += 1;
    else if (count === 2) twice += 1;
  }
  const d = once / (once + 2 * twice);
  return Number.isFinite(d) && d > 0 && d < 1 ? d : 0.5;
}

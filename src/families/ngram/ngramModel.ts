import type { Batch } from '../../data';
import type { Vocabulary } from '../../vocab';

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
    const top = new Map<string, number>();
    for (const batch of batches) {
      forEachTarget(batch, order, (context, target) => add(top, context + tokenChar(target), 1));
    }
    return NgramModel.fromTopCounts(order, vocabSize, top);
  }

  /**
   * The model of counts saved by {@link entries}: per N-gram, its context (`order − 1` ids, −1 for a begin marker),
   * its token and its count. Throws naming what does not fit the order and vocabulary.
   */
  static fromEntries(order: number, vocabSize: number, entries: Int32Array): NgramModel {
    checkShape(order, vocabSize);
    if (entries.length % (order + 1) !== 0)
      throw new Error(`n-gram counts come in groups of ${order + 1} numbers; got ${entries.length}.`);
    const top = new Map<string, number>();
    for (let i = 0; i < entries.length; i += order + 1) {
      const ids = entries.subarray(i, i + order + 1);
      const [token, count] = [ids[order - 1], ids[order]];
      if (ids.subarray(0, order).some((id) => id < -1 || id >= vocabSize) || token < 0 || !(count > 0)) {
        throw new Error(
          `n-gram count ${i / (order + 1) + 1} holds an id outside the vocabulary of ${vocabSize} or a count below 1.`,
        );
      }
      add(top, contextKey(ids.subarray(0, order - 1), order) + tokenChar(token), count);
    }
    return NgramModel.fromTopCounts(order, vocabSize, top);
  }

  /** The top-order counts, `order + 1` numbers each: the context's ids (−1: begin marker), the token, the count. */
  entries(): Int32Array {
    const top = this.levels[this.order - 1];
    const out = new Int32Array(top.values.length * (this.order + 1));
    let i = 0;
    top.index.forEach((c, context) => {
      for (let j = top.offsets[c]; j < top.offsets[c + 1]; j++) {
        for (let k = 0; k < this.order - 1; k++) out[i++] = context.charCodeAt(k) - 1;
        out[i++] = top.tokens[j];
        out[i++] = top.values[j];
      }
    });
    return out;
  }

  private static fromTopCounts(order: number, vocabSize: number, top: Map<string, number>): NgramModel {
    // Below the top order, a k-gram counts the different tokens seen before it (its continuation count): each
    // distinct (k + 1)-gram adds one to the k-gram it ends with.
    const levels = [countTable(top)];
    top.clear(); // the table holds it now: free the Map before the lower orders are counted
    for (let k = order - 1; k >= 1; k--) {
      const lower = new Map<string, number>();
      const { index, offsets, tokens } = levels[0];
      index.forEach((c, context) => {
        for (let j = offsets[c]; j < offsets[c + 1]; j++) add(lower, context.slice(1) + tokenChar(tokens[j]), 1);
      });
      levels.unshift(countTable(lower));
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
    return this.probabilityAfter(contextKey(history, this.order), token);
  }

  /** The whole next-token distribution after `history` (sums to 1; see {@link probability}). */
  distribution(history: ArrayLike<number>): Float64Array {
    const context = contextKey(history, this.order);
    const p = new Float64Array(this.vocabSize).fill(1 / this.vocabSize);
    for (let k = 1; k <= this.order; k++) {
      const level = this.levels[k - 1];
      const c = level.index.get(context.slice(this.order - k));
      if (c === undefined) continue;
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

  private probabilityAfter(context: string, token: number): number {
    let p = 1 / this.vocabSize;
    for (let k = 1; k <= this.order; k++) {
      const level = this.levels[k - 1];
      const c = level.index.get(context.slice(this.order - k));
      if (c === undefined) continue; // an unseen context: the shorter one's estimate stands
      const [start, end, sum] = [level.offsets[c], level.offsets[c + 1], level.sums[c]];
      const d = this.discounts[k - 1];
      p = Math.max(countOf(level, start, end, token) - d, 0) / sum + ((d * (end - start)) / sum) * p;
    }
    return p;
  }
}

/**
 * The counts of one order, compact: its contexts (`index`: key → position c, in sorted order), and per context c the
 * slice `offsets[c] … offsets[c + 1]` of `tokens` (sorted) and their `values`, with the slice's sum in `sums[c]`.
 * (Nested Maps held 5× the memory: sotu at word level, order 5, 4.6 M counts, 982 MB of heap, now 205 MB.)
 */
interface CountTable {
  index: Map<string, number>;
  offsets: Uint32Array;
  tokens: Uint16Array;
  values: Uint32Array;
  sums: Float64Array;
}

/** The table of counts keyed by context + token character (see {@link tokenChar}). */
function countTable(counts: Map<string, number>): CountTable {
  const keys = [...counts.keys()].sort();
  const contexts: string[] = [];
  const offsets: number[] = [];
  const tokens = new Uint16Array(keys.length);
  const values = new Uint32Array(keys.length);
  keys.forEach((key, j) => {
    const context = key.slice(0, -1);
    if (contexts.length === 0 || contexts[contexts.length - 1] !== context) {
      contexts.push(context);
      offsets.push(j);
    }
    tokens[j] = key.charCodeAt(key.length - 1) - 1;
    values[j] = counts.get(key)!;
  });
  offsets.push(keys.length);
  const sums = new Float64Array(contexts.length);
  for (let c = 0; c < contexts.length; c++) for (let j = offsets[c]; j < offsets[c + 1]; j++) sums[c] += values[j];
  return {
    index: new Map(contexts.map((context, c) => [context, c])),
    offsets: Uint32Array.from(offsets),
    tokens,
    values,
    sums,
  };
}

/** The count of `token` in the sorted slice `start … end` of a table (0 when absent). */
function countOf(level: CountTable, start: number, end: number, token: number): number {
  let [lo, hi] = [start, end - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = level.tokens[mid];
    if (at === token) return level.values[mid];
    if (at < token) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
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

/** Token ids are kept as UTF-16 code units (id + 1; the begin marker is 0). */
const MAX_VOCAB = 0xfffe;
const BEGIN = String.fromCharCode(0);

/**
 * The key of the context of length `order − 1` that `history` ends with, padded with begin markers (so are
 * negative ids).
 */
function contextKey(history: ArrayLike<number>, order: number): string {
  let key = '';
  for (let i = history.length - (order - 1); i < history.length; i++)
    key += i < 0 || history[i] < 0 ? BEGIN : tokenChar(history[i]);
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

function add(counts: Map<string, number>, key: string, n: number): void {
  counts.set(key, (counts.get(key) ?? 0) + n);
}

/** A token id as the character that stands for it in keys (id + 1; the begin marker is 0). */
const tokenChar = (token: number) => String.fromCharCode(token + 1);

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

/**
 * N-grams as rows of codes in one typed array — a token id is its code minus 1, code 0 is the begin marker before a
 * row's start — and the counts of one order built from them by sorting, with no per-n-gram object or string: sotu at
 * word level, order 5 (4.6 M counts of every order), counts in 2–3 s with a peak of about 400 MB for the whole CLI run,
 * where Maps keyed by strings took 14 s and 980 MB.
 */

/** Rows of `width` codes, appended one at a time into a buffer that grows by doubling. */
export class GramRows {
  private codes = new Uint16Array(1 << 16);
  /** Rows appended so far. */
  length = 0;

  constructor(readonly width: number) {}

  /** Room for one more row: the index of its first code in {@link data}, where the caller writes `width` codes. */
  append(): number {
    const at = this.length * this.width;
    if (at + this.width > this.codes.length) {
      const grown = new Uint16Array(Math.max(2 * this.codes.length, at + this.width));
      grown.set(this.codes);
      this.codes = grown;
    }
    this.length += 1;
    return at;
  }

  /** The codes of every row, row after row (its length is the buffer's; rows end at `length × width`). */
  get data(): Uint16Array {
    return this.codes;
  }
}

/**
 * The counts of one order, compact: `contextCount` contexts of `width` codes each in sorted order, and per context c the
 * slice `offsets[c] … offsets[c + 1]` of `tokens` (ids, sorted) and their `values`, with the slice's sum in `sums[c]`;
 * {@link find} gives a context's position through an open-addressing hash table.
 */
export class CountTable {
  private constructor(
    /** Codes per context (the n-gram's order − 1). */
    readonly width: number,
    private readonly contexts: Uint16Array,
    readonly offsets: Uint32Array,
    readonly tokens: Uint16Array,
    readonly values: Uint32Array,
    readonly sums: Float64Array,
    private readonly slots: Int32Array,
  ) {}

  /**
   * Counts `grams` (rows of context codes then the token's code) with `radix` possible codes (the vocabulary + 1):
   * each row adds its weight (1 when `weights` is null) to its n-gram.
   */
  static count(grams: GramRows, radix: number, weights: Uint32Array | null = null): CountTable {
    const { width: rowWidth, length: n } = grams;
    const sorted = sortRows(grams, radix, weights);
    const rows = sorted.codes;
    const width = rowWidth - 1;
    const sameCodes = (row: number, count: number) => {
      for (let i = 0; i < count; i++) if (rows[row * rowWidth + i] !== rows[(row - 1) * rowWidth + i]) return false;
      return true;
    };
    const tokens = new Uint16Array(n);
    const values = new Uint32Array(n);
    const starts = new Uint32Array(n + 1);
    const contextRows = new Uint32Array(n);
    let [unique, contextCount] = [-1, 0];
    for (let row = 0; row < n; row++) {
      const weight = sorted.weights === null ? 1 : sorted.weights[row];
      if (row > 0 && sameCodes(row, rowWidth)) {
        values[unique] += weight;
        continue;
      }
      unique += 1;
      if (row === 0 || !sameCodes(row, width)) {
        starts[contextCount] = unique;
        contextRows[contextCount++] = row;
      }
      tokens[unique] = rows[row * rowWidth + width] - 1;
      values[unique] = weight;
    }
    const size = unique + 1;
    starts[contextCount] = size;
    const contexts = new Uint16Array(contextCount * width);
    for (let c = 0; c < contextCount; c++) {
      const row = contextRows[c];
      contexts.set(rows.subarray(row * rowWidth, row * rowWidth + width), c * width);
    }
    const offsets = starts.slice(0, contextCount + 1);
    const sums = new Float64Array(contextCount);
    for (let c = 0; c < contextCount; c++) for (let j = offsets[c]; j < offsets[c + 1]; j++) sums[c] += values[j];
    const table = new CountTable(
      width,
      contexts,
      offsets,
      tokens.slice(0, size),
      values.slice(0, size),
      sums,
      new Int32Array(slotCount(contextCount)).fill(-1),
    );
    for (let c = 0; c < contextCount; c++) table.insert(c);
    return table;
  }

  /** How many contexts the table holds. */
  get contextCount(): number {
    return this.sums.length;
  }

  /** The codes of context `c`. */
  context(c: number): Uint16Array {
    return this.contexts.subarray(c * this.width, (c + 1) * this.width);
  }

  /** The position of the context `codes[from … from + width]`, or −1 when it was never seen. */
  find(codes: ArrayLike<number>, from: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hashOf(codes, from, this.width) & mask; ; slot = (slot + 1) & mask) {
      const c = this.slots[slot];
      if (c < 0) return -1;
      let same = true;
      for (let i = 0; i < this.width && same; i++) same = this.contexts[c * this.width + i] === codes[from + i];
      if (same) return c;
    }
  }

  /** The count of `token` after context `c` (0 when absent), by binary search of its sorted slice. */
  countOf(c: number, token: number): number {
    let [lo, hi] = [this.offsets[c], this.offsets[c + 1] - 1];
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.tokens[mid];
      if (at === token) return this.values[mid];
      if (at < token) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  private insert(c: number): void {
    const mask = this.slots.length - 1;
    let slot = hashOf(this.contexts, c * this.width, this.width) & mask;
    while (this.slots[slot] >= 0) slot = (slot + 1) & mask;
    this.slots[slot] = c;
  }
}

/**
 * The rows of `grams` in ascending order of their codes, with their weights moved along: a radix sort that moves whole
 * rows, one counting pass a column from the last, so that every pass reads its input in order.
 */
function sortRows(
  grams: GramRows,
  radix: number,
  weights: Uint32Array | null,
): { codes: Uint16Array; weights: Uint32Array | null } {
  const { width, length: n } = grams;
  let [codes, nextCodes] = [grams.data.slice(0, n * width), new Uint16Array(n * width)];
  let rowWeights: Uint32Array | null = weights === null ? null : weights.slice(0, n);
  let nextWeights: Uint32Array | null = weights === null ? null : new Uint32Array(n);
  const starts = new Uint32Array(radix + 1);
  for (let column = width - 1; column >= 0; column--) {
    starts.fill(0);
    for (let i = column; i < n * width; i += width) {
      if (codes[i] >= radix)
        throw new Error(`An n-gram holds the code ${codes[i]}, outside the ${radix} codes counted.`);
      starts[codes[i] + 1] += 1;
    }
    if (starts[codes[column] + 1] === n) continue; // one code in the whole column: the order stands
    for (let code = 1; code <= radix; code++) starts[code] += starts[code - 1];
    for (let row = 0; row < n; row++) {
      const to = starts[codes[row * width + column]]++;
      for (let k = 0; k < width; k++) nextCodes[to * width + k] = codes[row * width + k];
      if (rowWeights !== null) nextWeights![to] = rowWeights[row];
    }
    [codes, nextCodes] = [nextCodes, codes];
    [rowWeights, nextWeights] = [nextWeights, rowWeights];
  }
  return { codes, weights: rowWeights };
}

/** A power of two at least twice `count`: the hash table stays at most half full. */
function slotCount(count: number): number {
  let slots = 2;
  while (slots < 2 * count) slots *= 2;
  return slots;
}

/** An FNV-1a-style hash of `width` 16-bit codes from `from`, its bits mixed so that the low ones index the table well. */
function hashOf(codes: ArrayLike<number>, from: number, width: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < width; i++) h = Math.imul(h ^ codes[from + i], 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

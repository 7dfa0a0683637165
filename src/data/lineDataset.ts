import { EOS_ID, PAD_ID } from '../vocab/specialTokens';
import type { Rng } from '../random';
import type { Batch, BatchOptions, TokenDataset } from './dataset';
import { countBatches, epochOrder } from './epochPlan';

/** Options of {@link LineDataset}. */
export interface LineOptions {
  /** Longest example in time steps (default: no limit). Longer lines are cut; see {@link LineDataset}. */
  maxLen?: number;
  /** The corpus document of each line (default: its index among the lines), carried by the batches. */
  documents?: readonly number[];
}

/**
 * One example per line (the lesson's TensorFlow way). A line `seq` (encoded without `<eos>`) becomes
 * inputs `[eos, ...seq]` and targets `[...seq, eos]`: `<eos>` doubles as the begin-of-line marker, so
 * the model learns to start a line from nothing and to end it. Batches are padded with `PAD_ID` to
 * their longest example and carry a mask (null when no row needed padding).
 *
 * With `maxLen`, an example longer than `maxLen` steps keeps its first `maxLen` steps; its last target
 * is then the next real token, not `<eos>`, so the model is never taught to end a line early.
 * The lines are not copied. By default the last, smaller batch is dropped (training); pass
 * `{ dropRemainder: false }` to keep it (validation).
 */
export class LineDataset implements TokenDataset {
  /** Number of lines. */
  readonly size: number;
  /** Real target tokens over all lines (each line's length + 1, capped at `maxLen`). */
  readonly tokens: number;
  /** Longest example in time steps (Infinity when lines are not cut). */
  readonly maxLen: number;
  private readonly lines: readonly Int32Array[];
  /** The corpus document of each line, when they were given (see {@link LineOptions.documents}). */
  readonly documents: readonly number[] | null;

  /** Wraps encoded lines; throws when there are none or `maxLen` is not a positive whole number. */
  constructor(lines: readonly Int32Array[], options: LineOptions = {}) {
    const maxLen = options.maxLen ?? Number.POSITIVE_INFINITY;
    if (maxLen !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxLen) || maxLen < 1)) {
      throw new Error(`maxLen must be a whole number >= 1, got ${maxLen}. Leave it out to keep whole lines.`);
    }
    if (lines.length === 0) {
      throw new Error(
        'A line dataset needs at least one line, got none. Check the ' +
          'corpus, or the valFraction of the split that produced these lines.',
      );
    }
    if (options.documents !== undefined && options.documents.length !== lines.length) {
      throw new Error(
        `documents must give one index per line: ${lines.length} lines, ${options.documents.length} indices.`,
      );
    }
    this.lines = lines;
    this.documents = options.documents ?? null;
    this.maxLen = maxLen;
    this.size = lines.length;
    this.tokens = lines.reduce((sum, line) => sum + this.exampleLength(line), 0);
  }

  /** Number of batches per epoch (see {@link TokenDataset.batchesPerEpoch}). */
  batchesPerEpoch(batchSize: number, options?: BatchOptions): number {
    return countBatches(this.size, batchSize, options);
  }

  /** One epoch of padded line batches in shuffled (`rng`) or stored (null) order. */
  *batches(batchSize: number, rng: Rng | null, options?: BatchOptions): Generator<Batch> {
    const count = this.batchesPerEpoch(batchSize, options);
    const order = epochOrder(this.size, rng);
    for (let b = 0; b < count; b++) {
      yield this.makeBatch(order.subarray(b * batchSize, (b + 1) * batchSize));
    }
  }

  /** Time steps of a line's example: the line plus its `<eos>`, capped at `maxLen`. */
  private exampleLength(line: Int32Array): number {
    return Math.min(line.length + 1, this.maxLen);
  }

  /** Builds one padded batch from the lines at the given indices. */
  private makeBatch(indices: Int32Array): Batch {
    const rows = indices.length;
    const lengths = Array.from(indices, (index) => this.exampleLength(this.lines[index]));
    const seqLen = Math.max(...lengths);
    const inputs = new Int32Array(rows * seqLen).fill(PAD_ID);
    const targets = new Int32Array(rows * seqLen).fill(PAD_ID);
    const padded = lengths.some((length) => length < seqLen);
    const mask = padded ? new Float32Array(rows * seqLen) : null;
    for (let row = 0; row < rows; row++) {
      const line = this.lines[indices[row]];
      const length = lengths[row];
      const offset = row * seqLen;
      inputs[offset] = EOS_ID;
      inputs.set(line.subarray(0, length - 1), offset + 1);
      targets.set(line.subarray(0, length), offset);
      if (length > line.length) targets[offset + line.length] = EOS_ID;
      mask?.fill(1, offset, offset + length);
    }
    const documents = Int32Array.from(indices, (index) => this.documents?.[index] ?? index);
    return { inputs, targets, mask, batchSize: rows, seqLen, documents };
  }
}

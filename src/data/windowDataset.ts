import type { Rng } from '../random';
import { EOS_ID } from '../vocab/specialTokens';
import type { TokenIds } from '../vocab/tokenIds';
import type { Batch, BatchOptions, TokenDataset } from './dataset';
import { countBatches, epochOrder } from './epochPlan';

/** Options of {@link WindowDataset}. */
export interface WindowOptions {
  /** Time steps per window. */
  seqLen: number;
  /**
   * Distance between window starts (default `seqLen`: windows do not overlap, each token is a target once per epoch).
   */
  stride?: number;
  /** Corpus index of the document the ids begin in (default 0; the validation part of a split begins mid-corpus). */
  firstDocument?: number;
}

/**
 * Fixed-length windows over one flat id stream (the lesson's PyTorch way). Window k starts at
 * `s = k * stride`; its inputs are `ids[s .. s+seqLen)` and its targets `ids[s+1 .. s+seqLen+1)`. Documents end with
 * `<eos>`; a batch row's document is the one its first input belongs to, an `<eos>` counting as the start of the next.
 * The ids are not copied (a `subarray` view is fine, and a compact `Uint8Array` or `Uint16Array` saves memory; batches
 * are `Int32Array` whatever the ids' array type); an epoch allocates only its order of window
 * starts and one batch at a time. By default the last, smaller batch is dropped (training);
 * pass `{ dropRemainder: false }` to keep it (validation).
 */
export class WindowDataset implements TokenDataset {
  /** Number of windows. */
  readonly size: number;
  /** Target tokens over all windows (`size * seqLen`). */
  readonly tokens: number;
  /** Time steps per window. */
  readonly seqLen: number;
  /** Distance between window starts. */
  readonly stride: number;
  private readonly ids: TokenIds;
  /** Positions of the `<eos>` tokens, ascending: document `firstDocument + k` follows the k-th. */
  private readonly eosPositions: Int32Array;
  private readonly firstDocument: number;

  /** The corpus index of the document that follows these ids' last `<eos>` (where the next part of a split begins). */
  get endDocument(): number {
    return this.firstDocument + this.eosPositions.length;
  }

  /** Cuts windows over `ids`; throws when the ids are too short for one window. */
  constructor(ids: TokenIds, options: WindowOptions) {
    const { seqLen, stride = seqLen } = options;
    if (!Number.isInteger(seqLen) || seqLen < 1) {
      throw new Error(`Sequence length must be a whole number >= 1, got ${seqLen}. Try 100 for characters.`);
    }
    if (!Number.isInteger(stride) || stride < 1) {
      throw new Error(
        `Stride must be a whole number >= 1, got ${stride}. Leave ` +
          'it out to use the sequence length (non-overlapping windows).',
      );
    }
    if (ids.length < seqLen + 1) {
      const remedy =
        ids.length >= 2
          ? `Use a sequence length of at most ${ids.length - 1} or a longer corpus.`
          : 'Use a longer corpus (for a validation split: a larger valFraction).';
      throw new Error(
        `The corpus has ${ids.length} tokens, but a window of sequence length ${seqLen} needs ${seqLen + 1} ` +
          `(its inputs plus one shifted target). ${remedy}`,
      );
    }
    this.ids = ids;
    this.firstDocument = options.firstDocument ?? 0;
    this.eosPositions = positionsOf(ids, EOS_ID);
    this.seqLen = seqLen;
    this.stride = stride;
    this.size = Math.floor((ids.length - seqLen - 1) / stride) + 1;
    this.tokens = this.size * seqLen;
  }

  /** Number of batches per epoch (see {@link TokenDataset.batchesPerEpoch}). */
  batchesPerEpoch(batchSize: number, options?: BatchOptions): number {
    return countBatches(this.size, batchSize, options);
  }

  /** One epoch of window batches in shuffled (`rng`) or stored (null) order; no mask, windows have no padding. */
  *batches(batchSize: number, rng: Rng | null, options?: BatchOptions): Generator<Batch> {
    const count = this.batchesPerEpoch(batchSize, options);
    const order = epochOrder(this.size, rng);
    const { ids, seqLen, stride } = this;
    for (let b = 0; b < count; b++) {
      const rows = Math.min(batchSize, this.size - b * batchSize);
      const inputs = new Int32Array(rows * seqLen);
      const targets = new Int32Array(rows * seqLen);
      const documents = new Int32Array(rows);
      for (let row = 0; row < rows; row++) {
        const start = order[b * batchSize + row] * stride;
        inputs.set(ids.subarray(start, start + seqLen), row * seqLen);
        targets.set(ids.subarray(start + 1, start + seqLen + 1), row * seqLen);
        documents[row] = this.documentAt(start);
      }
      yield { inputs, targets, mask: null, batchSize: rows, seqLen, documents };
    }
  }

  /** The document of the token at `position`: `firstDocument` plus the number of `<eos>` tokens at or before it. */
  private documentAt(position: number): number {
    let [low, high] = [0, this.eosPositions.length];
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.eosPositions[mid] <= position) low = mid + 1;
      else high = mid;
    }
    return this.firstDocument + low;
  }
}

/** Positions where `ids` holds `id`, ascending. */
function positionsOf(ids: TokenIds, id: number): Int32Array {
  const positions: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === id) positions.push(i);
  return Int32Array.from(positions);
}

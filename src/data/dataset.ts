import type { Rng } from '../random';

/**
 * One training batch as plain typed arrays, row-major (batch, time); the model code turns them into tensors.
 * `targets[b, t]` is the token that should follow `inputs[b, t]`.
 */
export interface Batch {
  /** Input ids, `batchSize * seqLen`. */
  inputs: Int32Array;
  /** Target ids, `batchSize * seqLen`. */
  targets: Int32Array;
  /** 1 for real tokens, 0 for padding, `batchSize * seqLen`; null when the batch has no padding. */
  mask: Float32Array | null;
  /** Rows in this batch (the last batch of an epoch may be smaller when it is kept). */
  batchSize: number;
  /** Time steps per row. */
  seqLen: number;
  /** The corpus document each row comes from (its index), when the dataset knows: conditions are looked up by it. */
  documents?: Int32Array;
}

/** Options of {@link TokenDataset.batches}. */
export interface BatchOptions {
  /** Drop the last, smaller batch (default true, for training); pass false to see every example (validation). */
  dropRemainder?: boolean;
}

/** What the training loop needs from a dataset, whether it cuts windows or pads lines. */
export interface TokenDataset {
  /** Number of examples (windows or lines). */
  readonly size: number;
  /** Real (unpadded) target tokens over all examples: the work of one epoch, for tokens-per-second figures. */
  readonly tokens: number;
  /** Number of batches {@link TokenDataset.batches} yields with these arguments. */
  batchesPerEpoch(batchSize: number, options?: BatchOptions): number;
  /**
   * One epoch of batches. `rng` shuffles the example order (null keeps it). Each batch is freshly
   * allocated, so it may be kept after the next one is drawn.
   */
  batches(batchSize: number, rng: Rng | null, options?: BatchOptions): Generator<Batch>;
}

/** Real (unpadded) target tokens of a batch. */
export function realTokens(batch: Batch): number {
  if (batch.mask === null) return batch.targets.length;
  let count = 0;
  for (const m of batch.mask) count += m;
  return count;
}

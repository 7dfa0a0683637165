import type { BatchOptions } from './dataset';
import { shuffleInPlace, type Rng } from '../random';

/**
 * Number of batches in an epoch of `size` examples: 0 when dropping the remainder leaves no full batch (the
 * trainer says then which settings to change). Throws when `batchSize` is not a positive whole number.
 */
export function countBatches(size: number, batchSize: number, options: BatchOptions = {}): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`Batch size must be a whole number >= 1, got ${batchSize}. Try 32.`);
  }
  if (options.dropRemainder === false) return Math.ceil(size / batchSize);
  return Math.floor(size / batchSize);
}

/** The example indices `0 .. size-1` of one epoch, shuffled by `rng` or in order when it is null. */
export function epochOrder(size: number, rng: Rng | null): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  return rng ? shuffleInPlace(order, rng) : order;
}

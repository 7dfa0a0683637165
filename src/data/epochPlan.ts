import type { BatchOptions } from './dataset';
import { shuffleInPlace, type Rng } from '../random';

/**
 * Number of batches in an epoch of `size` examples. Throws when `batchSize` is not a positive whole
 * number, or when dropping the remainder would leave no batch at all.
 */
export function countBatches(size: number, batchSize: number, options: BatchOptions = {}): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`Batch size must be a whole number >= 1, got ${batchSize}. Try 32.`);
  }
  if (options.dropRemainder === false) return Math.ceil(size / batchSize);
  const count = Math.floor(size / batchSize);
  if (count === 0) {
    throw new Error(`Batch size ${batchSize} is larger than the ${size} examples of the dataset, so a training epoch would have no full batch. Use a batch size of at most ${size}, a longer corpus, or { dropRemainder: false }.`);
  }
  return count;
}

/** The example indices `0 .. size-1` of one epoch, shuffled by `rng` or in order when it is null. */
export function epochOrder(size: number, rng: Rng | null): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  return rng ? shuffleInPlace(order, rng) : order;
}

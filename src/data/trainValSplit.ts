import { shuffleInPlace, type Rng } from '../random';
import type { TokenIds } from '../vocab/tokenIds';

/** A train/validation split. */
export interface TrainValSplit<T> {
  train: T;
  val: T;
}

/**
 * Splits a flat id stream by position: the first part trains, the last `valFraction` validates.
 * Both are `subarray` views (no copy, same array type) and contiguous, so no window crosses from one into the other.
 * `valFraction` 0 gives an empty validation part.
 */
export function splitIds<T extends TokenIds>(ids: T, valFraction: number): TrainValSplit<T> {
  const valCount = countVal(ids.length, valFraction);
  const cut = ids.length - valCount;
  return { train: ids.subarray(0, cut) as T, val: ids.subarray(cut) as T };
}

/**
 * Splits items (for example encoded lines) at random with a seeded `rng`: `valFraction` of them
 * (rounded) validate, the rest train. Both parts keep the items' original order.
 * `valFraction` 0 gives an empty validation part.
 */
export function splitItems<T>(items: readonly T[], valFraction: number, rng: Rng): TrainValSplit<T[]> {
  const valCount = countVal(items.length, valFraction);
  const isVal = new Uint8Array(items.length);
  const order = shuffleInPlace(Array.from(items.keys()), rng);
  for (let i = 0; i < valCount; i++) isVal[order[i]] = 1;
  return {
    train: items.filter((_, i) => isVal[i] === 0),
    val: items.filter((_, i) => isVal[i] === 1),
  };
}

/** Number of validation items for a fraction; throws when the fraction is not in [0, 1). */
function countVal(length: number, valFraction: number): number {
  if (typeof valFraction !== 'number' || !(valFraction >= 0 && valFraction < 1)) {
    throw new Error(
      `valFraction must be a number in [0, 1), got ${valFraction}. Use for ` +
        'example 0.1 to validate on 10% of the data, or 0 for no validation.',
    );
  }
  return Math.round(length * valFraction);
}

import { SPECIAL_TOKENS } from './specialTokens';

/** The `minCount` / `maxSize` limits of a vocabulary build, checked and with defaults filled in. */
export interface BuildLimits {
  minCount: number;
  maxSize: number;
}

/**
 * Checks the `minCount` (default 1) and `maxSize` (default: no limit) build options; `unit` names one
 * token in messages ('character', 'word'). Throws an Error saying how to fix a bad value.
 */
export function checkBuildLimits(options: { minCount?: number; maxSize?: number }, unit: string): BuildLimits {
  const minCount = options.minCount ?? 1;
  const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(minCount) || minCount < 1) {
    throw new Error(`minCount must be a whole number >= 1, got ${minCount}. Use 1 to keep every ${unit}.`);
  }
  if (maxSize !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxSize) || maxSize <= SPECIAL_TOKENS.length)) {
    throw new Error(
      `maxSize must be a whole number >= ${SPECIAL_TOKENS.length + 1} (the ${SPECIAL_TOKENS.length} special ` +
        `tokens plus at least one ${unit}), got ${maxSize}. Raise it or leave it out for no limit.`,
    );
  }
  return { minCount, maxSize };
}

/** All counted tokens as `[token, count]`, most frequent first, ties in `compare` order. */
export function rankByCount<K>(counts: ReadonlyMap<K, number>, compare: (a: K, b: K) => number): [K, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
}

/**
 * The tokens a vocabulary keeps from a {@link rankByCount} ranking: those seen at least `minCount` times,
 * at most `maxSize` minus the specials. Throws a helpful Error when nothing is left; `unit` names one token.
 */
export function keepFrequent<K>(ranked: readonly (readonly [K, number])[], limits: BuildLimits, unit: string): K[] {
  if (ranked.length === 0) {
    throw new Error(
      `Cannot build a vocabulary: the texts contain no ${unit}s. Check ` +
        'that the corpus loaded and that the right text column was chosen.',
    );
  }
  const kept = ranked.filter(([, count]) => count >= limits.minCount);
  if (kept.length === 0) {
    throw new Error(
      `No ${unit} occurs at least minCount=${limits.minCount} times (the most frequent occurs ` +
        `${ranked[0][1]} times). Lower minCount.`,
    );
  }
  return kept.slice(0, limits.maxSize - SPECIAL_TOKENS.length).map(([token]) => token);
}

/** Returns the text, or throws a helpful Error when a corpus row is not a string (e.g. a missing CSV value). */
export function requireText(text: unknown, index: number): string {
  if (typeof text !== 'string') {
    throw new Error(
      `Text ${index} is ${text === null ? 'null' : typeof text}, not a string. Drop or fill the empty rows ` +
        `of the corpus (for example with fillNa('')) before encoding.`,
    );
  }
  return text;
}

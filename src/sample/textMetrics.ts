/** Numbers that describe one generated text (the generated part only, without the prompt). */
export interface TextMetrics {
  /** Number of words (see {@link wordsOf}). */
  words: number;
  /** Distinct word unigrams / all word unigrams; null when the text has no words. */
  distinct1: number | null;
  /** Distinct word bigrams / all word bigrams; null when the text has fewer than 2 words. */
  distinct2: number | null;
  /** Distinct word trigrams / all word trigrams; null when the text has fewer than 3 words. */
  distinct3: number | null;
  /**
   * Share of word 4-gram occurrences that already occurred earlier in the text (= 1 − distinct4); null below 4 words.
   */
  repeated4grams: number | null;
  /** Length in characters of the loop the text ends in (see {@link endingCycleLength}); null when it ends in none. */
  cycleLength: number | null;
  /** Share of words found in the given word set (the training corpus); null without a word set or without words. */
  knownWords: number | null;
}

/** Options of {@link endingCycleLength}. */
export interface EndingCycleOptions {
  /** Fewest characters the repeating tail must span, whatever the period (default 30). */
  minSpan?: number;
}

/** Default {@link EndingCycleOptions.minSpan}: long enough that "   " or the "ll" of "hello" are no loop. */
const DEFAULT_MIN_SPAN = 30;

/**
 * A word: a letter or digit, then letters, digits and combining marks, where an apostrophe (' or ’) or a
 * hyphen (-) joins two such runs. Everything else separates words.
 */
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’-][\p{L}\p{N}][\p{L}\p{M}\p{N}]*)*/gu;

/**
 * The lower-cased words of a text, in order. A word is a maximal run of Unicode letters (`\p{L}`) and
 * digits (`\p{N}`), with combining marks (`\p{M}`) after its first character, in which a single
 * apostrophe (' or ’) or ASCII hyphen (-) may join two runs: "Don't" → "don't", "well-known" → "well-known",
 * "'tis" → "tis", "3.14" → "3", "14", "end--" → "end". Punctuation, spaces, symbols and emoji separate words.
 */
export function wordsOf(text: string): string[] {
  return Array.from(text.matchAll(WORD), (match) => match[0].toLowerCase());
}

/** All words of a corpus (as {@link wordsOf} splits them), for {@link textMetrics}' `knownWords`. */
export function wordSet(texts: Iterable<string>): Set<string> {
  const words = new Set<string>();
  for (const text of texts) for (const word of wordsOf(text)) words.add(word);
  return words;
}

/** How many n-grams `items` has, and how many of them are distinct. */
function countNgrams(items: readonly string[], n: number): { total: number; distinct: number } {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`The n-gram size must be a whole number >= 1, got ${n}. Pass 1 for unigrams, 2 for bigrams, ...`);
  }
  const total = Math.max(0, items.length - n + 1);
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(JSON.stringify(items.slice(i, i + n)));
  return { total, distinct: seen.size };
}

/**
 * Distinct n-grams of `items` / all n-grams (distinct-n): 1 when nothing repeats, near 0 for a text that
 * loops. Null when `items` is shorter than `n`. Works on words ({@link wordsOf}) or characters (`Array.from(text)`).
 */
export function distinctRatio(items: readonly string[], n: number): number | null {
  const { total, distinct } = countNgrams(items, n);
  return total === 0 ? null : distinct / total;
}

/**
 * Share of the n-gram occurrences of `items` that already occurred earlier (repeats / all n-grams,
 * i.e. 1 − {@link distinctRatio}): 0 when nothing repeats, near 1 for a text that loops. Null when
 * `items` is shorter than `n`.
 */
export function repeatedNgramShare(items: readonly string[], n: number): number | null {
  const { total, distinct } = countNgrams(items, n);
  return total === 0 ? null : (total - distinct) / total;
}

/**
 * Length of the loop a text ends in, as greedy decoding produces ("the company and the company and …"),
 * in characters (code points, so an emoji counts once). It is the smallest period p ≥ 1 such that the
 * last max(3p, minSpan) characters of the text repeat with period p (each equals the character p
 * before it): the loop must show at least three times and cover at least `minSpan` characters, so
 * short accidents ("ll", a few spaces) do not count. The text may end in the middle of the loop.
 * Null when no period qualifies (always for texts shorter than `minSpan`); p is at most a third of the length.
 */
export function endingCycleLength(text: string, options: EndingCycleOptions = {}): number | null {
  const minSpan = options.minSpan ?? DEFAULT_MIN_SPAN;
  if (!Number.isInteger(minSpan) || minSpan < 1) {
    throw new Error(
      `minSpan must be a whole number >= 1, got ${minSpan}. Pass the ` +
        `fewest characters a loop must cover (default ${DEFAULT_MIN_SPAN}).`,
    );
  }
  const chars = Array.from(text);
  const n = chars.length;
  for (let p = 1; Math.max(3 * p, minSpan) <= n; p++) {
    const start = n - Math.max(3 * p, minSpan);
    let i = n - 1;
    while (i >= start + p && chars[i] === chars[i - p]) i--;
    if (i < start + p) return p;
  }
  return null;
}

/**
 * Text-only metrics of one generated text (pass the generated part without the prompt): word count,
 * distinct-1/2/3 and repeated 4-grams over {@link wordsOf} words, the length of the loop it ends in
 * ({@link endingCycleLength} with default options) and, given the training corpus' {@link wordSet},
 * the share of its words that the corpus contains. High temperatures give few known words; greedy
 * decoding gives a cycle length and many repeated 4-grams.
 */
export function textMetrics(text: string, knownWords?: ReadonlySet<string>): TextMetrics {
  const words = wordsOf(text);
  return {
    words: words.length,
    distinct1: distinctRatio(words, 1),
    distinct2: distinctRatio(words, 2),
    distinct3: distinctRatio(words, 3),
    repeated4grams: repeatedNgramShare(words, 4),
    cycleLength: endingCycleLength(text),
    knownWords:
      knownWords === undefined || words.length === 0
        ? null
        : words.filter((word) => knownWords.has(word)).length / words.length,
  };
}

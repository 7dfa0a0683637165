import { UNK_ID, type Vocabulary } from '../vocab';

/** Levenshtein distance between two token sequences: insertions, deletions and substitutions, each 1. */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** A source with the target it should give (and, if it has several right targets, the others). */
export interface Pair {
  source: string;
  target: string;
  /** Other right targets (a word's other pronunciations): an output equal to any of them is right too. */
  references?: string[];
}

/** One evaluated pair: what the model gave, and how far it is from the closest right target. */
export interface EvaluatedPair extends Pair {
  output: string;
  /** The right target the output was scored against: the closest of `target` and `references` (first on a tie). */
  reference: string;
  exact: boolean;
  /** Edit distance in target tokens to `reference`. */
  edits: number;
}

/** How well a sequence-to-sequence model does on pairs. */
export interface TranslationScores {
  /** Pairs scored. */
  pairs: number;
  /**
   * Pairs left out because their source is longer than the model reads (its longest training source); none by
   * {@link scoreTranslations}.
   */
  skipped: number;
  /** Share of pairs whose output tokens equal a right target's (the target's, or a reference's). */
  exactMatch: number;
  /** Share of pairs whose output differs from every right target: 1 − exactMatch (CMUdict's "word error rate"). */
  wordErrorRate: number;
  /** Edit distance over all pairs / tokens of their closest right targets (the phoneme or word error rate). */
  tokenErrorRate: number;
  /** Every pair with its output, in the order given. */
  results: EvaluatedPair[];
}

/** The key of a right target's token the vocabulary lacks: equal to no output token's (an output `<unk>` included). */
const NOT_IN_VOCABULARY = Symbol('not in the vocabulary');

/** How {@link scoreTranslations} compares. */
export interface ScoreOptions {
  /**
   * What two target tokens must share to count as the same (default: the token itself) — e.g. a phoneme without its
   * stress digit, as published CMUdict results are scored.
   */
  tokenKey?: (token: string) => string;
}

/**
 * Scores each output against the closest of its pair's right targets (its target and references, as Sequitur scores
 * CMUdict), token by token (tokens of `vocab`, compared by `options.tokenKey`; a right target's token outside `vocab`
 * matches nothing, not even an output `<unk>`): `outputs[i]` is pair i's decoded target.
 */
export function scoreTranslations(
  vocab: Vocabulary,
  pairs: readonly Pair[],
  outputs: readonly { text: string; tokens: readonly number[] }[],
  options: ScoreOptions = {},
): TranslationScores {
  if (outputs.length !== pairs.length)
    throw new Error(`${outputs.length} outputs for ${pairs.length} pairs; give one output per pair, in order.`);
  if (pairs.length === 0) throw new Error('No pairs to score; give at least one.');
  const key = options.tokenKey ?? ((token: string) => token);
  const keys = (ids: ArrayLike<number>) => Array.from(ids, (id) => key(vocab.tokens[id]));
  const targetKeys = (text: string) =>
    Array.from(vocab.encode(text), (id) => (id === UNK_ID ? NOT_IN_VOCABULARY : key(vocab.tokens[id])));
  let edits = 0;
  let targetTokens = 0;
  const results = pairs.map((pair, i) => {
    const output = keys(outputs[i].tokens);
    const scored = [pair.target, ...(pair.references ?? [])].map((reference) => {
      const target = targetKeys(reference);
      return { reference, length: target.length, distance: editDistance(output, target) };
    });
    const closest = scored.reduce((best, next) => (next.distance < best.distance ? next : best));
    edits += closest.distance;
    targetTokens += closest.length;
    return {
      ...pair,
      output: outputs[i].text,
      reference: closest.reference,
      exact: closest.distance === 0,
      edits: closest.distance,
    };
  });
  const exact = results.filter((r) => r.exact).length;
  return {
    pairs: pairs.length,
    skipped: 0,
    exactMatch: exact / pairs.length,
    wordErrorRate: (pairs.length - exact) / pairs.length,
    tokenErrorRate: edits / Math.max(targetTokens, 1),
    results,
  };
}

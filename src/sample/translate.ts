import type { EngineChoice } from '../engines';
import { padSources } from '../data/sourceData';
import { encodeSources, type SourceEncoder } from '../model';
import { EOS_ID } from '../vocab';
import { beamSearch } from './beamSearch';
import { generateBatch } from './generate';
import type { TextGenerator } from './textGenerator';

/** How a sequence-to-sequence model decodes: greedy (default), sampling at a temperature, or beam search. */
export interface TranslateOptions {
  /** Beam search with this many hypotheses (1, the default, is greedy decoding). */
  beam?: number;
  /** Without a beam: 0 (default) is greedy, above 0 samples at that temperature. */
  temperature?: number;
  /** Seed of the first source's sample (source i uses `seed + i`); default 42. */
  seed?: number;
  /** With a beam: α of the length normalisation (see `beamSearch`); default 0.6. */
  lengthPenalty?: number;
  /** Target tokens at most (default 100); a translation ends earlier at `<eos>`. */
  length?: number;
  engine?: EngineChoice;
}

/** A source and the target the model decoded for it. */
export interface Translation {
  source: string;
  /** The decoded target text. */
  text: string;
  /** Its token ids (`<eos>` not included). */
  tokens: number[];
  /** Whether the model ended the target (`<eos>`) before `length` tokens. */
  endedAtEos: boolean;
  /** A model with attention: each target token's weights over the source tokens. */
  attention?: number[][];
}

/** Rows decoded together by {@link translate} when it samples or decodes greedily. */
const CHUNK = 256;

/**
 * Decodes each source text with a sequence-to-sequence model: the encoder's final state starts the decoder (its
 * `decoder` network; one with attention also reads the encoder's outputs at every step), which generates the target
 * from `<eos>` until it produces `<eos>`. Greedy and sampled
 * translations run in batches; beam search one source at a time (its hypotheses are the batch).
 */
export function translate(
  decoder: TextGenerator,
  source: SourceEncoder,
  texts: readonly string[],
  options: TranslateOptions = {},
): Translation[] {
  const { beam = 1, temperature = 0, seed = 42, lengthPenalty, length = 100, engine } = options;
  if (!(Number.isInteger(beam) && beam >= 1)) throw new Error(`The beam must be a whole number ≥ 1, got ${beam}.`);
  if (beam > 1 && temperature !== 0)
    throw new Error('Beam search takes the most probable tokens; give a beam or a temperature, not both.');
  const { maxLen } = source.config;
  // Encoded and checked once, all of them: an over-long source is named by its place in `texts`.
  const ids = padSources(
    texts.map((text) => source.vocab.encode(text)),
    maxLen,
  );
  const out: Translation[] = [];
  for (let start = 0; start < texts.length; start += CHUNK) {
    const chunk = texts.slice(start, start + CHUNK);
    const starts = encodeSources(source.encoder, ids.subarray(start * maxLen, (start + chunk.length) * maxLen), maxLen);
    if (beam > 1) {
      chunk.forEach((text, i) => {
        const [best] = beamSearch(decoder, { beam, length, lengthPenalty, engine, initialState: starts[i] });
        out.push({
          source: text,
          text: best.text,
          tokens: best.tokens.filter((t) => t !== EOS_ID),
          endedAtEos: best.endedAtEos,
          ...(best.attention && { attention: best.attention }),
        });
      });
      continue;
    }
    const requests = starts.map((initialState, i) => ({ initialState, temperature, seed: seed + start + i }));
    generateBatch(decoder, requests, { length, engine }).forEach((generation, i) => {
      out.push({
        source: chunk[i],
        text: generation.text,
        tokens: generation.tokens,
        endedAtEos: generation.endedAtEos,
        ...(generation.attention && { attention: generation.attention }),
      });
    });
  }
  return out;
}

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

/** A source with the target it should give. */
export interface Pair {
  source: string;
  target: string;
}

/** One evaluated pair: what the model gave, and how far it is from the target. */
export interface EvaluatedPair extends Pair {
  output: string;
  exact: boolean;
  /** Edit distance in target tokens. */
  edits: number;
}

/** How well a sequence-to-sequence model does on pairs. */
export interface TranslationScores {
  /** Pairs scored. */
  pairs: number;
  /** Pairs left out because their source is longer than the model reads (its longest training source). */
  skipped: number;
  /** Share of pairs whose output tokens equal the target's. */
  exactMatch: number;
  /** Share of pairs whose output differs from the target in any token: 1 − exactMatch (CMUdict's "word error rate"). */
  wordErrorRate: number;
  /** Edit distance over all pairs / target tokens over all pairs (the phoneme or word error rate). */
  tokenErrorRate: number;
  /** Every pair with its output, in the order given. */
  results: EvaluatedPair[];
}

/** A CMUdict phoneme without its stress digit (AH1 → AH); other tokens as they are. */
export function withoutStress(token: string): string {
  return token.replace(/(?<=[A-Z])[012]$/, '');
}

/** How {@link evaluateTranslations} decodes and compares. */
export interface EvaluateOptions extends TranslateOptions {
  /**
   * What two target tokens must share to count as the same (default: the token itself) — e.g. a phoneme without its
   * stress digit, as published CMUdict results are scored.
   */
  tokenKey?: (token: string) => string;
}

/**
 * Decodes every pair's source (see {@link translate}) and scores the outputs against the targets, token by token
 * (tokens compared by `options.tokenKey`); pairs whose source is longer than the model reads are left out and counted
 * in `skipped`.
 */
export function evaluateTranslations(
  decoder: TextGenerator,
  source: SourceEncoder,
  given: readonly Pair[],
  options: EvaluateOptions = {},
): TranslationScores {
  const pairs = given.filter((pair) => source.vocab.encode(pair.source).length <= source.config.maxLen);
  if (pairs.length === 0)
    throw new Error(
      `No pairs to evaluate (${given.length} given, none with a source of at most ${source.config.maxLen} tokens).`,
    );
  const outputs = translate(
    decoder,
    source,
    pairs.map((p) => p.source),
    options,
  );
  const { tokens } = decoder.vocab;
  const key = options.tokenKey ?? ((token: string) => token);
  const keys = (ids: ArrayLike<number>) => Array.from(ids, (id) => key(tokens[id]));
  let edits = 0;
  let targetTokens = 0;
  const results = pairs.map((pair, i) => {
    const target = decoder.vocab.encode(pair.target);
    const distance = editDistance(keys(outputs[i].tokens), keys(target));
    edits += distance;
    targetTokens += target.length;
    return { ...pair, output: outputs[i].text, exact: distance === 0, edits: distance };
  });
  const exact = results.filter((r) => r.exact).length;
  return {
    pairs: pairs.length,
    skipped: given.length - pairs.length,
    exactMatch: exact / pairs.length,
    wordErrorRate: (pairs.length - exact) / pairs.length,
    tokenErrorRate: edits / Math.max(targetTokens, 1),
    results,
  };
}

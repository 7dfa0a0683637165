import type { EngineChoice } from '../engines';
import { padSources } from '../data/sourceData';
import { encodeSources, type SourceEncoder } from '../model';
import { EOS_ID } from '../vocab';
import { beamSearch } from './beamSearch';
import { generateBatch } from './generate';
import type { TextGenerator } from './textGenerator';
import { type Pair, type ScoreOptions, scoreTranslations, type TranslationScores } from './translationScores';

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

/** How {@link evaluateTranslations} decodes and scores. */
export interface EvaluateOptions extends TranslateOptions, ScoreOptions {}

/**
 * Decodes every pair's source (see {@link translate}) and scores the outputs (see {@link scoreTranslations}); pairs
 * whose source is longer than the model reads are left out and counted in `skipped`.
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
  return { ...scoreTranslations(decoder.vocab, pairs, outputs, options), skipped: given.length - pairs.length };
}

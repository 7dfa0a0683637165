import type { EngineChoice } from '../engines';
import type { RowStart } from '../model';
import { generateBatch, GenerationRequest } from './generate';
import type { TextGenerator } from './textGenerator';
import type { SamplingOptions } from './sampler';
import { textMetrics, TextMetrics } from './textMetrics';

/** The lesson's prompts for comparing temperatures. */
export const LESSON_PROMPTS: readonly string[] = [
  'Today ',
  'On Sunday ',
  'Moscow, ',
  'President ',
  'Little red riding hood ',
];

/** The lesson's temperatures, from nearly greedy to nearly random. */
export const LESSON_TEMPERATURES: readonly number[] = [0.3, 0.8, 1.0, 1.3, 1.8];

/** Numbers about one sample: what the model thought of it and what the text looks like. */
export interface SampleMetrics extends TextMetrics {
  /** Mean log-probability per token (nats) under the model at T = 1; higher = more typical for the model. */
  logLikelihood: number | null;
  /** Mean entropy (nats) of the model's next-token distribution along the sample. */
  entropy: number | null;
}

/** One cell of the comparison: a prompt continued at one temperature. */
export interface ComparisonRow {
  prompt: string;
  temperature: number;
  /** The prompt followed by the generated text. */
  text: string;
  /** Metrics of the generated part (the prompt excluded). */
  metrics: SampleMetrics;
}

/** Options of {@link compareTemperatures}. */
export interface ComparisonOptions extends Omit<SamplingOptions, 'temperature'> {
  /** Default: the lesson's {@link LESSON_PROMPTS}. */
  prompts?: readonly string[];
  /** Default: the lesson's {@link LESSON_TEMPERATURES}. */
  temperatures?: readonly number[];
  /** Tokens per sample (default 300). */
  length?: number;
  /**
   * Seed of the first prompt's samples (default 42); the i-th prompt uses `seed + i`. Each cell is exactly what
   * `generate` gives for its prompt and temperature with that seed, and the temperatures of one prompt share their
   * random numbers, which makes them comparable.
   */
  seed?: number;
  /** Words of the training corpus, for the share of generated words that exist there (see `wordSet`). */
  knownWords?: ReadonlySet<string>;
  /** Engine that runs the network's steps; default `auto`. */
  engine?: EngineChoice;
  /** Where every sample starts (e.g. a condition's state, see `GenerationRequest.initialState`); default zeros. */
  initialState?: RowStart;
}

/**
 * The lesson's comparison: every prompt continued at every temperature (prompt-major order), generated as one
 * batch, with the metrics of each sample.
 */
export function compareTemperatures(trained: TextGenerator, options: ComparisonOptions = {}): ComparisonRow[] {
  const {
    prompts = LESSON_PROMPTS,
    temperatures = LESSON_TEMPERATURES,
    length = 300,
    seed = 42,
    knownWords,
    engine,
    ...sampling
  } = options;
  if (prompts.length === 0 || temperatures.length === 0)
    throw new Error('Give at least one prompt and one temperature to compare.');
  const requests: GenerationRequest[] = prompts.flatMap((prompt, i) =>
    temperatures.map((temperature) => ({ ...sampling, prompt, temperature, seed: seed + i })),
  );
  const generations = generateBatch(trained, requests, { length, engine });
  return generations.map((generation, i) => ({
    prompt: generation.prompt,
    temperature: requests[i].temperature!,
    text: generation.text,
    metrics: {
      ...textMetrics(generation.text.slice(generation.prompt.length), knownWords),
      logLikelihood: generation.logLikelihood,
      entropy: generation.entropy,
    },
  }));
}

import type { Rng } from '../random';
import { PAD_ID, UNK_ID } from '../vocab';
import {
  applyTemperature,
  argmax,
  LogitsProcessor,
  repetitionPenalty,
  sampleFromLogits,
  suppressTokens,
  topK,
  topP,
} from './logits';

/** How the next token is chosen from the model's logits. */
export interface SamplingOptions {
  /** 0 picks the most likely token every time (greedy); above 0 samples from softmax(logits / T). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens (k ≥ 1); default: no limit. */
  topK?: number;
  /** Sample only among the most likely tokens whose probabilities add up to p, 0 < p ≤ 1; default 1 (off). */
  topP?: number;
  /** > 1 makes recently used tokens less likely (CTRL penalty); default 1 (off). */
  repetitionPenalty?: number;
  /** How many of the latest tokens the repetition penalty looks at; default {@link DEFAULT_REPETITION_WINDOW}. */
  repetitionWindow?: number;
}

/** Tokens the repetition penalty looks back at unless told otherwise. */
export const DEFAULT_REPETITION_WINDOW = 20;

/** Checks a sampling temperature: 0 (greedy) or a finite number > 0. */
export function checkTemperature(temperature: number): number {
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new Error(`Temperature must be 0 (greedy) or a positive number such as 0.8, got ${temperature}.`);
  }
  return temperature;
}

/** Checks every sampling option and fills in the defaults; throws a message naming the bad option. */
export function resolveSampling(options: SamplingOptions = {}): Required<SamplingOptions> {
  const {
    topK: k = Infinity,
    topP: p = 1,
    repetitionPenalty: penalty = 1,
    repetitionWindow: window = DEFAULT_REPETITION_WINDOW,
  } = options;
  if (k !== Infinity && (!Number.isInteger(k) || k < 1)) {
    throw new Error(`top-k must be a whole number ≥ 1, got ${k}.`);
  }
  if (!(p > 0 && p <= 1)) throw new Error(`top-p must be in (0, 1], e.g. 0.9, got ${p}.`);
  if (!(Number.isFinite(penalty) && penalty > 0))
    throw new Error(`The repetition penalty must be a number > 0 (1 = off, 1.2 = mild), got ${penalty}.`);
  if (!Number.isInteger(window) || window < 1)
    throw new Error(`The repetition window must be a whole number ≥ 1, got ${window}.`);
  return {
    temperature: checkTemperature(options.temperature ?? 1),
    topK: k,
    topP: p,
    repetitionPenalty: penalty,
    repetitionWindow: window,
  };
}

/**
 * The logits processors for the given options, in the order they apply: `<pad>` and `<unk>` suppressed
 * (always), repetition penalty, temperature, top-k, top-p.
 */
export function logitsProcessors(options: SamplingOptions = {}): LogitsProcessor[] {
  const s = resolveSampling(options);
  const processors = [suppressTokens([PAD_ID, UNK_ID])];
  if (s.repetitionPenalty !== 1) processors.push(repetitionPenalty(s.repetitionPenalty, s.repetitionWindow));
  if (s.temperature > 0) processors.push(applyTemperature(s.temperature));
  if (s.topK !== Infinity) processors.push(topK(s.topK));
  if (s.topP < 1) processors.push(topP(s.topP));
  return processors;
}

/**
 * Chooses next tokens: applies its processors to a row of logits, then takes the argmax (T = 0) or a draw from its RNG.
 */
export class TokenSampler {
  private readonly processors: LogitsProcessor[];
  private readonly greedy: boolean;
  private scratch: Float64Array | undefined;

  constructor(
    options: SamplingOptions,
    private readonly rng: Rng,
  ) {
    this.processors = logitsProcessors(options);
    this.greedy = resolveSampling(options).temperature === 0;
  }

  /** Processes `logits` in place and returns the chosen token id. */
  choose(logits: Float32Array, history: readonly number[]): number {
    for (const process of this.processors) process(logits, history);
    if (this.greedy) return argmax(logits);
    if (this.scratch?.length !== logits.length) this.scratch = new Float64Array(logits.length);
    return sampleFromLogits(logits, this.rng, this.scratch);
  }
}

import type { TokenData } from '../data';
import type { Condition } from '../model';
import type { StopReason, TrainResult } from './trainer';

/** The figures of a finished run, as `gennet train --json` prints them and the artifact records them. */
export interface TrainSummary {
  /** TensorFlow.js backend that ran it. */
  backend: string;
  /** The engine that ran the steps. */
  engine: string;
  /** Threads that computed each step. */
  threads: number;
  /** Optimisation steps done. */
  steps: number;
  /** Why training ended: `epochs`, `max-steps`, `patience` (validations without a new best) or `minutes`. */
  stopReason: StopReason;
  /** The step of the saved weights: the best validation's (null without a validation split: the last step's). */
  bestStep: number | null;
  /** Steady-state training throughput (characters of text per second, first step excluded). */
  charsPerSecond: number;
  /** Mean training loss of the last epoch, nats per token. */
  trainLoss: number;
  /** Validation loss of the saved (best) weights, nats per token; null without a validation split. */
  valLoss: number | null;
  /** Validation loss in bits per character of text (comparable between char and word models). */
  valBitsPerChar: number | null;
  /** e^valLoss: how many tokens the model hesitates between, on average. */
  valPerplexity: number | null;
  /** Loss of a model that ignores context (nats per token): the baseline to beat. */
  unigramEntropy: number;
  /** What a token is: `char` or `word`. */
  level: string;
  /** Characters of text per token (1 for characters). */
  charsPerToken: number;
  vocabSize: number;
  /** Trainable parameters of the network. */
  params: number;
  /** Wall time of the run (a resumed run includes its earlier part). */
  seconds: number;
  /** Model directory. */
  out: string;
  /** A conditional model's conditions: each column with the values it learned. Absent for a plain model. */
  conditions?: Record<string, string[]>;
  /**
   * A conditional model's validation loss when each document gets another document's conditions (nats per token):
   * how much the conditions help is its distance above `valLoss`. Absent for a plain model.
   */
  valLossShuffledConditions?: number | null;
  /** A sequence-to-sequence model's source side: its column, token level, vocabulary size and longest source. */
  source?: { column: string; level: string; vocabSize: number; maxLen: number };
  /** A sequence-to-sequence model's validation loss when each target is decoded from another pair's source. */
  valLossShuffledSources?: number | null;
}

/** The summary of a finished run of `params` parameters on `data`, saved in `out`. */
export function summarizeRun(
  result: TrainResult,
  data: TokenData,
  run: {
    backend: string;
    threads: number;
    params: number;
    out: string;
    conditions?: Condition[];
    source?: TrainSummary['source'];
  },
): TrainSummary {
  return {
    backend: run.backend,
    engine: result.engine,
    threads: run.threads,
    steps: result.steps,
    stopReason: result.stopReason,
    bestStep: result.bestStep,
    charsPerSecond: Math.round(result.charsPerSecond),
    trainLoss: result.trainLoss,
    valLoss: result.valLoss,
    valBitsPerChar: result.valBitsPerChar,
    valPerplexity: result.valLoss === null ? null : Math.exp(result.valLoss),
    unigramEntropy: data.unigramEntropy,
    level: data.vocab.unit,
    charsPerToken: data.charsPerToken,
    vocabSize: data.vocab.size,
    params: run.params,
    seconds: result.seconds,
    out: run.out,
    ...(run.conditions === undefined
      ? {}
      : {
          conditions: Object.fromEntries(run.conditions.map((c) => [c.column, c.values])),
          valLossShuffledConditions: result.valLossShuffledConditions ?? null,
        }),
    ...(run.source === undefined
      ? {}
      : { source: run.source, valLossShuffledSources: result.valLossShuffledConditions ?? null }),
  };
}

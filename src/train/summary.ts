import type { TokenData } from '../data';
import type { TrainResult } from './trainer';

/** The figures of a finished run, as `gennet train --json` prints them and the artifact records them. */
export interface TrainSummary {
  backend: string;
  /** The engine that ran the steps. */
  engine: string;
  threads: number;
  steps: number;
  /** Steady-state training throughput (characters of text per second, first step excluded). */
  charsPerSecond: number;
  /** Nats per token. */
  trainLoss: number;
  valLoss: number | null;
  valBitsPerChar: number | null;
  /** e^valLoss: how many tokens the model hesitates between, on average. */
  valPerplexity: number | null;
  /** Loss of a model that ignores context (nats per token): the baseline to beat. */
  unigramEntropy: number;
  level: string;
  charsPerToken: number;
  vocabSize: number;
  params: number;
  seconds: number;
  /** Model directory. */
  out: string;
}

/** The summary of a finished run of `params` parameters on `data`, saved in `out`. */
export function summarizeRun(
  result: TrainResult, data: TokenData, run: { backend: string; threads: number; params: number; out: string },
): TrainSummary {
  return {
    backend: run.backend,
    engine: result.engine,
    threads: run.threads,
    steps: result.steps,
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
  };
}

import type { ComparisonRow, SampleMetrics } from '../sample/temperatureComparison';
import type { Figure } from './figure';
import { temperatureMetricsFigure } from './temperatureFigures';

const DIVERSITY: Partial<Record<keyof SampleMetrics, string>> = {
  distinct1: 'distinct words (distinct-1)',
  distinct2: 'distinct word pairs (distinct-2)',
  distinct3: 'distinct word triples (distinct-3)',
  repeated4grams: 'repeated word 4-grams',
  knownWords: 'words found in the corpus',
};

const LIKELIHOOD: Partial<Record<keyof SampleMetrics, string>> = {
  logLikelihood: 'log-likelihood per token (model, T = 1)',
  entropy: 'entropy of the next-token distribution',
};

/** Shares in [0, 1] against temperature, averaged over prompts: variety rises and real words fall as T grows. */
export function diversityFigure(rows: readonly ComparisonRow[]): Figure {
  const names = (Object.keys(DIVERSITY) as (keyof SampleMetrics)[]).filter((name) =>
    rows.some((row) => row.metrics[name] !== null),
  );
  return temperatureMetricsFigure(rows, names, {
    title: 'Variety and realism of samples by temperature',
    yTitle: 'share',
    labels: DIVERSITY,
  });
}

/** What the model thinks of its own samples against temperature (nats per token), averaged over prompts. */
export function likelihoodFigure(rows: readonly ComparisonRow[]): Figure {
  return temperatureMetricsFigure(rows, Object.keys(LIKELIHOOD) as (keyof SampleMetrics)[], {
    title: 'Model log-likelihood and entropy along the samples',
    yTitle: 'nats per token',
    labels: LIKELIHOOD,
  });
}

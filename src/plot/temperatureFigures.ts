import type { Plot } from 'nodeplotlib';
import type { Figure } from './figure';

/** The next-token distribution at one temperature, an input of {@link nextTokenFigure}. */
export interface TemperatureDistribution {
  /** Sampling temperature the probabilities were computed at (0 = greedy). */
  temperature: number;
  /** Probability of every token, indexed by token id (softmax of logits / temperature). */
  probs: ArrayLike<number>;
}

/** Options of {@link nextTokenFigure}. */
export interface NextTokenFigureOptions {
  /** How many of the most likely tokens to show (default 15, at most the vocabulary size). */
  top?: number;
  /** Figure title (default "Next-token probabilities by temperature"). */
  title?: string;
}

/**
 * Metric values by name, as {@link temperatureMetricsFigure} reads them: numbers, or null (or a missing
 * name) for "no value". With literal metric names it is an object with those optional keys, so any
 * object that has them fits (e.g. `{ ...textMetrics(sample), logLikelihood }`); with plain `string`
 * names it is any object, checked when the figure is built.
 */
export type MetricValues<M extends string> = string extends M ? object : { readonly [K in M]?: number | null };

/** One generated sample's metrics at a temperature, an input row of {@link temperatureMetricsFigure}. */
export interface TemperatureMetricsRow<M extends string = string> {
  /** Sampling temperature of the sample. */
  temperature: number;
  /** The sample's metric values; null or missing values are left out of the means. */
  metrics: MetricValues<M>;
}

/** Options of {@link temperatureMetricsFigure}. */
export interface TemperatureMetricsFigureOptions<M extends string = string> {
  /** Figure title (default "Sample metrics by temperature"). */
  title?: string;
  /** Y axis title (default "mean over samples"). */
  yTitle?: string;
  /** Legend name per metric name (default: the metric name). */
  labels?: { readonly [K in M]?: string };
}

const DEFAULT_TOP = 15;
/** How far the probabilities of one distribution may sum away from 1 (float32 rounding). */
const SUM_TOLERANCE = 1e-3;

/** Visible stand-ins for characters that would be blank on an axis. */
const VISIBLE: Readonly<Record<string, string>> = { ' ': '␣', '\n': '⏎', '\t': '⇥' };

/**
 * A token label as it can be read on an axis: space → "␣", newline → "⏎", tab → "⇥"; every other
 * character is kept.
 */
export function visibleTokenLabel(label: string): string {
  return label.replace(/[ \n\t]/g, (c) => VISIBLE[c]);
}

/**
 * The lesson's "probability of the next character after `play`" at several temperatures: grouped
 * bars, one trace per temperature (named "T = 0.3"), over the `top` most likely tokens ranked by the
 * T = 1 distribution (or the first one when none has T = 1; ties keep the lower token id). Labels are
 * made visible with {@link visibleTokenLabel}; labels that still coincide get their token id appended
 * ("␣ #3"). Throws when a distribution's length differs from `labels`, when it is not a probability
 * distribution (negative, non-finite, or not summing to 1, e.g. logits), or for repeated temperatures.
 */
export function nextTokenFigure(
  distributions: readonly TemperatureDistribution[],
  labels: readonly string[],
  options: NextTokenFigureOptions = {},
): Figure {
  if (distributions.length === 0) {
    throw new Error(
      'nextTokenFigure needs at least one distribution; pass one { temperature, probs } per temperature.',
    );
  }
  const top = options.top ?? DEFAULT_TOP;
  if (!Number.isInteger(top) || top < 1) {
    throw new Error(`top must be a whole number >= 1, got ${top}. Pass how many of the most likely tokens to show.`);
  }
  distributions.forEach((d, i) => checkDistribution(d, i, labels.length));
  const temperatures = distributions.map((d) => d.temperature);
  temperatures.forEach((t, i) => {
    if (temperatures.indexOf(t) !== i) {
      throw new Error(`Temperature ${t} appears twice among the distributions; pass one distribution per temperature.`);
    }
  });
  const ranking = distributions.find((d) => d.temperature === 1) ?? distributions[0];
  const ids = Array.from(labels.keys())
    .sort((a, b) => ranking.probs[b] - ranking.probs[a] || a - b)
    .slice(0, top);
  const x = axisLabels(ids, labels);
  return {
    data: distributions.map((d): Plot => ({
      type: 'bar',
      name: `T = ${d.temperature}`,
      x,
      y: ids.map((id) => d.probs[id]),
    })),
    layout: {
      title: options.title ?? 'Next-token probabilities by temperature',
      xaxis: { title: `next token (the ${ids.length} most likely at T = ${ranking.temperature})`, type: 'category' },
      yaxis: { title: 'probability' },
    },
  };
}

function checkDistribution(d: TemperatureDistribution, index: number, size: number): void {
  if (!Number.isFinite(d.temperature) || d.temperature < 0) {
    throw new Error(`Distribution ${index} has temperature ${d.temperature}; use 0 (greedy) or a positive number.`);
  }
  if (d.probs.length !== size) {
    throw new Error(
      `The distribution at T = ${d.temperature} has ${d.probs.length} probabilities but there are ${size} ` +
        `labels; pass one label per token id (e.g. the vocabulary's tokens).`,
    );
  }
  let sum = 0;
  for (let i = 0; i < d.probs.length; i++) {
    const p = d.probs[i];
    if (!Number.isFinite(p) || p < 0) {
      throw new Error(
        `The distribution at T = ${d.temperature} has probability ${p} for token ${i}; pass probabilities ` +
          '(softmax of logits / T), not logits.',
      );
    }
    sum += p;
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    throw new Error(
      `The probabilities at T = ${d.temperature} sum to ${sum}, not 1; pass the full softmax over the vocabulary.`,
    );
  }
}

/** Visible labels of the chosen token ids, with the id appended to every label that occurs more than once. */
function axisLabels(ids: readonly number[], labels: readonly string[]): string[] {
  const visible = ids.map((id) => visibleTokenLabel(labels[id]));
  return visible.map((label, i) =>
    visible.indexOf(label) === visible.lastIndexOf(label) ? label : `${label} #${ids[i]}`,
  );
}

/**
 * Metrics of generated samples against temperature: one lines+markers trace per metric (in the order
 * of `metricNames`, named by `options.labels`), x = each temperature present in `rows` (ascending),
 * y = the mean of the metric over the rows at that temperature, ignoring nulls; a temperature where
 * all are null gives a gap. Generic over metrics: use it for ratios in [0, 1] (distinct-n, known words)
 * and again for nats (log-likelihood, entropy). Throws for no rows or metrics, a metric that no row
 * has (a misspelling), a non-finite value or temperature, and metrics that would share a legend name.
 */
export function temperatureMetricsFigure<M extends string>(
  rows: readonly TemperatureMetricsRow<M>[],
  metricNames: readonly M[],
  options: TemperatureMetricsFigureOptions<M> = {},
): Figure {
  if (rows.length === 0 || metricNames.length === 0) {
    throw new Error(
      `temperatureMetricsFigure got ${rows.length} rows and ${metricNames.length} metric names; pass at ` +
        'least one { temperature, metrics } row and one metric name.',
    );
  }
  rows.forEach((row, i) => {
    if (!Number.isFinite(row.temperature)) {
      throw new Error(
        `Row ${i} has temperature ${row.temperature}; give every row the finite temperature its sample was drawn at.`,
      );
    }
  });
  const labels: Readonly<Record<string, string | undefined>> = options.labels ?? {};
  const names = metricNames.map((metric) => labels[metric] ?? metric);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) {
      throw new Error(
        `Two metrics would both be named "${name}" in the legend; list each metric once and give each its own label.`,
      );
    }
  });
  const temperatures = [...new Set(rows.map((row) => row.temperature))].sort((a, b) => a - b);
  const traces = metricNames.map((metric, m): Plot => {
    if (!rows.some((row) => Object.hasOwn(row.metrics, metric))) {
      const known = [...new Set(rows.flatMap((row) => Object.keys(row.metrics)))];
      throw new Error(
        `No row has a metric "${metric}"; the rows have ${known.join(', ') || 'no metrics'}. Check the spelling.`,
      );
    }
    const y = temperatures.map((t) =>
      mean(
        rows.filter((row) => row.temperature === t),
        metric,
      ),
    );
    return { type: 'scatter', mode: 'lines+markers', name: names[m], x: temperatures, y };
  });
  return {
    data: traces,
    layout: {
      title: options.title ?? 'Sample metrics by temperature',
      xaxis: { title: 'temperature' },
      yaxis: { title: options.yTitle ?? 'mean over samples' },
    },
  };
}

/** Mean of one metric over rows, ignoring nulls and missing values; null when none has a value. */
function mean(rows: readonly TemperatureMetricsRow<string>[], metric: string): number | null {
  let sum = 0;
  let count = 0;
  for (const row of rows) {
    const value: unknown = (row.metrics as Readonly<Record<string, unknown>>)[metric] ?? null;
    if (value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const shown = typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
      throw new Error(
        `Metric "${metric}" is ${shown} in a row at T = ${row.temperature}; ` +
          'give finite numbers, or null for "no value" (left out of the mean).',
      );
    }
    sum += value;
    count++;
  }
  return count === 0 ? null : sum / count;
}

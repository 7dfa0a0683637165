import type { Plot } from 'nodeplotlib';
import type { Figure } from './figure';
import { movingAverage } from './movingAverage';
import type { TrainingHistory } from '../train';
import type { VocabularyUnit } from '../vocab';

/** Options of {@link lossFigure}. */
export interface LossFigureOptions {
  /** Figure title (default "Training loss"). */
  title?: string;
  /** Batches in the moving average of the batch loss (default: a tenth of the batches, at most 50). */
  movingAverageWindow?: number;
  /** What the model predicts, for the axis title "loss (nats/char)" or "(nats/word)"; default "token". */
  unit?: VocabularyUnit;
}

/**
 * Loss curves of a training run: the loss of every batch (thin line, x = global step), its trailing
 * moving average, the per-epoch train loss (at the step where each epoch ended), every validation loss, and a star
 * on the best one (the weights a run keeps). Traces without data (e.g. no validation set, or an empty history) are
 * left out.
 */
export function lossFigure(history: TrainingHistory, options: LossFigureOptions = {}): Figure {
  const { batches, epochs } = history;
  const window = options.movingAverageWindow ?? Math.max(1, Math.min(50, Math.ceil(batches.length / 10)));
  const steps = batches.map((b) => b.step);
  const losses = batches.map((b) => b.loss);
  // Validations before the history recorded them apart (saved by earlier versions) are at epoch ends only.
  const first = history.evaluations[0]?.step ?? Infinity;
  const validated = [...epochs.filter((e) => e.valLoss !== null && e.step < first), ...history.evaluations];
  const best = validated.reduce<(typeof validated)[number] | null>(
    (kept, e) => (kept === null || e.valLoss! < kept.valLoss! ? e : kept),
    null,
  );
  const traces: Plot[] = [
    { type: 'scatter', mode: 'lines', name: 'batch loss', x: steps, y: losses, line: { width: 1 }, opacity: 0.5 },
    {
      type: 'scatter',
      mode: 'lines',
      name: `mean of last ${window} batches`,
      x: steps,
      y: movingAverage(losses, window),
      line: { width: 2 },
    },
    {
      type: 'scatter',
      mode: 'lines+markers',
      name: 'epoch train loss',
      x: epochs.map((e) => e.step),
      y: epochs.map((e) => e.trainLoss),
      marker: { size: 7 },
    },
    {
      type: 'scatter',
      mode: 'lines+markers',
      name: 'validation loss',
      x: validated.map((e) => e.step),
      y: validated.map((e) => e.valLoss),
      marker: { size: 7 },
      line: { dash: 'dash' },
    },
    {
      type: 'scatter',
      mode: 'markers',
      name: 'best validation (kept)',
      x: best === null ? [] : [best.step],
      y: best === null ? [] : [best.valLoss],
      marker: { size: 12, symbol: 'star' },
    },
  ];
  return {
    data: traces.filter((trace) => (trace.x?.length ?? 0) > 0),
    layout: {
      title: options.title ?? 'Training loss',
      xaxis: { title: 'step' },
      yaxis: { title: `loss (nats/${options.unit ?? 'token'})` },
    },
  };
}

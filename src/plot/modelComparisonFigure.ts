import type { Figure } from './figure';

/** What {@link modelComparisonFigure} draws of each compared model: its name and its validation curve. */
export interface ComparedModel {
  model: string;
  curve: readonly { seconds: number; valBitsPerChar: number }[];
}

/**
 * Validation bits per character against training time, one trace per model (a point per epoch end and at the end;
 * an n-gram model is one point): which model is best for a given time, and where the curves cross. Time on a log
 * axis, since n-gram models train in a fraction of a network's time.
 */
export function modelComparisonFigure(rows: readonly ComparedModel[]): Figure {
  return {
    data: rows.map((row) => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: row.model,
      x: row.curve.map((p) => Math.max(p.seconds, 1e-3)),
      y: row.curve.map((p) => p.valBitsPerChar),
    })),
    layout: {
      title: 'Validation bits per character against training time',
      xaxis: { title: 'training time (s, log scale)', type: 'log' },
      yaxis: { title: 'validation bits per character' },
    },
  };
}

import type { Figure } from './figure';

/** A token as a label: a space, a line break and a tab shown as visible signs. */
function visibleToken(token: string): string {
  return token.replace(/ /gu, '␣').replace(/\n/gu, '⏎').replace(/\t/gu, '⇥');
}

/** What {@link weightHeatmap} draws: a row per reading token, a column per token read. */
interface WeightGrid {
  rows: readonly string[];
  columns: readonly string[];
  /** `z[r][c]` is what row r gives column c (null: a blank cell). */
  z: (number | null)[][];
  title: string;
  rowTitle: string;
  columnTitle: string;
}

/** Attention weights as a heatmap on one scale from 0 to 1, rows top to bottom, tokens as axis labels. */
function weightHeatmap(grid: WeightGrid): Figure {
  const axis = (title: string, tokens: readonly string[]) => ({
    title,
    tickvals: tokens.map((_, i) => i),
    ticktext: tokens.map(visibleToken),
  });
  return {
    data: [
      {
        type: 'heatmap',
        name: 'weight',
        z: grid.z,
        zmin: 0,
        zmax: 1,
        x: grid.columns.map((_, i) => i),
        y: grid.rows.map((_, i) => i),
        colorscale: 'Blues',
        reversescale: true,
      },
    ],
    layout: {
      title: grid.title,
      xaxis: axis(grid.columnTitle, grid.columns),
      yaxis: { ...axis(grid.rowTitle, grid.rows), autorange: 'reversed' },
    },
  };
}

/**
 * One attention head's weights on a text as a heatmap: a row per position reading (the query), a column per position
 * read (the key), the colour the weight (each row sums to 1; above the diagonal, the future it cannot see, is left
 * blank), on one scale from 0 to 1 for every head. `tokens` label the positions, `weights[t][s]` is what position t
 * gives to position s.
 */
export function attentionFigure(
  tokens: readonly string[],
  weights: readonly (readonly number[])[],
  title: string,
): Figure {
  return weightHeatmap({
    rows: tokens,
    columns: tokens,
    z: weights.map((row, t) => row.map((w, s) => (s > t ? null : w))),
    title,
    rowTitle: 'position reading (query)',
    columnTitle: 'position attended to (key)',
  });
}

/**
 * A sequence-to-sequence model's alignment as a heatmap: a row per target token it wrote, a column per source token,
 * the colour the attention weight the target token gave that source token (each row sums to 1), on a scale from 0 to
 * 1. `weights[t][s]` is target token t's weight on source token s (the `attention` of a translation).
 */
export function alignmentFigure(
  sourceTokens: readonly string[],
  targetTokens: readonly string[],
  weights: readonly (readonly number[])[],
  title: string,
): Figure {
  if (weights.length !== targetTokens.length || weights.some((row) => row.length !== sourceTokens.length))
    throw new Error(
      `The weights are ${weights.length} rows of ${weights[0]?.length ?? 0}, but there are ${targetTokens.length} ` +
        `target and ${sourceTokens.length} source tokens; give one row per target token, one weight per source token.`,
    );
  return weightHeatmap({
    rows: targetTokens,
    columns: sourceTokens,
    z: weights.map((row) => [...row]),
    title,
    rowTitle: 'output token',
    columnTitle: 'source token',
  });
}

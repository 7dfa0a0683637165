import type { Figure } from './figure';

/** A token as a label: a space, a line break and a tab shown as visible signs. */
function visibleToken(token: string): string {
  return token.replace(/ /gu, '␣').replace(/\n/gu, '⏎').replace(/\t/gu, '⇥');
}

/**
 * One attention head's weights on a text as a heatmap: a row per position reading (the query), a column per position
 * read (the key), the colour the weight (each row sums to 1; above the diagonal, the future it cannot see, is left
 * blank), on one scale from 0 to 1 for every head. `tokens` label the positions, `weights[t][s]` is what position t gives to position s.
 */
export function attentionFigure(
  tokens: readonly string[],
  weights: readonly (readonly number[])[],
  title: string,
): Figure {
  const labels = tokens.map(visibleToken);
  const positions = labels.map((_, i) => i);
  return {
    data: [
      {
        type: 'heatmap',
        name: 'weight',
        z: weights.map((row, t) => row.map((w, s) => (s > t ? null : w))),
        zmin: 0,
        zmax: 1,
        x: positions,
        y: positions,
        colorscale: 'Blues',
        reversescale: true,
      },
    ],
    layout: {
      title,
      xaxis: { title: 'position attended to (key)', tickvals: positions, ticktext: labels },
      yaxis: { title: 'position reading (query)', tickvals: positions, ticktext: labels, autorange: 'reversed' },
    },
  };
}

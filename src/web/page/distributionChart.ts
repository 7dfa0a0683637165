import type { NextTokenDistribution } from '../../sample';
import type { Vocabulary } from '../../vocab';

/** plotly.js, loaded by the page from its own folder (`plotly.min.js`). */
declare const Plotly: {
  react(element: HTMLElement, data: object[], layout: object, config: object): Promise<unknown>;
};

/** How many of the most likely tokens the chart shows. */
export const CHART_TOKENS = 20;

/** A token as a bar label: spaces, line breaks and tabs made visible. */
export function tokenLabel(token: string): string {
  return token.replace(/ /gu, '␣').replace(/\n/gu, '⏎').replace(/\t/gu, '⇥') || '∅';
}

/**
 * Draws the next-token distribution as bars: the {@link CHART_TOKENS} tokens the model finds likeliest (at T = 1,
 * grey) beside the distribution the sampler draws from at the chosen settings (blue). Returns the caption: how much
 * probability the chosen settings leave outside the bars.
 */
export async function drawDistribution(
  element: HTMLElement,
  vocab: Vocabulary,
  model: NextTokenDistribution,
  chosen: NextTokenDistribution,
): Promise<string> {
  const ids = Array.from(model.probs.keys())
    .sort((a, b) => model.probs[b] - model.probs[a] || a - b)
    .slice(0, CHART_TOKENS);
  const labels = ids.map((id) => `${tokenLabel(vocab.tokenOf(id))}${vocab.unit === 'char' ? '' : ' '}`);
  const trace = (distribution: NextTokenDistribution, name: string, color: string) => ({
    type: 'bar',
    name,
    x: labels,
    y: ids.map((id) => distribution.probs[id]),
    marker: { color },
    hovertemplate: '%{x}: %{y:.3f}<extra></extra>',
  });
  await Plotly.react(
    element,
    [trace(model, 'model (T = 1)', '#b8bfcc'), trace(chosen, `sampled at T = ${chosen.temperature}`, '#2f5fb3')],
    {
      barmode: 'group',
      margin: { l: 50, r: 10, t: 10, b: 40 },
      yaxis: { title: { text: 'probability' }, rangemode: 'tozero' },
      xaxis: { type: 'category', tickfont: { family: 'monospace' } },
      legend: { orientation: 'h', y: 1.12 },
    },
    { displayModeBar: false, responsive: true },
  );
  const outside = 1 - ids.reduce((sum, id) => sum + chosen.probs[id], 0);
  return (
    `The ${ids.length} tokens the model finds likeliest next; the settings leave ` +
    `${(100 * Math.max(0, outside)).toFixed(1)} % of the probability to the others.`
  );
}

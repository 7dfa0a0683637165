import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  figureToSvg,
  nextTokenFigure,
  temperatureMetricsFigure,
  visibleTokenLabel,
  type TemperatureMetricsRow,
} from '../src/plot';
import { textMetrics } from '../src/sample/textMetrics';

/** probabilities ∝ weights. */
function normalised(weights: number[]): Float32Array {
  const sum = weights.reduce((a, b) => a + b, 0);
  return Float32Array.from(weights, (w) => w / sum);
}

const LABELS = ['a', ' ', '\n', 'b', '\t', 'c'];

test('visibleTokenLabel shows space, newline and tab and keeps everything else', () => {
  assert.equal(visibleTokenLabel(' '), '␣');
  assert.equal(visibleTokenLabel('\n'), '⏎');
  assert.equal(visibleTokenLabel('\t'), '⇥');
  assert.equal(visibleTokenLabel('a b\n'), 'a␣b⏎');
  assert.equal(visibleTokenLabel('<eos>'), '<eos>');
  assert.equal(visibleTokenLabel('😀\r'), '😀\r');
});

test('nextTokenFigure ranks tokens by the T = 1 distribution and keeps the top ones', () => {
  const figure = nextTokenFigure(
    [
      { temperature: 0.5, probs: [0.9, 0.02, 0.02, 0.02, 0.02, 0.02] },
      { temperature: 1, probs: [0.1, 0.3, 0.25, 0.05, 0.05, 0.25] },
      { temperature: 2, probs: [0.2, 0.2, 0.2, 0.1, 0.1, 0.2] },
    ],
    LABELS,
    { top: 4, title: 'after "play"' },
  );
  assert.deepEqual(
    figure.data.map((t) => t.name),
    ['T = 0.5', 'T = 1', 'T = 2'],
  );
  assert.ok(figure.data.every((t) => t.type === 'bar'));
  // ranked at T = 1: ' ' 0.3, then '\n' and 'c' tied at 0.25 (lower id first), then 'a' 0.1
  assert.deepEqual(figure.data[0].x, ['␣', '⏎', 'c', 'a']);
  assert.deepEqual(figure.data[1].y, [0.3, 0.25, 0.25, 0.1]);
  assert.deepEqual(figure.data[0].y, [0.02, 0.02, 0.02, 0.9]);
  assert.deepEqual(figure.data[2].y, [0.2, 0.2, 0.2, 0.2]);
  assert.equal(figure.layout.title, 'after "play"');
  assert.deepEqual(figure.layout.xaxis, { title: 'next token (the 4 most likely at T = 1)', type: 'category' });
});

test('nextTokenFigure ranks by the first distribution without T = 1, and shows at most all tokens', () => {
  const figure = nextTokenFigure(
    [
      { temperature: 0.3, probs: normalised([1, 2, 3, 4, 5, 6]) },
      { temperature: 3, probs: normalised([6, 5, 4, 3, 2, 1]) },
    ],
    LABELS,
  );
  assert.deepEqual(figure.data[0].x, ['c', '⇥', 'b', '⏎', '␣', 'a']);
  assert.equal(figure.layout.title, 'Next-token probabilities by temperature');
  assert.match(figure.layout.xaxis?.title as string, /6 most likely at T = 0.3/);
});

test('nextTokenFigure appends the token id to labels that coincide once made visible', async () => {
  const labels = [' ', '␣', 'x', 'x', 'y'];
  const figure = nextTokenFigure([{ temperature: 1, probs: [0.3, 0.25, 0.2, 0.15, 0.1] }], labels);
  assert.deepEqual(figure.data[0].x, ['␣ #0', '␣ #1', 'x #2', 'x #3', 'y']);
  const svg = await figureToSvg(figure);
  for (const label of ['␣ #0', '␣ #1', 'x #2', 'x #3'])
    assert.ok(svg.includes(`>${label}</text>`), `SVG lacks tick "${label}"`);
});

test('nextTokenFigure refuses inputs it cannot draw, saying what to pass instead', () => {
  const ok = { temperature: 1, probs: normalised([1, 1, 1, 1, 1, 1]) };
  assert.throws(() => nextTokenFigure([], LABELS), /at least one distribution/);
  assert.throws(
    () => nextTokenFigure([{ temperature: 1, probs: [0.5, 0.5] }], LABELS),
    /has 2 probabilities but there are 6 labels/,
  );
  assert.throws(() => nextTokenFigure([ok, { ...ok }], LABELS), /Temperature 1 appears twice/);
  assert.throws(
    () => nextTokenFigure([{ temperature: 1, probs: [2, -1, 0, 0, 0, 0] }], LABELS),
    /probability -1 for token 1; pass probabilities .*not logits/,
  );
  assert.throws(
    () => nextTokenFigure([{ temperature: 1, probs: [0.5, 0.1, 0, 0, 0, 0] }], LABELS),
    /sum to 0.6, not 1/,
  );
  assert.throws(
    () => nextTokenFigure([{ temperature: -1, probs: ok.probs }], LABELS),
    /temperature -1; use 0 \(greedy\) or a positive number/,
  );
  assert.throws(() => nextTokenFigure([ok], LABELS, { top: 0 }), /top must be a whole number >= 1, got 0/);
});

/** A 2 prompts × 3 temperatures grid with hand-picked values. */
const GRID: TemperatureMetricsRow<'distinct1' | 'knownWords' | 'cycleLength'>[] = [
  { temperature: 1, metrics: { distinct1: 0.8, knownWords: 0.9, cycleLength: null } },
  { temperature: 0, metrics: { distinct1: 0.2, knownWords: 1, cycleLength: 12 } },
  { temperature: 2, metrics: { distinct1: 1, knownWords: 0.25, cycleLength: null } },
  { temperature: 0, metrics: { distinct1: 0.4, knownWords: null, cycleLength: 20 } },
  { temperature: 1, metrics: { distinct1: 0.6, knownWords: 0.7, cycleLength: null } },
  { temperature: 2, metrics: { distinct1: null, knownWords: 0.75 } },
];

test('temperatureMetricsFigure plots the mean of each metric per temperature, nulls ignored or left as gaps', () => {
  const figure = temperatureMetricsFigure(GRID, ['distinct1', 'knownWords', 'cycleLength'], {
    title: 'Diversity',
    yTitle: 'ratio',
    labels: { distinct1: 'distinct-1' },
  });
  assert.deepEqual(
    figure.data.map((t) => t.name),
    ['distinct-1', 'knownWords', 'cycleLength'],
  );
  assert.ok(figure.data.every((t) => t.type === 'scatter' && t.mode === 'lines+markers'));
  assert.ok(figure.data.every((t) => JSON.stringify(t.x) === '[0,1,2]'));
  const ys = figure.data.map((t) =>
    Array.from<unknown, number | null>(t.y ?? [], (v) => (v === null ? null : Number((v as number).toFixed(9)))),
  );
  assert.deepEqual(ys, [
    [0.3, 0.7, 1],
    [1, 0.8, 0.5],
    [16, null, null],
  ]);
  assert.equal(figure.layout.title, 'Diversity');
  assert.deepEqual(figure.layout.xaxis?.title, 'temperature');
  assert.deepEqual(figure.layout.yaxis?.title, 'ratio');
});

test('temperatureMetricsFigure accepts TextMetrics merged with other numbers', () => {
  const rows = ['the cat the cat', 'a dog barks'].map((text, i) => ({
    temperature: i,
    metrics: { ...textMetrics(text), logLikelihood: -1.5 - i },
  }));
  const figure = temperatureMetricsFigure(rows, ['distinct1', 'logLikelihood'], { yTitle: 'nats' });
  assert.deepEqual(
    figure.data.map((t) => t.y),
    [
      [0.5, 1],
      [-1.5, -2.5],
    ],
  );
});

test('temperatureMetricsFigure refuses bad input with a hint', () => {
  assert.throws(() => temperatureMetricsFigure([], ['distinct1']), /got 0 rows and 1 metric names/);
  assert.throws(() => temperatureMetricsFigure(GRID, []), /got 6 rows and 0 metric names/);
  // @ts-expect-error: a misspelt literal name is a type error against rows with declared metric names
  assert.throws(() => temperatureMetricsFigure(GRID, ['distinct1', 'knwonWords']), /No row has a metric "knwonWords"/);
  const names: string[] = ['distinct1', 'knwonWords'];
  const untyped: TemperatureMetricsRow[] = GRID;
  assert.throws(
    () => temperatureMetricsFigure(untyped, names),
    /No row has a metric "knwonWords"; the rows have distinct1, knownWords, cycleLength\. Check the spelling/,
  );
  assert.throws(
    () => temperatureMetricsFigure(GRID, ['distinct1', 'knownWords'], { labels: { knownWords: 'distinct1' } }),
    /Two metrics would both be named "distinct1"/,
  );
  assert.throws(
    () => temperatureMetricsFigure([{ temperature: Number.NaN, metrics: { a: 1 } }], ['a']),
    /Row 0 has temperature NaN/,
  );
  assert.throws(
    () => temperatureMetricsFigure([{ temperature: 1, metrics: { ll: -Infinity } }], ['ll']),
    /Metric "ll" is -Infinity in a row at T = 1; give finite numbers, or null/,
  );
  const loose: TemperatureMetricsRow[] = [{ temperature: 1, metrics: { ll: '3' } }];
  assert.throws(() => temperatureMetricsFigure(loose, ['ll']), /Metric "ll" is "3"/);
});

test('figureToSvg renders both temperature figures with their trace names', async () => {
  const bars = await figureToSvg(
    nextTokenFigure(
      [
        { temperature: 0.3, probs: normalised([1, 8, 1, 3, 1, 2]) },
        { temperature: 1, probs: normalised([2, 4, 2, 3, 2, 3]) },
      ],
      LABELS,
      { top: 5 },
    ),
  );
  for (const text of ['T = 0.3', 'T = 1', '␣', '⏎', 'a', 'probability'])
    assert.ok(bars.includes(`>${text}</text>`), `bar SVG lacks "${text}"`);
  assert.ok(!bars.includes('>⇥</text>'), 'the least likely token (the last of the ties) is not shown with top 5');
  const lines = await figureToSvg(temperatureMetricsFigure(GRID, ['distinct1', 'knownWords', 'cycleLength']));
  for (const text of ['distinct1', 'knownWords', 'cycleLength', 'temperature', 'Sample metrics by temperature']) {
    assert.ok(lines.includes(`>${text}</text>`), `line SVG lacks "${text}"`);
  }
  assert.doesNotMatch(lines, /NaN/);
});

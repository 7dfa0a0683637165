import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Plot } from 'nodeplotlib';
import {
  createLiveFigure,
  displayFigure,
  figureToSvg,
  figureToVegaLite,
  lossFigure,
  movingAverage,
  svgToPng,
  type Figure,
} from '../src/plot';
import type { TrainingHistory } from '../src/train/history';

/** 3 epochs of 4 batches; epoch 2 has no validation loss. */
function syntheticHistory(): TrainingHistory {
  const batches = Array.from({ length: 12 }, (_, i) => ({
    step: i + 1,
    epoch: Math.floor(i / 4) + 1,
    loss: 4 - 0.25 * i,
  }));
  const epochs = [1, 2, 3].map((epoch) => ({
    epoch,
    step: epoch * 4,
    trainLoss: 4 - epoch,
    valLoss: epoch === 2 ? null : 4.2 - epoch,
    valBitsPerChar: null,
    seconds: 1,
  }));
  return { batches, evaluations: [], epochs };
}

function traceNamed(figure: Figure, prefix: string): Plot {
  const trace = figure.data.find((t) => t.name?.startsWith(prefix));
  assert.ok(trace, `no trace named "${prefix}…" among ${figure.data.map((t) => t.name).join(', ')}`);
  return trace;
}

test('importing the plot module loads neither nodeplotlib, tslab, vega nor resvg', () => {
  const loaded = Object.keys(require.cache).filter((path) =>
    /node_modules[\\/](nodeplotlib|tslab|vega|vega-lite|@resvg)[\\/]/.test(path),
  );
  assert.deepEqual(loaded, []);
});

test('movingAverage averages trailing windows, shorter at the start', () => {
  assert.deepEqual(movingAverage([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5]);
  assert.deepEqual(movingAverage([3, 1, 2], 10), [3, 2, 2]);
  assert.deepEqual(movingAverage([], 3), []);
  assert.throws(() => movingAverage([1], 0), /positive integer/);
});

test('lossFigure has batch, moving-average, per-epoch, validation and best traces with the history numbers', () => {
  const history = syntheticHistory();
  const figure = lossFigure(history, { title: 'Run 7', movingAverageWindow: 4, unit: 'char' });
  assert.equal(figure.data.length, 5);
  const batch = traceNamed(figure, 'batch loss');
  assert.deepEqual(
    batch.x,
    history.batches.map((b) => b.step),
  );
  assert.deepEqual(
    batch.y,
    history.batches.map((b) => b.loss),
  );
  const average = traceNamed(figure, 'mean of last 4');
  assert.deepEqual(
    average.y,
    movingAverage(
      history.batches.map((b) => b.loss),
      4,
    ),
  );
  const train = traceNamed(figure, 'epoch train');
  assert.deepEqual(train.x, [4, 8, 12]);
  assert.deepEqual(train.y, [3, 2, 1]);
  const validation = traceNamed(figure, 'validation loss');
  assert.deepEqual(validation.x, [4, 12]);
  assert.deepEqual(
    Array.from<unknown, number>(validation.y ?? [], (v) => Number((v as number).toFixed(6))),
    [3.2, 1.2],
  );
  assert.deepEqual(traceNamed(figure, 'best validation').x, [12]);
  // Validations recorded apart follow the epoch ones recorded before them (a run resumed from an older release).
  const later = { step: 10, epoch: 3, trainLoss: 1.5, valLoss: 0.9, valBitsPerChar: 1.3, learningRate: 0.01 };
  const resumed = { ...history, evaluations: [{ ...later, best: true, seconds: 2 }] };
  assert.deepEqual(traceNamed(lossFigure(resumed), 'validation loss').x, [4, 10]);
  assert.deepEqual(traceNamed(lossFigure(resumed), 'best validation').x, [10]);
  assert.equal(figure.layout.title, 'Run 7');
  assert.deepEqual(figure.layout.xaxis?.title, 'step');
  assert.deepEqual(figure.layout.yaxis?.title, 'loss (nats/char)');
  assert.deepEqual(
    lossFigure(history, { unit: 'word' }).layout.yaxis?.title,
    'loss (nats/word)',
    'word models are measured per word',
  );
  assert.deepEqual(lossFigure(history).layout.yaxis?.title, 'loss (nats/token)');
});

test('lossFigure leaves out the validation trace without validation, and all traces for an empty history', () => {
  const history = syntheticHistory();
  history.epochs.forEach((e) => {
    e.valLoss = null;
  });
  assert.equal(
    lossFigure(history).data.some((t) => t.name?.includes('validation')),
    false,
  );
  assert.deepEqual(lossFigure({ batches: [], evaluations: [], epochs: [] }).data, []);
});

test('figureToSvg draws a well-formed SVG with title, axis titles and legend names', async () => {
  const svg = await figureToSvg(lossFigure(syntheticHistory(), { title: 'Char LSTM', unit: 'char' }), {
    width: 640,
    height: 360,
  });
  assert.match(svg, /^<svg[^>]*width="640"[^>]*height="360"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const text of [
    'Char LSTM',
    'step',
    'loss (nats/char)',
    'batch loss',
    'epoch train loss',
    'validation loss',
    'best validation (kept)',
  ]) {
    assert.ok(svg.includes(`>${text}</text>`), `SVG lacks text "${text}"`);
  }
  assert.equal((svg.match(/<path/g) ?? []).length > 4, true, 'expected line paths');
});

test('figureToSvg is deterministic', async () => {
  const figure = lossFigure(syntheticHistory());
  assert.equal(await figureToSvg(figure), await figureToSvg(figure));
});

test('figureToSvg renders an empty history as axes and title only', async () => {
  const svg = await figureToSvg(lossFigure({ batches: [], evaluations: [], epochs: [] }));
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('>Training loss</text>'));
  assert.ok(!svg.includes('batch loss'));
});

test('figureToSvg rejects unsupported trace types and modes with a clear message', async () => {
  await assert.rejects(
    figureToSvg({ data: [{ type: 'pie', name: 'slices' }], layout: {} }),
    /"slices" has type "pie".*use "scatter" or "bar"/,
  );
  await assert.rejects(
    figureToSvg({ data: [{ type: 'scatter', mode: 'text', x: [1], y: [1] }], layout: {} }),
    /mode "text"/,
  );
  await assert.rejects(figureToSvg({ data: [{ x: [1, 2], y: [1] }], layout: {} }), /2 x values but 1 y values/);
  await assert.rejects(
    figureToSvg({
      data: [
        { name: 'a', x: [1], y: [1] },
        { name: 'a', x: [2], y: [2] },
      ],
      layout: {},
    }),
    /Two traces are named "a"/,
  );
});

test('scatter styles become Vega-Lite mark properties', () => {
  const spec = figureToVegaLite(
    {
      data: [
        {
          type: 'scatter',
          mode: 'lines+markers',
          name: 's',
          x: [1, 2],
          y: [3, 4],
          line: { width: 3, dash: 'dash' },
          marker: { size: 5 },
          opacity: 0.5,
        },
      ],
      layout: {},
    },
    { width: 320, height: 200 },
  );
  const layer = spec.layer[0];
  assert.ok('mark' in layer);
  assert.deepEqual(layer.mark, {
    type: 'line',
    opacity: 0.5,
    strokeWidth: 3,
    strokeDash: [8, 4],
    point: { filled: true, size: 25, opacity: 0.5 },
  });
  assert.deepEqual([spec.width, spec.height], [320, 200]);
});

test('log axes become log scales and drop non-positive values', async () => {
  const figure: Figure = {
    data: [{ type: 'scatter', mode: 'lines', name: 'p', x: [1, 10, 100, 1000], y: [0.5, 0.05, 0, 0.0005] }],
    layout: { xaxis: { type: 'log', title: 'rank' }, yaxis: { type: 'log', title: 'probability' } },
  };
  const spec = JSON.stringify(figureToVegaLite(figure));
  assert.equal((spec.match(/"type":"log"/g) ?? []).length, 2);
  assert.ok(spec.includes('{"x":100,"y":null}'));
  const svg = await figureToSvg(figure);
  assert.ok(svg.includes('>1,000</text>') || svg.includes('>1000</text>'), 'expected a decade tick at 1000');
  assert.ok(svg.includes('>probability</text>'));
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test('bar traces are grouped on a category axis and coloured by trace order', async () => {
  const figure: Figure = {
    data: [
      { type: 'bar', name: 'T=0.5', x: ['a', 'b'], y: [0.7, 0.3] },
      { type: 'bar', name: 'T=1.5', x: ['a', 'b'], y: [0.55, 0.45], marker: { color: '#123456' } },
    ],
    layout: { title: { text: 'next-char probabilities' } },
  };
  const svg = await figureToSvg(figure);
  assert.ok(svg.includes('>next-char probabilities</text>'));
  assert.ok(svg.includes('fill="#1f77b4"'));
  assert.ok(svg.includes('fill="#123456"'));
  assert.ok(!svg.includes('fill="#ff7f0e"'));
});

/** Width and height of a PNG, from its IHDR chunk, after checking the signature. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const bytes = Buffer.from(png);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** A 120 × 40 white SVG with `text` in the given font family. */
const textSvg = (text: string, family: string) =>
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" ' +
  `fill="white"/><text x="4" y="26" font-family="${family}" font-size="16">${text}</text></svg>`;

test('svgToPng draws a figure at twice its size by default and says the size to show it at', async () => {
  const svg = await figureToSvg(lossFigure(syntheticHistory()), { width: 500, height: 260 });
  const image = svgToPng(svg);
  assert.deepEqual({ width: image.width, height: image.height }, { width: 500, height: 260 });
  assert.deepEqual(pngSize(image.png), { width: 1000, height: 520 });
  assert.deepEqual(pngSize(svgToPng(svg, { scale: 1 }).png), { width: 500, height: 260 });
  assert.deepEqual(Buffer.from(svgToPng(svg).png), Buffer.from(image.png), 'the same SVG gives the same bytes');
});

test('svgToPng draws text with its bundled font, whatever family the SVG names', () => {
  const blank = Buffer.from(svgToPng(textSvg('', 'sans-serif')).png);
  const sans = Buffer.from(svgToPng(textSvg('Loss 1.5', 'sans-serif')).png);
  assert.notDeepEqual(sans, blank, 'the text is drawn');
  assert.notDeepEqual(Buffer.from(svgToPng(textSvg('Loss 2.5', 'sans-serif')).png), sans, 'other text, other pixels');
  for (const family of ['serif', 'monospace', 'Helvetica', 'No Such Font']) {
    assert.deepEqual(Buffer.from(svgToPng(textSvg('Loss 1.5', family)).png), sans, `font-family ${family}`);
  }
});

test('svgToPng refuses a scale that is not a positive number up to 8', () => {
  for (const scale of [0, -1, Number.NaN, 9])
    assert.throws(() => svgToPng(textSvg('x', 'serif'), { scale }), /scale must be a number in \(0, 8\]/);
});

test('displayFigure and createLiveFigure explain that they need a notebook when no kernel runs', async () => {
  const figure = lossFigure(syntheticHistory());
  await assert.rejects(displayFigure(figure), /inside a tslab Jupyter notebook.*figureToSvg/);
  await assert.rejects(createLiveFigure().update(figure), /inside a tslab Jupyter notebook/);
});

test(`a live loss plot redrawn 300 times (1 000-point history) keeps \
the heap flat: notebook displays do not accumulate`, async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const heapMB = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed / 1e6;
  };
  const history: TrainingHistory = { batches: [], evaluations: [], epochs: [] };
  for (let i = 0; i < 1000; i++) history.batches.push({ step: i + 1, epoch: 1, loss: 3 - i / 500 });
  for (let i = 0; i < 20; i++) await figureToSvg(lossFigure(history)); // vega loaded, caches warm
  const before = heapMB();
  for (let i = 0; i < 300; i++) await figureToSvg(lossFigure(history));
  const growth = heapMB() - before;
  assert.ok(growth < 8, `heap grew by ${growth.toFixed(1)} MB over 300 redraws`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { attentionMaps, buildGpt, type GptConfig } from '../src/families';
import { GPT_LAYERS } from '../src/families/gpt';
import { alignmentFigure, attentionFigure, figureToSvg } from '../src/plot';
import { CharVocab, EOS_ID } from '../src/vocab';

// A GPT's attention maps (what each head of a block attends to on a text) against the same weights computed here from
// the network's own arrays, and the heatmap that draws them.

const vocab = CharVocab.build(['the whale and the sea. ']);
const config = (settings: Partial<GptConfig> = {}): GptConfig => ({
  family: 'gpt',
  vocabSize: vocab.size,
  layers: 2,
  width: 12,
  heads: 3,
  context: 16,
  dropout: 0,
  tied: false,
  seed: 5,
  ...settings,
});

const weightsOf = (network: tf.LayersModel, name: string) =>
  network
    .getLayer(name)
    .getWeights()
    .map((w) => w.arraySync() as number[] | number[][]);

/** Block 0's attention weights, by hand: (token + position) → LayerNorm → q, k per head → causal softmax. */
function firstBlockByHand(network: tf.LayersModel, ids: number[], heads: number): number[][][] {
  const [table] = weightsOf(network, GPT_LAYERS.tokens) as number[][][];
  const [positions] = weightsOf(network, GPT_LAYERS.positions) as number[][][];
  const [gamma, beta] = weightsOf(network, GPT_LAYERS.attentionNorm(0)) as number[][];
  const [kernel, bias] = weightsOf(network, GPT_LAYERS.attention(0)) as [number[][], number[]];
  const width = gamma.length;
  const size = width / heads;
  const normed = ids.map((id, t) => {
    const x = table[id].map((v, j) => v + positions[t][j]);
    const mean = x.reduce((a, b) => a + b, 0) / width;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / width;
    return x.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * gamma[j] + beta[j]);
  });
  const project = (x: number[], column: number) => x.reduce((sum, v, i) => sum + v * kernel[i][column], bias[column]);
  return Array.from({ length: heads }, (_, h) => {
    const q = normed.map((x) => Array.from({ length: size }, (_, d) => project(x, h * size + d)));
    const k = normed.map((x) => Array.from({ length: size }, (_, d) => project(x, width + h * size + d)));
    return q.map((query, t) => {
      const scores = k.map((key, s) =>
        s > t ? -Infinity : query.reduce((a, v, d) => a + v * key[d], 0) / Math.sqrt(size),
      );
      const top = Math.max(...scores);
      const exps = scores.map((score) => Math.exp(score - top));
      const total = exps.reduce((a, b) => a + b, 0);
      return exps.map((e) => e / total);
    });
  });
}

test('attention maps equal the weights computed by hand, each row sums to 1 and sees no later position', async () => {
  await initBackend('wasm');
  const network = buildGpt(config());
  const model = { network, vocab, config: config() };
  const text = 'the sea';
  const maps = attentionMaps(model, text);
  assert.deepEqual(maps.tokens, ['<eos>', ...text]);
  const expected = firstBlockByHand(network, [EOS_ID, ...vocab.encode(text)], 3);
  assert.equal(maps.heads.length, 3);
  maps.heads.forEach((head, h) =>
    head.forEach((row, t) => {
      assert.equal(row.length, text.length + 1);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `head ${h} row ${t} sums to 1`);
      row.forEach((w, s) => {
        if (s > t) assert.equal(w, 0, `head ${h}: position ${t} sees no later position ${s}`);
        assert.ok(Math.abs(w - expected[h][t][s]) < 1e-5, `head ${h} [${t}][${s}]: ${w} vs ${expected[h][t][s]}`);
      });
    }),
  );
  // The second block reads what the first wrote: its maps differ from the first's, and a prefix's are the top left.
  const second = attentionMaps(model, text, 1);
  assert.notDeepEqual(second.heads, maps.heads);
  const prefix = attentionMaps(model, 'the', 1);
  prefix.heads.forEach((head, h) =>
    head.forEach((row, t) => row.forEach((w, s) => assert.ok(Math.abs(w - second.heads[h][t][s]) < 1e-5))),
  );
  network.dispose();
});

test('attention maps are refused, in words, for a model that is not a GPT, a missing block, a long text or unknown tokens', async () => {
  await initBackend('wasm');
  const network = buildGpt(config({ context: 6 }));
  const model = { network, vocab, config: config({ context: 6 }) };
  assert.throws(() => attentionMaps({ vocab }, 'the'), /need a GPT/);
  assert.throws(() => attentionMaps(model, 'the', 2), /blocks 0 to 1; there is no block 2/);
  assert.throws(() => attentionMaps(model, 'the sea'), /7 tokens long; the GPT reads at most 5 after <eos>/);
  assert.throws(() => attentionMaps(model, 'thq'), /never saw: "q"/);
  network.dispose();
});

test('an attention heatmap renders as SVG with the tokens as labels (spaces made visible); bad shapes are named', async () => {
  const tokens = ['<eos>', 'a', ' ', 'b'];
  const weights = [
    [1, 0, 0, 0],
    [0.5, 0.5, 0, 0],
    [0.2, 0.3, 0.5, 0],
    [0.1, 0.2, 0.3, 0.4],
  ];
  const svg = await figureToSvg(attentionFigure(tokens, weights, 'head 1'), { width: 300, height: 300 });
  assert.match(svg, /^<svg/);
  assert.match(svg, /␣/);
  assert.match(svg, /&lt;eos&gt;/);
  assert.match(svg, /head 1/);
  const cells = (svg.match(/<path aria-label="c: \d+; r: \d+/g) ?? []).length;
  assert.equal(cells, 10, 'one rectangle per cell the row can see (the future, above the diagonal, is blank)');
  const bad = attentionFigure(tokens, weights, 'bad');
  bad.data[0].z = [[1, 0, 0, 0], [0.5], [1, 0, 0, 0], [1, 0, 0, 0]];
  await assert.rejects(figureToSvg(bad), /Row 1 of the heatmap has 1 values, row 0 has 4/);
  await assert.rejects(
    figureToSvg({
      ...attentionFigure(tokens, weights, 'two'),
      data: [bad.data[0], { type: 'scatter', x: [1], y: [1] }],
    }),
    /holds its heatmap trace alone/,
  );
});

test('an alignment heatmap: a row per output token, a column per source token, every cell drawn; bad shapes named', async () => {
  const weights = [
    [0.9, 0.1, 0],
    [0.1, 0.2, 0.7],
  ];
  const figure = alignmentFigure(['c', 'a', 't'], ['K', 'AE1'], weights, 'cat');
  const svg = await figureToSvg(figure, { width: 300, height: 200 });
  assert.match(svg, /AE1/);
  assert.match(svg, /source token/);
  assert.equal((svg.match(/<path aria-label="c: \d+; r: \d+/g) ?? []).length, 6, 'one rectangle per cell');
  assert.deepEqual(figure.data[0].z, weights);
  assert.throws(
    () => alignmentFigure(['c', 'a'], ['K', 'AE1'], weights, 'short'),
    /2 rows of 3, but there are 2 target and 2 source tokens/,
  );
});

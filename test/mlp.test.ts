import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import {
  familyOfRecord,
  buildMlp,
  familyOf,
  type MlpConfig,
  mlpFamily,
  MlpStepper,
  parseModelSpec,
} from '../src/families';
import { loadGenerator } from '../src/io';
import { ContextDense } from '../src/model';
import { createRng } from '../src/random';
import { gennetOnWasm, writeSyllables } from './syllables';
import { checkFamilyContract } from './familyContract';
import { parseAs, type TrainOutput } from './cliJson';
import { generateBatch } from '../src/sample';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train';

// Bengio's MLP, the family that proves the model-family contract: it is named only in its folder, the registry and
// here, and everything else — training, steps, beam search, saving, resuming, the CLI — works with it through the
// contract.

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-mlp-'));
const VOCAB = 13;
const config: MlpConfig = { family: 'mlp', vocabSize: VOCAB, context: 3, units: 16, embeddingDim: 5, seed: 4 };
const ids = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Int32Array.from({ length: n }, () => 1 + Math.floor(rng() * (VOCAB - 1)));
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('the context layer is a dense layer over the last N vectors side by side, zeros before the start', async () => {
  await initBackend('cpu');
  const x = tf.tensor3d(
    Array.from({ length: 2 * 4 * 2 }, (_, i) => (i % 7) - 3),
    [2, 4, 2],
  ); // (B 2, T 4, E 2)
  const layer = new ContextDense({ context: 3, units: 5, activation: 'tanh', seed: 2 });
  const y = (layer.apply(x) as tf.Tensor3D).arraySync();
  const [kernel, bias] = layer.getWeights().map((w) => w.arraySync() as number[][] & number[]);
  const rows = x.arraySync();
  for (const [b, t] of [
    [0, 0],
    [0, 3],
    [1, 1],
  ]) {
    // The window of position t, oldest first: positions t − 2, t − 1, t (zeros before the start).
    const window = [t - 2, t - 1, t].flatMap((p) => (p < 0 ? [0, 0] : rows[b][p]));
    const expected = bias.map((bj: number, j: number) =>
      Math.tanh(window.reduce((sum, v, i) => sum + v * kernel[i][j], bj)),
    );
    assert.ok(maxDiff(y[b][t], expected) < 1e-5, `row ${b}, position ${t}`);
  }
  tf.dispose(x);
});

test("the MLP stepper gives the network's last logits, fed at once or token by token, and reorders", async () => {
  await initBackend('wasm');
  const network = buildMlp(config);
  const tokens = ids(3 * 7, 1); // 3 rows × 7 tokens
  const full = tf.tidy(() => (network.predict(tf.tensor2d(tokens, [3, 7], 'int32')) as tf.Tensor3D).arraySync());
  const atOnce = new MlpStepper(network, config.context, 3);
  const stepwise = new MlpStepper(network, config.context, 3);
  for (let t = 0; t < 7; t++) {
    const logits = stepwise.feed(
      Int32Array.from([0, 1, 2], (r) => tokens[r * 7 + t]),
      1,
    );
    for (let r = 0; r < 3; r++)
      assert.ok(maxDiff(logits.subarray(r * VOCAB, (r + 1) * VOCAB), full[r][t]) < 1e-5, `row ${r}, step ${t}`);
  }
  const last = atOnce.feed(tokens, 7);
  for (let r = 0; r < 3; r++)
    assert.ok(maxDiff(last.subarray(r * VOCAB, (r + 1) * VOCAB), full[r][6]) < 1e-5, `row ${r}, all at once`);
  // Reordered: row r continues as row order[r] was.
  const order = [2, 2, 0];
  stepwise.reorder(order);
  const next = Int32Array.from([5, 6, 7]);
  const moved = stepwise.feed(
    Int32Array.from(order, (row) => next[row]),
    1,
  );
  const expected = atOnce.feed(next, 1);
  order.forEach((row, r) =>
    assert.ok(
      maxDiff(moved.subarray(r * VOCAB, (r + 1) * VOCAB), expected.subarray(row * VOCAB, (row + 1) * VOCAB)) < 1e-6,
    ),
  );
  assert.throws(
    () => stepwise.start([{ kind: 'state', state: new Float32Array(3) }]),
    /An MLP cannot start from an initial state/,
  );
  [atOnce, stepwise].forEach((s) => s.dispose());
  network.dispose();
});

test('the MLP trains on the layers engine (not the recurrent ones), saves, loads and resumes exactly', async () => {
  await initBackend('wasm');
  const stream = Int32Array.from({ length: 2_000 }, (_, i) => 2 + ((i * 7 + (i >> 3)) % (VOCAB - 2)));
  const data = () => ({
    train: new WindowDataset(stream, { seqLen: 16 }),
    val: new WindowDataset(stream.subarray(0, 200), { seqLen: 16 }),
  });
  const settings = { ...DEFAULT_TRAIN_CONFIG, batchSize: 8, epochs: 2, maxSteps: 30, learningRate: 0.02, seed: 3 };
  await checkFamilyContract({
    family: mlpFamily,
    config,
    build: () => buildMlp(config),
    data,
    settings,
    stopAt: 11,
    dir: path.join(work, 'interrupted'),
    autoEngine: 'layers',
  });
  await assert.rejects(
    train(buildMlp(config), data(), { ...settings, engine: 'fast' }),
    /The fast engine cannot run this model: layer "hidden" \(ContextDense\)/,
  );
});

test('MLP specs and settings: defaults, limits, and settings it does not have are refused', () => {
  assert.deepEqual(parseModelSpec('mlp').settings, { context: 8, units: 128 });
  assert.deepEqual(parseModelSpec('mlp:5').settings, { context: 5, units: 128 });
  assert.deepEqual(parseModelSpec('mlp:8x256').settings, { context: 8, units: 256 });
  assert.throws(
    () => parseModelSpec('mlp:0x5'),
    /Cannot read the model "mlp:0x5": use mlp, mlp:CONTEXT or mlp:CONTEXTxUNITS/,
  );
  assert.throws(() => parseModelSpec('mlp:65'), /context 1–64 tokens/);
  const vocab = { size: 30, unit: 'char' as const };
  assert.equal(mlpFamily.resolveConfig({ context: 4, units: 8, embeddingDim: 3 }, vocab).vocabSize, 30);
  assert.throws(() => mlpFamily.resolveConfig({ context: 4, dropout: 0.1 }, vocab), /An MLP has no setting dropout/);
  // The family and the vocabulary size are the family's and the data's to say, not a caller's.
  assert.throws(
    () => mlpFamily.resolveConfig({ family: 'recurrent', vocabSize: 3 }, vocab),
    /no setting family, vocabSize/,
  );
  const saved = { family: 'mlp', vocabSize: 30, units: 8, embeddingDim: 3, seed: 1 }; // no context
  assert.throws(() => mlpFamily.readConfig(saved, 'x/config.json'), /context must be a whole number .* got undefined/);
  assert.throws(
    () => familyOfRecord({ model: { cell: 'lstm' }, ngram: { order: 3, vocabSize: 9 } }, 'x'),
    /describes models of several families \(recurrent, ngram\)/,
  );
  assert.throws(
    () =>
      mlpFamily.readConfig(
        { family: 'mlp', vocabSize: 30, context: 2.5, units: 8, embeddingDim: 3, seed: 1 },
        'x/config.json',
      ),
    /The MLP's context must be a whole number from 1 to 64, got 2.5 \(in x\/config.json\)/,
  );
});

test('gennet train --model mlp:4x32 trains, saves and generates; compare runs it beside n-gram and LSTM', () => {
  const corpus = path.join(work, 'syllables.txt');
  writeSyllables(corpus, 31);
  const out = path.join(work, 'cli-mlp');
  const trained = gennetOnWasm(
    'train',
    '--corpus',
    corpus,
    '--model',
    'mlp:4x32',
    '--embedding-dim',
    '8',
    '--max-steps',
    '80',
    '--seq-len',
    '32',
    '--batch',
    '16',
    '--lr',
    '0.01',
    '--no-samples',
    '--out',
    out,
    '--json',
  );
  assert.equal(trained.status, 0, trained.stderr);
  const summary = parseAs<TrainOutput>(trained.stdout);
  assert.equal(summary.engine, 'layers');
  assert.ok(summary.valLoss < Math.log(summary.vocabSize) - 0.5, `val loss ${summary.valLoss}`);
  assert.match(trained.stderr, /training MLP, 4 tokens × embedding 8 → 32 tanh units/);
  const sample = () =>
    gennetOnWasm('generate', '--model', out, '--prompt', 'ka', '--length', '60', '--seed', '3', '--temperature', '0.8');
  const [first, second] = [sample(), sample()];
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, second.stdout, 'the same seed gives the same text in new processes');
  assert.match(first.stdout, /^ka[a-z .\n]*$/);
  const beam = gennetOnWasm('generate', '--model', out, '--prompt', 'ka', '--beam', '3', '--length', '30');
  assert.equal(beam.status, 0, beam.stderr);
  const temperatures = gennetOnWasm(
    'temperatures',
    '--model',
    out,
    '--prompts',
    'ka|mi',
    '--temps',
    '0,1',
    '--length',
    '20',
    '--json',
  );
  assert.equal(temperatures.status, 0, temperatures.stderr);
  assert.equal(parseAs<unknown[]>(temperatures.stdout).length, 4);
  const refused = [
    [
      ['train', '--corpus', corpus, '--model', 'mlp:4', '--dropout', '0.2', '--out', path.join(work, 'x')],
      /An MLP has no setting dropout/,
    ],
    [
      ['train', '--corpus', corpus, '--model', 'mlp:4', '--units', '9', '--out', path.join(work, 'x')],
      /--model mlp:4 gives the model; drop --units/,
    ],
    [['generate', '--model', out, '--engine', 'native'], /The native engine cannot run this model/],
  ] as const;
  for (const [args, message] of refused) {
    const run = gennetOnWasm(...args);
    assert.equal(run.status, 1, args.join(' '));
    assert.match(run.stderr, message);
  }
  const compared = gennetOnWasm(
    'compare',
    '--corpus',
    corpus,
    '--models',
    'ngram:3,mlp:4x32,lstm:32',
    '--max-steps',
    '20',
    '--json',
  );
  assert.equal(compared.status, 0, compared.stderr);
  const rows = JSON.parse(compared.stdout) as { model: string; valBitsPerChar: number; params: number }[];
  assert.deepEqual(
    rows.map((r) => r.model),
    ['ngram:3', 'mlp:4x32', 'lstm:32'],
  );
  assert.ok(rows.every((r) => Number.isFinite(r.valBitsPerChar) && r.params > 0));
});

test('a loaded MLP folder generates what the trained model generated', async () => {
  await initBackend('wasm');
  const loaded = await loadGenerator(path.join(work, 'cli-mlp'));
  assert.equal(familyOf(loaded).name, 'mlp');
  const cli = gennetOnWasm(
    'generate',
    '--model',
    path.join(work, 'cli-mlp'),
    '--prompt',
    'mi',
    '--length',
    '40',
    '--seed',
    '8',
    '--temperature',
    '0.9',
  );
  assert.equal(
    generateBatch(loaded, [{ prompt: 'mi', temperature: 0.9, seed: 8 }], { length: 40 })[0].text + '\n',
    cli.stdout,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import {
  familyOfRecord,
  buildMlp,
  ContextDense,
  familyOf,
  type MlpConfig,
  mlpFamily,
  MlpStepper,
  parseModelSpec,
} from '../src/families';
import { loadArtifact, loadGenerator, loadRunState, saveArtifact } from '../src/io';
import { createRng } from '../src/random';
import { parseAs, type TrainOutput } from './cliJson';
import { beamSearch, generateBatch } from '../src/sample';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train';
import { CharVocab } from '../src/vocab';

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
  const whole = buildMlp(config);
  const expected = await train(whole, data(), settings);
  assert.equal(expected.engine, 'layers', 'auto takes the layers engine');
  assert.ok(expected.history.batches.at(-1)!.loss < expected.history.batches[0].loss - 0.3, 'the loss falls');
  await assert.rejects(
    train(buildMlp(config), data(), { ...settings, engine: 'fast' }),
    /The fast engine cannot run this model: layer "hidden" \(ContextDense\)/,
  );

  const model = buildMlp(config);
  const controller = new AbortController();
  const stop = { onBatchEnd: (record: { step: number }) => void (record.step === 11 && controller.abort()) };
  const first = await train(model, data(), settings, [stop], { signal: controller.signal });
  const dir = path.join(work, 'interrupted');
  const vocab = CharVocab.build(['abcdefghij']);
  await saveArtifact(dir, { network: model, vocab, config }, { runState: first.interrupted! });
  tf.dispose(first.interrupted!.optimizer.map((w) => w.tensor));
  const saved = parseAs<{ version: number; model: unknown }>(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(saved.version, 6, 'a named family other than the recurrent one is format version 6');
  assert.deepEqual(saved.model, config);
  const loaded = await loadArtifact(dir);
  assert.equal(familyOf(loaded), mlpFamily);
  const second = await train(loaded.network, data(), settings, [], { resume: await loadRunState(dir) });
  assert.deepEqual(
    second.history.batches.map((b) => b.loss),
    expected.history.batches.map((b) => b.loss),
  );
  assert.deepEqual(
    loaded.network.getWeights().map((w) => Array.from(w.dataSync())),
    whole.getWeights().map((w) => Array.from(w.dataSync())),
  );
  // Generation through the contract: seeded samples, and beam search at least as probable as greedy.
  const trained = { network: whole, vocab, config };
  const [a, b] = [1, 1].map(
    () => generateBatch(trained, [{ prompt: 'ab', temperature: 0.8, seed: 5 }], { length: 30 })[0].text,
  );
  assert.equal(a, b);
  const [beam] = beamSearch(trained, { prompt: 'ab', beam: 4, length: 20, lengthPenalty: 0, stopAtEos: false });
  const [greedy] = beamSearch(trained, { prompt: 'ab', beam: 1, length: 20, lengthPenalty: 0, stopAtEos: false });
  assert.ok(beam.totalLogProb >= greedy.totalLogProb - 1e-9);
  [whole, model, loaded.network].forEach((m) => m.dispose());
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

/** Runs `gennet` on the wasm backend. */
function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('gennet train --model mlp:4x32 trains, saves and generates; compare runs it beside n-gram and LSTM', () => {
  const rng = createRng(31);
  const syllables = ['ka', 'lo', 'mi', 'tu', 'ren', 'sa', 'vo'];
  const corpus = path.join(work, 'syllables.txt');
  writeFileSync(
    corpus,
    Array.from({ length: 300 }, () =>
      Array.from({ length: 3 + Math.floor(rng() * 4) }, () => syllables[Math.floor(rng() * 7)]).join(' '),
    ).join('\n'),
  );
  const out = path.join(work, 'cli-mlp');
  const trained = gennet(
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
    gennet('generate', '--model', out, '--prompt', 'ka', '--length', '60', '--seed', '3', '--temperature', '0.8');
  const [first, second] = [sample(), sample()];
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, second.stdout, 'the same seed gives the same text in new processes');
  assert.match(first.stdout, /^ka[a-z .\n]*$/);
  const beam = gennet('generate', '--model', out, '--prompt', 'ka', '--beam', '3', '--length', '30');
  assert.equal(beam.status, 0, beam.stderr);
  const temperatures = gennet(
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
    const run = gennet(...args);
    assert.equal(run.status, 1, args.join(' '));
    assert.match(run.stderr, message);
  }
  const compared = gennet(
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
  const cli = gennet(
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

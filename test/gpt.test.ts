import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import { buildGpt, type GptConfig, gptFamily, GptStepper, parseModelSpec } from '../src/families';
import { layersEngine } from '../src/engines/layers';
import { sequenceLengthFor } from '../src/families/registry';
import { loadArtifact, saveArtifact } from '../src/io';
import { createRng } from '../src/random';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train';
import { CharVocab } from '../src/vocab';
import { gennetOnWasm, writeSyllables } from './syllables';
import { checkFamilyContract } from './familyContract';
import { setUniformWeights } from './engineFixtures';
import { parseAs, type TrainOutput } from './cliJson';

// The GPT family: its layers, its key–value cache against the full forward pass, training, saving and resuming
// through the family contract.

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-gpt-'));
const VOCAB = 11;
const gpt = (settings: Partial<GptConfig> = {}): GptConfig => ({
  family: 'gpt',
  vocabSize: VOCAB,
  layers: 2,
  width: 16,
  heads: 2,
  context: 8,
  dropout: 0,
  tied: false,
  seed: 7,
  ...settings,
});
const ids = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rng() * VOCAB));
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** The network's logits for `rows` rows of `tokens`, `[rows][time][vocab]`. */
function forward(network: tf.LayersModel, tokens: Int32Array, rows: number): number[][][] {
  return tf.tidy(() =>
    (network.predict(tf.tensor2d(tokens, [rows, tokens.length / rows], 'int32')) as tf.Tensor3D).arraySync(),
  );
}

for (const shape of [
  { layers: 1, heads: 1, tied: false },
  { layers: 2, heads: 4, tied: false },
  { layers: 2, heads: 2, tied: true },
]) {
  test(`the cache gives the full forward pass's logits at every position (${JSON.stringify(shape)})`, async () => {
    await initBackend('wasm');
    const config = gpt(shape);
    const network = buildGpt(config);
    const tokens = ids(3 * 8, 1); // 3 rows × the whole context
    const full = forward(network, tokens, 3);
    const stepwise = new GptStepper(network, config, 3);
    for (let t = 0; t < 8; t++) {
      const logits = stepwise.feed(
        Int32Array.from([0, 1, 2], (r) => tokens[r * 8 + t]),
        1,
      );
      for (let r = 0; r < 3; r++)
        assert.ok(maxDiff(logits.subarray(r * VOCAB, (r + 1) * VOCAB), full[r][t]) < 1e-5, `row ${r}, step ${t}`);
    }
    // A prompt fed at once, then one more token: the last positions' logits again.
    const chunked = new GptStepper(network, config, 3);
    const head = Int32Array.from({ length: 3 * 5 }, (_, i) => tokens[Math.floor(i / 5) * 8 + (i % 5)]);
    const afterHead = chunked.feed(head, 5);
    for (let r = 0; r < 3; r++) assert.ok(maxDiff(afterHead.subarray(r * VOCAB, (r + 1) * VOCAB), full[r][4]) < 1e-5);
    // Reordered: row r continues as row order[r] was.
    const order = [2, 2, 0];
    chunked.reorder(order);
    const moved = chunked.feed(
      Int32Array.from(order, (row) => tokens[row * 8 + 5]),
      1,
    );
    order.forEach((row, r) => assert.ok(maxDiff(moved.subarray(r * VOCAB, (r + 1) * VOCAB), full[row][5]) < 1e-5));
    network.dispose();
  });
}

test('past its context the stepper goes on from the last half-context of tokens, encoded afresh', async () => {
  await initBackend('wasm');
  const config = gpt();
  const network = buildGpt(config);
  const tokens = ids(2 * 13, 2);
  const stepper = new GptStepper(network, config, 2);
  let logits = new Float32Array();
  for (let t = 0; t < 13; t++)
    logits = stepper.feed(
      Int32Array.from([0, 1], (r) => tokens[r * 13 + t]),
      1,
    );
  // Token 9 overflowed the 8 positions: the stepper kept tokens 5–8, then took 9–12 — the last 8 of them all.
  const window = Int32Array.from({ length: 2 * 8 }, (_, i) => tokens[Math.floor(i / 8) * 13 + 5 + (i % 8)]);
  const full = forward(network, window, 2);
  for (let r = 0; r < 2; r++) assert.ok(maxDiff(logits.subarray(r * VOCAB, (r + 1) * VOCAB), full[r][7]) < 1e-5);
  network.dispose();
});

test('attention is causal: a later token changes no earlier logits; heads split the width', async () => {
  await initBackend('cpu');
  const network = buildGpt(gpt({ heads: 4 }));
  const tokens = ids(8, 3);
  const changed = tokens.slice();
  changed[5] = (changed[5] + 1) % VOCAB;
  const [a, b] = [forward(network, tokens, 1)[0], forward(network, changed, 1)[0]];
  for (let t = 0; t < 5; t++) assert.ok(maxDiff(a[t], b[t]) < 1e-6, `position ${t}`);
  assert.ok(maxDiff(a[5], b[5]) > 1e-4, 'the changed position itself differs');
  assert.throws(() => forward(network, ids(9, 4), 1), /context of 8 tokens reads at most 8 at once, got 9/);
  network.dispose();
});

test('the GPT trains (auto: the native engine), saves, loads and resumes exactly, with dropout', async () => {
  await initBackend('wasm');
  const config = gpt({ dropout: 0.1 });
  const stream = Int32Array.from({ length: 1_500 }, (_, i) => 1 + ((i * 3 + (i >> 2)) % (VOCAB - 1)));
  const data = () => ({
    train: new WindowDataset(stream, { seqLen: 8 }),
    val: new WindowDataset(stream.subarray(0, 200), { seqLen: 8 }),
  });
  const settings = { ...DEFAULT_TRAIN_CONFIG, batchSize: 8, epochs: 2, maxSteps: 24, learningRate: 0.01, seed: 3 };
  await checkFamilyContract({
    family: gptFamily,
    config,
    build: () => buildGpt(config),
    data,
    settings,
    stopAt: 9,
    dir: path.join(work, 'interrupted'),
    autoEngine: 'native',
  });
  await assert.rejects(
    train(buildGpt(config), data(), { ...settings, engine: 'fast' }),
    /The fast engine cannot run this model/,
  );
});

for (const tied of [false, true]) {
  test(`numeric gradients match the layers engine's for every weight (${tied ? 'tied' : 'untied'})`, async () => {
    await initBackend('cpu');
    const network = buildGpt(gpt({ layers: 1, width: 8, heads: 2, context: 4, tied }));
    // Larger weights than GPT's 0.02, so that the gradients stand well above float32's rounding.
    const rng = createRng(9);
    setUniformWeights(network, rng);
    const batch = { inputs: ids(8, 10), targets: ids(8, 11), mask: null, batchSize: 2, seqLen: 4 };
    const { grads } = layersEngine.lossAndGradients(network, batch, 1);
    for (const variable of network.trainableWeights) {
      const values = variable.read().dataSync() as Float32Array;
      const analytic = grads[variable.originalName] ?? grads[variable.name];
      assert.ok(analytic !== undefined, `a gradient for ${variable.name}`);
      const expected = analytic.dataSync();
      for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
        const lossWith = (delta: number) => {
          const changed = values.slice();
          changed[i] += delta;
          variable.write(tf.tensor(changed, variable.shape as number[]));
          return layersEngine.loss(network, batch);
        };
        const numeric = (lossWith(1e-2) - lossWith(-1e-2)) / 2e-2;
        variable.write(tf.tensor(values, variable.shape as number[]));
        assert.ok(
          Math.abs(numeric - expected[i]) <= 2e-3 + 2e-2 * Math.abs(expected[i]),
          `${variable.name}[${i}]: numeric ${numeric}, the engine's ${expected[i]}`,
        );
      }
    }
    tf.dispose(Object.values(grads));
    network.dispose();
  });
}

test('a tied GPT has one token table, used twice, and it survives a save', async () => {
  await initBackend('cpu');
  const config = gpt({ tied: true });
  const network = buildGpt(config);
  const untied = buildGpt(gpt());
  assert.equal(untied.countParams() - network.countParams(), (16 + 1) * VOCAB, 'no output kernel or bias');
  const dir = path.join(work, 'tied');
  await saveArtifact(dir, { network, vocab: CharVocab.build(['abcdefgh']), config });
  const loaded = await loadArtifact(dir);
  const tokens = ids(2 * 6, 5);
  assert.ok(maxDiff(forward(loaded.network, tokens, 2).flat(2), forward(network, tokens, 2).flat(2)) < 1e-6);
  [network, untied, loaded.network].forEach((m) => m.dispose());
});

test('GPT specs and settings: defaults, parts in any order after the size, refusals', () => {
  assert.deepEqual(parseModelSpec('gpt').settings, {});
  assert.deepEqual(parseModelSpec('gpt:2x64:h2:ctx64').settings, { layers: 2, width: 64, heads: 2, context: 64 });
  assert.deepEqual(parseModelSpec('gpt:ctx32:tied').settings, { context: 32, tied: 1 });
  assert.throws(() => parseModelSpec('gpt:2x64:h3'), /a width of 64 does not split into 3 heads/);
  assert.throws(() => parseModelSpec('gpt:h2:2x64'), /"2x64" is not a part it knows, or comes twice or out of place/);
  assert.throws(() => parseModelSpec('gpt:h2:h4'), /"h4" is not a part it knows/);
  assert.throws(() => parseModelSpec('gpt:ctx0'), /its context must be 1–8192/);
  assert.throws(() => parseModelSpec('gpt:h0'), /its heads must be 1–64/);
  const vocab = { size: 30, unit: 'char' as const };
  const config = gptFamily.resolveConfig({ ...parseModelSpec('gpt:1x32:tied').settings, dropout: 0.2 }, vocab);
  assert.deepEqual(config, {
    ...gpt({ vocabSize: 30, layers: 1, width: 32, heads: 4, context: 128 }),
    dropout: 0.2,
    tied: true,
    seed: 42,
  });
  assert.throws(() => gptFamily.resolveConfig({ cell: 'lstm' }, vocab), /A GPT has no setting cell/);
  assert.throws(() => gptFamily.resolveConfig({ dropout: 1 }, vocab), /dropout must be from 0 to below 1, got 1/);
  assert.throws(
    () => gptFamily.readConfig({ ...config, heads: undefined }, 'x/config.json'),
    /heads must be a whole number .* got undefined \(in x\/config.json\)/,
  );
  // Training windows: the context unless told a length; a longer one is refused, naming the model.
  assert.equal(sequenceLengthFor([parseModelSpec('gpt:ctx64'), parseModelSpec('lstm')], undefined), 64);
  assert.equal(sequenceLengthFor([parseModelSpec('lstm')], undefined), undefined);
  assert.equal(sequenceLengthFor([parseModelSpec('gpt:ctx64')], 50), 50);
  assert.throws(
    () => sequenceLengthFor([parseModelSpec('gpt:ctx64')], 100),
    /"gpt:ctx64" reads at most 64 tokens at once, fewer than the sequence length 100/,
  );
});

test('gennet train --model gpt learns on windows of its context, generates past it the same for a seed; compare', () => {
  const corpus = path.join(work, 'syllables.txt');
  writeSyllables(corpus, 41);
  const out = path.join(work, 'cli-gpt');
  const flags = ['--corpus', corpus, '--batch', '16', '--lr', '0.01', '--no-samples'];
  const trained = gennetOnWasm(
    'train',
    ...flags,
    '--model',
    'gpt:2x32:h2:ctx32',
    '--max-steps',
    '120',
    '--out',
    out,
    '--json',
  );
  assert.equal(trained.status, 0, trained.stderr);
  const summary = parseAs<TrainOutput>(trained.stdout);
  assert.equal(summary.engine, 'native', 'auto takes the native engine');
  assert.ok(summary.valLoss < Math.log(summary.vocabSize) - 1, `val loss ${summary.valLoss}`);
  assert.match(trained.stderr, /training GPT, 2 blocks × width 32, 2 heads, context 32/);
  const saved = parseAs<{ run: { data: { seqLen: number } } }>(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(saved.run.data.seqLen, 32, 'windows of its context');
  const sample = () => gennetOnWasm('generate', '--model', out, '--prompt', 'ka', '--length', '80', '--seed', '3');
  const [first, second] = [sample(), sample()];
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, second.stdout, 'the same seed gives the same text in new processes');
  assert.match(first.stdout, /^ka[a-z .\n]*$/);
  const longer = gennetOnWasm(
    'train',
    ...flags,
    '--model',
    'gpt:ctx16',
    '--seq-len',
    '20',
    '--out',
    path.join(work, 'x'),
  );
  assert.equal(longer.status, 1);
  assert.match(longer.stderr, /"gpt:ctx16" reads at most 16 tokens at once, fewer than the sequence length 20/);
  const compared = gennetOnWasm(
    'compare',
    '--corpus',
    corpus,
    '--models',
    'gpt:1x32:h2:ctx24,lstm:32',
    '--max-steps',
    '15',
    '--json',
  );
  assert.equal(compared.status, 0, compared.stderr);
  const rows = JSON.parse(compared.stdout) as { model: string; valBitsPerChar: number; params: number }[];
  assert.deepEqual(
    rows.map((r) => r.model),
    ['gpt:1x32:h2:ctx24', 'lstm:32'],
  );
  assert.ok(rows.every((r) => Number.isFinite(r.valBitsPerChar) && r.params > 0));
});

test('a word-level GPT trains on the native engine and on layers to the same losses, and generates words', () => {
  const corpus = path.join(work, 'word-syllables.txt');
  writeSyllables(corpus, 43);
  const flags = ['--corpus', corpus, '--level', 'word', '--model', 'gpt:1x16:h2:ctx12', '--max-steps', '20'];
  const runs = ['native', 'layers'].map((engine) => {
    const out = path.join(work, `word-gpt-${engine}`);
    const run = gennetOnWasm('train', ...flags, '--engine', engine, '--no-samples', '--out', out, '--json');
    assert.equal(run.status, 0, run.stderr);
    return { out, summary: parseAs<TrainOutput>(run.stdout) };
  });
  const [native, layers] = runs.map((run) => run.summary);
  assert.equal(native.engine, 'native');
  assert.ok(
    Math.abs(native.valLoss - layers.valLoss) <= 1e-4 * layers.valLoss,
    `${native.valLoss} vs ${layers.valLoss}`,
  );
  assert.ok(native.valLoss < Math.log(native.vocabSize), `val loss ${native.valLoss} below the uniform guess`);
  const text = gennetOnWasm('generate', '--model', runs[0].out, '--prompt', 'ka', '--length', '20', '--seed', '4');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^ka( (ka|lo|mi|tu|ren|sa|vo|<unk>)|\n|\.)+\s*$/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadCorpus } from '../src/corpus';
import { buildGenerator, resolveModelConfig } from '../src/model/generator';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadArtifact } from '../src/io/artifact';
import { generateBatch } from '../src/sample';
import { type Batch, prepareCharData, prepareWordData } from '../src/data';
import { sequenceLoss } from '../src/engines';
import { checkpointEachValidation } from '../src/session';
import { clipByGlobalNorm, DEFAULT_TRAIN_CONFIG, evaluate, train, type TrainCallback } from '../src/train';
import { realTokens, WindowDataset } from '../src/data';
import { engineNamed } from '../src/engines';

test('the sequence loss is the mean negative log-probability of the targets, padding excluded', async () => {
  await initBackend('cpu');
  const logits = tf.tensor3d([
    [
      [2, 0, 0],
      [0, 1, 0],
    ],
    [
      [0, 0, 3],
      [1, 1, 1],
    ],
  ]);
  const targets = tf.tensor2d(
    [
      [0, 1],
      [2, 0],
    ],
    [2, 2],
    'int32',
  );
  const logp = (row: number[], t: number) => row[t] - Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
  const rows = logits.arraySync();
  const nll = [-logp(rows[0][0], 0), -logp(rows[0][1], 1), -logp(rows[1][0], 2), -logp(rows[1][1], 0)];
  const mean = sequenceLoss(logits, targets, null).dataSync()[0];
  assert.ok(Math.abs(mean - nll.reduce((a, b) => a + b) / 4) < 1e-5);
  const masked = sequenceLoss(
    logits,
    targets,
    tf.tensor2d([
      [1, 1],
      [1, 0],
    ]),
  ).dataSync()[0];
  assert.ok(Math.abs(masked - (nll[0] + nll[1] + nll[2]) / 3) < 1e-5);
});

test('gradient clipping bounds the global norm and keeps directions', async () => {
  await initBackend('cpu');
  const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
  const clipped = clipByGlobalNorm(grads, 1);
  assert.deepEqual(
    Array.from(clipped.a.dataSync()).map((v) => +v.toFixed(4)),
    [0.6, 0],
  );
  assert.deepEqual(
    Array.from(clipped.b.dataSync()).map((v) => +v.toFixed(4)),
    [0, 0.8],
  );
  const untouched = clipByGlobalNorm(grads, 10);
  assert.deepEqual(
    Array.from(untouched.b.dataSync()).map((v) => +v.toFixed(4)),
    [0, 4],
  );
});

test('a short run on a built-in corpus learns: validation loss falls well below the unigram entropy', async () => {
  await initBackend('wasm');
  const corpus = await loadCorpus('moby-dick', { limit: 3 });
  const data = prepareCharData(corpus.texts, { mode: 'windows', seqLen: 50, valFraction: 0.1, seed: 1 });
  const config = resolveModelConfig({ vocabSize: data.vocab.size, units: 64, seed: 1 });
  const network = buildGenerator(config);
  const tensorsBefore = tf.memory().numTensors;
  const epochs: number[] = [];
  const result = await train(
    network,
    data,
    { ...DEFAULT_TRAIN_CONFIG, epochs: 50, batchSize: 16, learningRate: 0.01, seed: 1, maxSteps: 150 },
    [{ onEpochEnd: (record) => void epochs.push(record.epoch) }],
  );
  assert.equal(result.steps, 150);
  assert.equal(result.history.batches.length, 150);
  assert.ok(epochs.length >= 2, 'epoch callbacks ran');
  assert.ok(
    result.valLoss! < data.unigramEntropy - 0.4,
    `val loss ${result.valLoss} vs unigram entropy ${data.unigramEntropy}`,
  );
  assert.ok(Math.abs(result.valBitsPerChar! - result.valLoss! / Math.LN2) < 1e-9);
  assert.ok(result.charsPerSecond > 0);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaves no tensors behind');
  network.dispose();
});

test('line mode pads and masks and still learns', async () => {
  await initBackend('wasm');
  const lines = Array.from({ length: 120 }, (_, i) => (i % 2 ? 'the cat sat on the mat' : 'a dog ran in the fog'));
  const data = prepareCharData(lines, { mode: 'lines', seqLen: 40, valFraction: 0.2, seed: 3 });
  const config = resolveModelConfig({ vocabSize: data.vocab.size, units: 32, seed: 3 });
  const network = buildGenerator(config);
  const result = await train(network, data, {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: 40,
    batchSize: 16,
    learningRate: 0.02,
    seed: 3,
    maxSteps: 120,
  });
  assert.ok(
    result.valLoss! < data.unigramEntropy / 2,
    `val loss ${result.valLoss} vs unigram entropy ${data.unigramEntropy}`,
  );
  network.dispose();
});

test('word data: windows of words, characters per token measured on the validation text', () => {
  const texts = [
    'The whale, the white whale, swam on.',
    'Call me Ishmael. Some years ago I went to sea.',
    'The sea was calm; the whale was not.',
  ];
  const words = prepareWordData(texts, { mode: 'windows', seqLen: 4, valFraction: 0.3, seed: 1 });
  const chars = prepareCharData(texts, { mode: 'windows', seqLen: 4, valFraction: 0.3, seed: 1 });
  assert.equal(chars.charsPerToken, 1);
  assert.ok(words.val!.size > 0);
  assert.ok(words.charsPerToken > 2 && words.charsPerToken < 6, `chars per word token ${words.charsPerToken}`);
  const batch = words.train.batches(2, null).next().value as Batch;
  assert.equal(batch.seqLen, 4);
  assert.ok(Math.max(...batch.inputs) < words.vocab.size);
  assert.equal(
    words.vocab.decode(Array.from(batch.targets.subarray(0, 3))),
    words.vocab.decode(Array.from(batch.inputs.subarray(1, 4))),
  );
  const lines = prepareWordData(texts, { mode: 'lines', seqLen: 20, valFraction: 0, seed: 1, lowercase: true });
  assert.ok(!lines.vocab.tokens.includes('The') && lines.vocab.tokens.includes('the'));
});

test('long runs keep the tensor count constant: 1 000 training steps and 10 000 generated tokens', async () => {
  await initBackend('cpu');
  const texts = ['the cat sat on the mat. a dog ran in the fog.'];
  const data = prepareCharData(texts, { mode: 'windows', seqLen: 4, valFraction: 0, seed: 1 });
  const config = resolveModelConfig({ vocabSize: data.vocab.size, units: 4, seed: 1 });
  const network = buildGenerator(config);
  const before = tf.memory().numTensors;
  const counts = new Map<number, number>();
  await train(network, data, { ...DEFAULT_TRAIN_CONFIG, epochs: 1000, batchSize: 4, seed: 1, maxSteps: 1000 }, [
    {
      onBatchEnd: (record) => {
        if (record.step === 10 || record.step === 1000) counts.set(record.step, tf.memory().numTensors);
      },
    },
  ]);
  assert.equal(counts.get(1000), counts.get(10), 'tensors grew between step 10 and step 1000');
  assert.equal(tf.memory().numTensors, before, 'training left tensors behind');
  const trained = { network, vocab: data.vocab, config };
  const during: number[] = [];
  const [generation] = generateBatch(trained, [{ prompt: 'the ', seed: 2 }], {
    length: 10_000,
    stopAtEos: false,
    onToken: () => {
      if (during.length === 0 || during.length === 9_999) during.push(tf.memory().numTensors);
      else during.push(-1);
    },
  });
  assert.equal(generation.tokens.length, 10_000);
  assert.equal(during[9_999], during[0], 'tensors grew during generation');
  assert.equal(tf.memory().numTensors, before, 'generation left tensors behind');
  network.dispose();
});

test('a NaN loss stops training with the step named, and the last epoch checkpoint stays loadable', async () => {
  await initBackend('cpu');
  const data = prepareCharData(['the cat sat on the mat. a dog ran in the fog. '.repeat(4)], {
    mode: 'windows',
    seqLen: 8,
    valFraction: 0,
    seed: 1,
  });
  const config = resolveModelConfig({ vocabSize: data.vocab.size, units: 4, seed: 1 });
  const network = buildGenerator(config);
  const trained = { network, vocab: data.vocab, config };
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gennet-nan-')), 'model');
  const perEpoch = data.train.batchesPerEpoch(4);
  const poisonAt = perEpoch + 2; // in epoch 2, after the epoch-1 checkpoint
  const poison: TrainCallback = {
    onBatchEnd: (record) => {
      if (record.step === poisonAt)
        network.getLayer('logits').setWeights(
          network
            .getLayer('logits')
            .getWeights()
            .map((w) => tf.fill(w.shape, Number.NaN)),
        );
    },
  };
  await assert.rejects(
    // The fast engine: its steps read the network's variables, so the poison written by the callback takes effect.
    train(network, data, { ...DEFAULT_TRAIN_CONFIG, engine: 'fast', epochs: 5, batchSize: 4, seed: 1 }, [
      checkpointEachValidation(dir, trained),
      poison,
    ]),
    new RegExp(`diverged: the loss became NaN at step ${poisonAt + 1}\\. Lower --lr or use --clip`),
  );
  const saved = await loadArtifact(dir);
  const weights = saved.network.getWeights().flatMap((w) => Array.from(w.dataSync()));
  assert.ok(weights.every(Number.isFinite), 'the checkpoint holds the last good (finite) weights');
  network.dispose();
  saved.network.dispose();
});

test(`validation on a large split scores an even sample of its \
batches (valMaxTokens), or all of them (null)`, async () => {
  await initBackend('cpu');
  const stream = Int32Array.from({ length: 4_000 }, (_, i) => (i * i + 5 * i) % 13);
  const dataset = new WindowDataset(stream, { seqLen: 20 });
  const model = buildGenerator(resolveModelConfig({ vocabSize: 13, units: 8, seed: 2 }));
  const batches = [...dataset.batches(8, null, { dropRemainder: false })];
  const mean = (chosen: typeof batches) => {
    const [sum, n] = chosen.reduce(
      ([s, c], b) => [s + engineNamed('fast').loss(model, b) * realTokens(b), c + realTokens(b)],
      [0, 0],
    );
    return sum / n;
  };
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-6 * b;
  assert.ok(close(evaluate(model, dataset, 8, 'fast', null), mean(batches)), 'all batches');
  const third = Math.ceil(dataset.tokens / 3);
  const every3 = batches.filter((_, i) => i % 3 === 0);
  assert.ok(batches.length >= 9);
  assert.ok(close(evaluate(model, dataset, 8, 'fast', third), mean(every3)), 'every third batch');
  assert.notEqual(evaluate(model, dataset, 8, 'fast', third), evaluate(model, dataset, 8, 'fast', null));
  assert.equal(DEFAULT_TRAIN_CONFIG.valMaxTokens, 1_000_000);
  model.dispose();
});

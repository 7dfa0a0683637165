import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { padSources } from '../src/data';
import { type Engine, engineNamed } from '../src/engines';
import { buildGpt } from '../src/families';
import { createRng } from '../src/random';
import type { TrainConfig } from '../src/train';
import { startUpdater } from '../src/train/updater';
import { attentionModel, MAX_LEN, SOURCES } from './attentionFixtures';
import { parseAs } from './cliJson';
import { assertEnginesMatchLayers } from './encoderGradients';
import {
  assertMatchesLayers,
  engineCases,
  flatWeights,
  generatorWith,
  lossAndGrads,
  maskedBatch,
  relativeDiff,
  setUniformWeights,
  VOCAB,
} from './engineFixtures';

// Label smoothing (--label-smoothing ε): every engine trains against (1 − ε)·one-hot + ε/V and validates on the plain
// cross-entropy; the layers engine (automatic gradients of that formula) is the reference.

const SMOOTHING = 0.2;

/** The mean over `batch`'s real targets of the cross-entropy against the smoothed targets, from the model's logits. */
function smoothedCrossEntropy(model: tf.LayersModel, epsilon: number): number {
  const batch = maskedBatch();
  const logits = tf.tidy(() => {
    const inputs = tf.tensor2d(batch.inputs, [batch.batchSize, batch.seqLen], 'int32');
    return (model.apply(inputs, { training: false }) as tf.Tensor).arraySync() as number[][][];
  });
  let total = 0;
  let count = 0;
  logits.flat().forEach((scores, i) => {
    if (batch.mask![i] === 0) return;
    const max = Math.max(...scores);
    const logSum = max + Math.log(scores.reduce((sum, x) => sum + Math.exp(x - max), 0));
    const logP = scores.map((x) => x - logSum);
    total += -(1 - epsilon) * logP[batch.targets[i]] - (epsilon / VOCAB) * logP.reduce((a, b) => a + b, 0);
    count++;
  });
  return total / count;
}

test(`label smoothing: every engine's training loss is the cross-entropy against (1 − ε)·one-hot + ε/V (computed \
from the logits); validation scores the plain cross-entropy`, async () => {
  await initBackend('cpu');
  const model = await generatorWith('lstm', 'embedding', 'sigmoid');
  // A sharper output layer than a new network's (whose near-uniform distributions score alike either way).
  const output = model.trainableWeights.find((w) => w.originalName === 'logits/kernel')!;
  output.write(tf.tidy(() => tf.mul(output.read(), 30)));
  const [plain, smoothed] = [smoothedCrossEntropy(model, 0), smoothedCrossEntropy(model, SMOOTHING)];
  assert.ok(Math.abs(smoothed - plain) > 1e-3 * plain, `the two losses differ enough to tell (${smoothed}, ${plain})`);
  for (const engine of ['layers', 'fast', 'native']) {
    for (const [epsilon, expected] of [
      [0, plain],
      [SMOOTHING, smoothed],
    ]) {
      const { loss } = lossAndGrads(model, maskedBatch(), engine, 1, null, epsilon);
      assert.ok(Math.abs(loss - expected) < 1e-5 * expected, `${engine}, ε = ${epsilon}: ${loss} vs ${expected}`);
    }
    const validation = engineNamed(engine).loss(model, maskedBatch());
    assert.ok(Math.abs(validation - plain) < 1e-5 * plain, `${engine}: validation ${validation} vs ${plain}`);
  }
  model.dispose();
});

test(`label smoothing: the fast and native engines' gradients equal the layers engine's for every cell, input and \
gate (native on 1 and 2 threads), and a GPT's on native; they differ from the unsmoothed ones`, async () => {
  await initBackend('cpu');
  for (const { cell, input, gate, label } of engineCases()) {
    const model = await generatorWith(cell, input, gate);
    assertMatchesLayers(model, 'fast', label, 1, null, SMOOTHING);
    for (const threads of [1, 2])
      assertMatchesLayers(model, 'native', `${label}, ${threads} threads`, threads, null, SMOOTHING);
    const [smoothed, plain] = [SMOOTHING, 0].map((epsilon) =>
      lossAndGrads(model, maskedBatch(), 'native', 1, null, epsilon),
    );
    for (const [name, grad] of plain.grads)
      assert.ok(relativeDiff(smoothed.grads.get(name)!, grad) > 1e-3, `${label}: smoothing changes ${name}'s gradient`);
    model.dispose();
  }
  const gpt = buildGpt({
    family: 'gpt',
    vocabSize: VOCAB,
    layers: 1,
    width: 8,
    heads: 2,
    context: 7,
    dropout: 0,
    tied: false,
    seed: 3,
  });
  const rng = createRng(5);
  setUniformWeights(gpt, rng);
  for (const threads of [1, 2]) assertMatchesLayers(gpt, 'native', `GPT, ${threads} threads`, threads, null, SMOOTHING);
  gpt.dispose();
});

test(`label smoothing in sequence-to-sequence models: the fast engine, the native engine and the native whole pass \
give the layers engine's loss and gradients of both networks (Luong and Bahdanau, uni- and bidirectional)`, async (t) => {
  await initBackend('cpu');
  const ids = padSources(SOURCES, MAX_LEN);
  for (const [cell, bidirectional, kind] of [
    ['lstm', true, 'luong'],
    ['gru', false, 'bahdanau'],
  ] as const) {
    const { generator, encoder, layout } = attentionModel(cell, bidirectional, kind);
    const label = `${cell}${bidirectional ? ' bidirectional' : ''} ${kind}`;
    assertEnginesMatchLayers({ generator, encoder, layout }, maskedBatch(), ids, label, t, SMOOTHING);
    generator.dispose();
    encoder.dispose();
  }
});

test(`label smoothing in whole steps: the native engine's training steps (a recurrent network and a \
sequence-to-sequence model, Adam in C++) follow the fast engine's with TensorFlow.js's Adam`, async () => {
  await initBackend('cpu');
  const settings = { learningRate: 0.01, weightDecay: 0.1, clipNorm: 1, threads: 1, labelSmoothing: SMOOTHING };
  const batch = { ...maskedBatch(), documents: Int32Array.of(0, 1, 2) };
  const trained = async (engine: Engine, seq2seq: boolean, labelSmoothing: number) => {
    const { generator, encoder, layout } = attentionModel('lstm', true);
    const model = seq2seq ? generator : await generatorWith('lstm', 'embedding', 'sigmoid');
    const run = seq2seq ? { generator, encoder, layout, documentIds: padSources(SOURCES, MAX_LEN) } : undefined;
    const updater = await startUpdater(model, engine, { ...settings, labelSmoothing }, undefined, run);
    for (let step = 0; step < 3; step++) await updater.step(batch);
    updater.syncWeights();
    await updater.dispose();
    const weights = Float32Array.of(...flatWeights(model), ...(seq2seq ? flatWeights(encoder) : []));
    new Set([generator, encoder, model]).forEach((network) => network.dispose());
    return weights;
  };
  for (const seq2seq of [false, true]) {
    const label = seq2seq ? 'sequence-to-sequence' : 'recurrent';
    const native = await trained(engineNamed('native'), seq2seq, SMOOTHING);
    const diff = relativeDiff(native, await trained(engineNamed('fast'), seq2seq, SMOOTHING));
    assert.ok(diff < 1e-4, `${label}: native and fast weights after 3 steps differ by ${diff.toExponential(2)}`);
    const unsmoothed = relativeDiff(native, await trained(engineNamed('native'), seq2seq, 0));
    assert.ok(unsmoothed > 1e-4, `${label}: smoothing changes the steps (${unsmoothed.toExponential(2)})`);
  }
});

test(`gennet train --label-smoothing: on the plan line and in the saved run; a value outside [0, 1) and a counted \
model are refused, saying what to do`, () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-label-smoothing-'));
  const corpus = path.join(work, 'corpus.txt');
  writeFileSync(corpus, 'the quick brown fox jumps over the lazy dog.\n'.repeat(60));
  const gennet = (...args: string[]) =>
    spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/cli.js'), ...args], { encoding: 'utf8' });
  const small = ['--corpus', corpus, '--seq-len', '20', '--batch', '8', '--units', '16', '--no-samples'];
  const out = path.join(work, 'smoothed');
  const done = gennet('train', ...small, '--label-smoothing', '0.1', '--max-steps', '4', '--out', out);
  assert.equal(done.status, 0, done.stderr);
  assert.match(done.stderr, /plan: .*; label smoothing 0\.1;/);
  const saved = parseAs<{ run: { training: TrainConfig } }>(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(saved.run.training.labelSmoothing, 0.1);
  const outside = gennet('train', ...small, '--label-smoothing', '1', '--max-steps', '4', '--out', `${out}-1`);
  assert.notEqual(outside.status, 0);
  assert.match(outside.stderr, /--label-smoothing.*in \[0, 1\)/);
  const counted = gennet(
    'train',
    '--corpus',
    corpus,
    '--cell',
    'ngram',
    '--label-smoothing',
    '0.1',
    '--out',
    `${out}-ngram`,
  );
  assert.notEqual(counted.status, 0);
  assert.match(counted.stderr, /--label-smoothing/);
});

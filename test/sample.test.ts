import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/backend';
import { buildGenerator, resolveModelConfig } from '../src/model/generator';
import type { TrainedModel } from '../src/model/trainedModel';
import { createRng } from '../src/random';
import { argmax, checkTemperature, generate, sampleFromLogits, softmax } from '../src/sample';
import { CharVocab, PAD_ID, UNK_ID } from '../src/vocab';

function untrained(seed = 1): TrainedModel {
  const vocab = CharVocab.build(['the quick brown fox jumps over the lazy dog']);
  const config = resolveModelConfig({ vocabSize: vocab.size, units: 16, seed });
  return { network: buildGenerator(config), vocab, config };
}

test('softmax sums to one and argmax picks the largest logit', () => {
  const logits = Float32Array.from([0.5, 3, -1, 3]);
  const p = softmax(logits);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.equal(argmax(logits), 1);
});

test('sampling follows the softmax probabilities', () => {
  const logits = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1), -Infinity]);
  const rng = createRng(7);
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) counts[sampleFromLogits(logits, rng)]++;
  assert.equal(counts[3], 0);
  [0.7, 0.2, 0.1].forEach((p, i) => assert.ok(Math.abs(counts[i] / n - p) < 0.015, `token ${i}: ${counts[i] / n}`));
});

test('temperature 0 is greedy: the same text whatever the seed', async () => {
  await initBackend('cpu');
  const model = untrained();
  const a = generate(model, { prompt: 'the ', length: 40, temperature: 0, seed: 1 });
  const b = generate(model, { prompt: 'the ', length: 40, temperature: 0, seed: 2 });
  assert.equal(a, b);
  assert.ok(a.startsWith('the '));
});

test('sampling is reproducible per seed and differs across seeds', async () => {
  await initBackend('cpu');
  const model = untrained();
  const gen = (seed: number) => generate(model, { prompt: 'fox', length: 60, temperature: 1.5, seed, stopAtEos: false });
  assert.equal(gen(3), gen(3));
  assert.notEqual(gen(3), gen(4));
});

test('<pad> and <unk> are never produced, even when the model favours them', async () => {
  await initBackend('cpu');
  const model = untrained();
  const dense = model.network.getLayer('logits');
  const [kernel, bias] = dense.getWeights();
  const favoured = bias.arraySync() as number[];
  favoured[PAD_ID] = 50;
  favoured[UNK_ID] = 50;
  const { tensor1d } = await import('@tensorflow/tfjs');
  dense.setWeights([kernel, tensor1d(favoured)]);
  for (const temperature of [0, 1, 1.8, 5]) {
    const text = generate(model, { length: 80, temperature, seed: 9, stopAtEos: false });
    assert.ok(!text.includes('\uFFFD'), `unk at T=${temperature}`);
    assert.equal([...text].length, 80, `T=${temperature}: every step produced a character`);
  }
});

test('bad temperatures and lengths are refused', async () => {
  assert.throws(() => checkTemperature(-0.5), /Temperature must be 0 \(greedy\) or a positive number/);
  assert.throws(() => checkTemperature(Number.NaN), /Temperature/);
  await initBackend('cpu');
  assert.throws(() => generate(untrained(), { length: -1 }), /Length must be a whole number/);
});

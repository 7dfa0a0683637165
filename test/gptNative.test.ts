import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import { layersEngine } from '../src/engines/layers';
import { nativeAddon } from '../src/engines/native/addon';
import { buildGpt, type GptConfig } from '../src/families';
import { createRng } from '../src/random';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train';
import { assertSameCurve, flatWeights, relativeDiff, setUniformWeights } from './engineFixtures';

// The native GPT pass against the layers engine's (TensorFlow.js ops and automatic gradients): the same loss and
// gradients for every weight, for one and two blocks, one to four heads, tied and untied, with padding.

const VOCAB = 13;
const addon = () => {
  const loaded = nativeAddon();
  if ('reason' in loaded) throw new Error(loaded.reason);
  return loaded.addon;
};

for (const shape of [
  { layers: 1, heads: 1, tied: false, padded: false },
  { layers: 2, heads: 4, tied: false, padded: true },
  { layers: 2, heads: 2, tied: true, padded: true },
]) {
  test(`the native GPT pass gives the layers engine's loss and gradients (${JSON.stringify(shape)})`, async () => {
    await initBackend('cpu');
    const config: GptConfig = {
      family: 'gpt',
      vocabSize: VOCAB,
      layers: shape.layers,
      width: 16,
      heads: shape.heads,
      context: 12,
      dropout: 0,
      tied: shape.tied,
      seed: 3,
    };
    const network = buildGpt(config);
    const rng = createRng(5);
    setUniformWeights(network, rng);
    const [rows, steps] = [3, 10];
    const ids = () => Int32Array.from({ length: rows * steps }, () => Math.floor(rng() * VOCAB));
    const mask = shape.padded
      ? Float32Array.from({ length: rows * steps }, (_, i) => (i % steps < 7 || i < steps ? 1 : 0))
      : null;
    const batch = { inputs: ids(), targets: ids(), mask, batchSize: rows, seqLen: steps };
    const expected = layersEngine.lossAndGradients(network, batch, 1);
    const weights = network.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
    const spec = {
      layers: config.layers,
      width: 16,
      heads: shape.heads,
      context: 12,
      vocab: VOCAB,
      tied: shape.tied,
      dropout: 0,
    };
    for (const threads of [1, 2]) {
      const native = addon().gptLossAndGradients(
        spec,
        weights,
        batch.inputs,
        batch.targets,
        mask,
        rows,
        steps,
        threads,
        null,
        true,
      );
      assert.ok(
        Math.abs(native.loss - expected.loss) <= 1e-5 * expected.loss,
        `loss ${native.loss} vs ${expected.loss}`,
      );
      network.trainableWeights.forEach((variable, i) => {
        const want = expected.grads[variable.name].dataSync();
        const got = native.grads![i];
        const scale = Math.max(...Array.from(want, Math.abs));
        const worst = Math.max(...Array.from(got, (g, j) => Math.abs(g - want[j])));
        assert.ok(worst <= 1e-4 * scale, `${variable.name} (${threads} threads): off by ${worst} of ${scale}`);
      });
    }
    tf.dispose(Object.values(expected.grads));
    network.dispose();
  });
}

test(`training a GPT on the native engine (whole steps: clipping and AdamW in C++, at the warmed cosine's rates) \
follows the layers engine step by step; with dropout, interrupted and resumed, it ends where an uninterrupted run ends`, async () => {
  await initBackend('wasm');
  const config: GptConfig = {
    family: 'gpt',
    vocabSize: VOCAB,
    layers: 2,
    width: 16,
    heads: 2,
    context: 12,
    dropout: 0,
    tied: false,
    seed: 4,
  };
  const stream = Int32Array.from({ length: 1_200 }, (_, i) => 1 + ((i * 5 + (i >> 2)) % (VOCAB - 1)));
  const data = () => ({
    train: new WindowDataset(stream, { seqLen: 12 }),
    val: new WindowDataset(stream.subarray(0, 120), { seqLen: 12 }),
  });
  const settings = {
    ...DEFAULT_TRAIN_CONFIG,
    batchSize: 8,
    epochs: 1,
    maxSteps: 12,
    learningRate: 0.01,
    lrSchedule: 'cosine' as const,
    warmup: 3,
    weightDecay: 0.1,
    clipNorm: 0.5,
    seed: 2,
  };
  addon().profile(true);
  const [layers, native] = await Promise.all(
    (['layers', 'native'] as const).map((engine) => train(buildGpt(config), data(), { ...settings, engine })),
  );
  assert.equal(native.engine, 'native');
  assert.equal(addon().profile().steps, 12, 'every step was a whole native step (the addon counts them)');
  layers.history.batches.forEach((batch, i) => {
    const other = native.history.batches[i].loss;
    assert.ok(Math.abs(other - batch.loss) <= 1e-4 * batch.loss, `step ${i + 1}: ${other} vs ${batch.loss}`);
  });
  const dropoutRun = { ...settings, engine: 'native' as const, epochs: 3, maxSteps: 30 };
  const whole = buildGpt({ ...config, dropout: 0.2 });
  const reference = await train(whole, data(), dropoutRun);
  assert.ok(reference.history.batches.at(-1)!.loss < reference.history.batches[0].loss - 0.3, 'dropout trains');
  const model = buildGpt({ ...config, dropout: 0.2 });
  const stop = new AbortController();
  const stopAt15 = { onBatchEnd: (record: { step: number }) => void (record.step === 15 && stop.abort()) };
  const part = await train(model, data(), dropoutRun, [stopAt15], { signal: stop.signal });
  const rest = await train(model, data(), dropoutRun, [], { resume: part.interrupted! });
  tf.dispose(part.interrupted!.optimizer.map((w) => w.tensor));
  assertSameCurve(rest, reference, 'interrupted at step 15 and resumed');
  assert.ok(relativeDiff(flatWeights(model), flatWeights(whole)) < 1e-5);
  model.dispose();
  whole.dispose();
});

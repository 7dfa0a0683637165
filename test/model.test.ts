import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { buildGenerator, CELLS, resolveModelConfig } from '../src/model/generator';
import { Stepper } from '../src/model/stepper';

const ids = (n: number, vocab: number) => Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % vocab);

test('the generator maps [batch, time] ids to [batch, time, vocab] logits for every cell and input', async () => {
  await initBackend('cpu');
  for (const cell of CELLS) {
    for (const input of ['onehot', 'embedding'] as const) {
      const config = resolveModelConfig({ vocabSize: 11, cell, input, units: 8, layers: 2, dropout: 0.2 });
      const model = buildGenerator(config);
      const out = tf.tidy(() => (model.predict(tf.tensor2d(ids(15, 11), [3, 5], 'int32')) as tf.Tensor).shape);
      assert.deepEqual(out, [3, 5, 11], `${cell}/${input}`);
      model.dispose();
    }
  }
});

test('the same seed builds the same weights; another seed builds other weights', async () => {
  await initBackend('cpu');
  const weights = (seed: number) => {
    const model = buildGenerator(resolveModelConfig({ vocabSize: 9, units: 6, seed }));
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  assert.deepEqual(weights(5), weights(5));
  assert.notDeepEqual(weights(5), weights(6));
});

test('the stepper (prompt fed once, then one token per step) gives the logits of a full forward pass', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    for (const cell of CELLS) {
      const config = resolveModelConfig({ vocabSize: 13, cell, units: 10, layers: 2 });
      const model = buildGenerator(config);
      const seq = ids(12, 13);
      const full = tf.tidy(() => (model.predict(tf.tensor2d(seq, [1, 12], 'int32')) as tf.Tensor).arraySync() as number[][][]);
      const stepper = new Stepper(model, config, 1);
      stepper.reset();
      const afterPrompt = stepper.feed(seq.subarray(0, 8), 8);
      assert.ok(maxDiff(afterPrompt, full[0][7]) < 1e-4, `${backend}/${cell} prompt`);
      for (let t = 8; t < 12; t++) {
        const logits = stepper.feed(seq.subarray(t, t + 1), 1);
        assert.ok(maxDiff(logits, full[0][t]) < 1e-4, `${backend}/${cell} step ${t}`);
      }
      stepper.dispose();
      model.dispose();
    }
  }
});

test('stepping does not leak tensors', async () => {
  await initBackend('wasm');
  const config = resolveModelConfig({ vocabSize: 10, units: 8 });
  const model = buildGenerator(config);
  const stepper = new Stepper(model, config, 1);
  stepper.feed(Int32Array.of(1), 1);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) stepper.feed(Int32Array.of(i % 10), 1);
  assert.equal(tf.memory().numTensors, before);
  stepper.dispose();
  model.dispose();
});

test('embedding gradients equal the one-hot × matrix gradients, on cpu and wasm', async () => {
  const vocab = 7;
  const tokens = Int32Array.from([1, 3, 3, 6, 0, 2]);
  const gradsOn = async (backend: 'cpu' | 'wasm') => {
    await initBackend(backend);
    const config = resolveModelConfig({ vocabSize: vocab, input: 'embedding', embeddingDim: 4, units: 5, seed: 3 });
    const model = buildGenerator(config);
    const table = model.getLayer('embedding').getWeights()[0];
    const x = tf.tensor2d(tokens, [2, 3], 'int32');
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, [
      model.getLayer('embedding').trainableWeights[0].read() as tf.Variable,
    ]);
    const embeddingGrad = Object.values(grads)[0].arraySync() as number[][];
    // Reference: the same loss with the lookup written as oneHot(tokens) · table.
    const reference = tf.grad((t: tf.Tensor) => {
      const embedded = tf.matMul(tf.oneHot(tf.tensor1d(tokens, 'int32'), vocab), t).reshape([2, 3, 4]);
      let h: tf.Tensor = embedded;
      for (const layer of model.layers.slice(2)) h = layer.apply(h) as tf.Tensor;
      return tf.sum(tf.square(h));
    })(table).arraySync() as number[][];
    model.dispose();
    return { embeddingGrad, reference };
  };
  const cpu = await gradsOn('cpu');
  const wasm = await gradsOn('wasm');
  assert.ok(maxDiff(cpu.embeddingGrad.flat(), cpu.reference.flat()) < 1e-5);
  assert.ok(maxDiff(wasm.embeddingGrad.flat(), cpu.embeddingGrad.flat()) < 1e-4);
  assert.ok(cpu.embeddingGrad.flat().some((v) => Math.abs(v) > 1e-6), 'gradient is not all zeros');
});

test('bad model settings are refused with a message that names them', () => {
  assert.throws(() => resolveModelConfig({ vocabSize: 10, units: 0 }), /units must be a whole number/);
  assert.throws(() => resolveModelConfig({ vocabSize: 10, cell: 'transformer' as never }), /Unknown cell "transformer". Use one of: lstm, gru, rnn/);
  assert.throws(() => resolveModelConfig({ vocabSize: 10, dropout: 1 }), /Dropout must be in \[0, 1\)/);
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

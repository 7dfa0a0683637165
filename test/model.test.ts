import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, initBackend } from '../src/backend';
import { LayersStepper as Stepper, sequenceLoss } from '../src/engines';
import { buildGenerator, CELLS, GramSchmidtOrthogonal, resolveModelConfig, TokenEmbedding } from '../src/model';

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
      const full = tf.tidy(
        () => (model.predict(tf.tensor2d(seq, [1, 12], 'int32')) as tf.Tensor).arraySync() as number[][][],
      );
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
    const { grads } = tf.variableGrads(
      () => tf.sum<tf.Scalar>(tf.square(model.apply(x) as tf.Tensor)),
      [model.getLayer('embedding').trainableWeights[0].read() as tf.Variable],
    );
    const embeddingGrad = Object.values(grads)[0].arraySync() as number[][];
    // Reference: the same loss with the lookup written as oneHot(tokens) · table.
    const reference = tf
      .grad((t: tf.Tensor) => {
        const embedded = tf.matMul(tf.oneHot(tf.tensor1d(tokens, 'int32'), vocab), t).reshape([2, 3, 4]);
        let h: tf.Tensor = embedded;
        for (const layer of model.layers.slice(2)) h = layer.apply(h) as tf.Tensor;
        return tf.sum(tf.square(h));
      })(table)
      .arraySync() as number[][];
    model.dispose();
    return { embeddingGrad, reference };
  };
  const cpu = await gradsOn('cpu');
  const wasm = await gradsOn('wasm');
  assert.ok(maxDiff(cpu.embeddingGrad.flat(), cpu.reference.flat()) < 1e-5);
  assert.ok(maxDiff(wasm.embeddingGrad.flat(), cpu.embeddingGrad.flat()) < 1e-4);
  assert.ok(
    cpu.embeddingGrad.flat().some((v) => Math.abs(v) > 1e-6),
    'gradient is not all zeros',
  );
});

/** Gradient of `sum(tanh(lookup) · w)` w.r.t. the embedding table: by TokenEmbedding and by `oneHot(ids) · table`. */
function embeddingGrads(
  vocab: number,
  dim: number,
  tokens: number[][],
): { layer: Float32Array; reference: Float32Array } {
  let result: { layer: Float32Array; reference: Float32Array } | undefined;
  tf.tidy(() => {
    const [batch, time] = [tokens.length, tokens[0].length];
    const layer = new TokenEmbedding({ inputDim: vocab, outputDim: dim, seed: 11 });
    const x = tf.tensor2d(tokens, [batch, time], 'int32');
    const w = tf.tensor3d(
      Float32Array.from({ length: batch * time * dim }, (_, i) => Math.sin(i + 1)),
      [batch, time, dim],
    );
    const loss = (embedded: tf.Tensor) => tf.sum<tf.Scalar>(tf.mul(tf.tanh(embedded), w));
    layer.apply(x); // builds the table
    const table = layer.trainableWeights[0].read() as tf.Variable;
    const { grads } = tf.variableGrads(() => loss(layer.apply(x) as tf.Tensor), [table]);
    assert.deepEqual(grads[table.name].shape, [vocab, dim]);
    const reference = tf.grad((t: tf.Tensor) =>
      loss(tf.matMul(tf.oneHot(x.reshape([-1]), vocab), t).reshape([batch, time, dim])),
    )(table);
    result = { layer: grads[table.name].dataSync() as Float32Array, reference: reference.dataSync() as Float32Array };
    layer.dispose();
  });
  return result!;
}

test(`TokenEmbedding gradients equal oneHot(ids) · table gradients \
on every backend (repeats, pad 0, id V-1, V = 10 000)`, async (t) => {
  const large = Array.from({ length: 2 }, (_, b) =>
    Array.from({ length: 40 }, (_, i) => ((b * 40 + i) * 7919) % 10_000),
  );
  large[0].splice(0, 4, 0, 9_999, 42, 42);
  large[1].splice(36, 4, 42, 0, 9_999, 9_999);
  const cases = [
    {
      vocab: 7,
      dim: 4,
      tokens: [
        [1, 3, 3, 6],
        [0, 0, 6, 2],
      ],
    }, // ids 4 and 5 absent
    { vocab: 10_000, dim: 3, tokens: large },
  ];
  await initBackend('cpu');
  const onCpu = cases.map((c) => embeddingGrads(c.vocab, c.dim, c.tokens));
  for (const backend of BACKENDS) {
    const available =
      backend !== 'tensorflow' ||
      (await initBackend('tensorflow').then(
        () => true,
        () => false,
      ));
    const skip = available ? false : '@tensorflow/tfjs-node is not installed (npm run native)';
    await t.test(backend, { skip }, async () => {
      await initBackend(backend);
      cases.forEach((c, k) => {
        const { layer, reference } = embeddingGrads(c.vocab, c.dim, c.tokens);
        const label = `${backend}, V=${c.vocab}`;
        assert.ok(maxDiff(layer, reference) < 1e-5, `${label}: layer vs one-hot × matrix`);
        assert.ok(maxDiff(layer, onCpu[k].layer) < 1e-5, `${label}: ${backend} vs cpu`);
        const used = new Set(c.tokens.flat());
        for (let id = 0; id < c.vocab; id++) {
          const row = layer.subarray(id * c.dim, (id + 1) * c.dim);
          if (used.has(id))
            assert.ok(
              row.some((v) => v !== 0),
              `${label}: row ${id} is used but zero`,
            );
          else
            assert.ok(
              row.every((v) => v === 0),
              `${label}: row ${id} is unused but not zero`,
            );
        }
      });
    });
  }
});

test(`training an embedding model for 100 steps keeps \
tf.memory().numTensors constant and lowers the loss`, async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    const model = buildGenerator(
      resolveModelConfig({ vocabSize: 50, input: 'embedding', embeddingDim: 8, units: 8, seed: 1 }),
    );
    const optimizer: tf.Optimizer = tf.train.adam(0.02);
    const x = tf.tensor2d(ids(20, 50), [2, 10], 'int32');
    const y = tf.tensor2d(ids(21, 50).subarray(1), [2, 10], 'int32');
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => sequenceLoss(model.apply(x, { training: true }) as tf.Tensor, y, null),
          model.trainableWeights.map((w) => w.read() as tf.Variable),
        );
        optimizer.applyGradients(grads);
        return value.dataSync()[0];
      });
    const first = step(); // creates Adam's slot variables
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) last = step();
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
    assert.ok(last < first, `${backend}: loss did not fall (${first} → ${last})`);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
});

test('bad model settings are refused with a message that names them', () => {
  assert.throws(() => resolveModelConfig({ vocabSize: 10, units: 0 }), /units must be a whole number/);
  assert.throws(
    () => resolveModelConfig({ vocabSize: 10, cell: 'transformer' as never }),
    /Unknown cell "transformer". Use one of: lstm, gru, rnn/,
  );
  assert.throws(() => resolveModelConfig({ vocabSize: 10, dropout: 1 }), /Dropout must be in \[0, 1\)/);
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

test(`GramSchmidtOrthogonal gives tfjs-layers' orthogonal matrices \
(same seed) and saves as Orthogonal, without its warning`, async () => {
  await initBackend('cpu');
  for (const shape of [
    [8, 32],
    [32, 8],
    [16, 16],
  ]) {
    const fast = new GramSchmidtOrthogonal({ seed: 7, gain: 1.5 }).apply(shape).dataSync();
    const reference = tf.initializers.orthogonal({ seed: 7, gain: 1.5 }).apply(shape).dataSync();
    assert.ok(maxDiff(fast, Array.from(reference)) < 1e-6, `[${shape.join(',')}]`);
  }
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  const q = tf.tidy(() => new GramSchmidtOrthogonal({ seed: 3 }).apply([128, 512]) as tf.Tensor2D);
  console.warn = warn;
  assert.deepEqual(warnings, []);
  const gram = tf.tidy(() => tf.matMul(q, q, false, true).sub(tf.eye(128)).abs().max().dataSync()[0]);
  assert.ok(gram < 1e-5, `rows are orthonormal (|QQᵀ − I| = ${gram})`);
  q.dispose();
  const model = buildGenerator(resolveModelConfig({ vocabSize: 9, units: 6, seed: 5 }));
  const json = JSON.stringify(model.toJSON(null, false));
  assert.match(json, /"recurrent_initializer":\{"class_name":"Orthogonal","config":\{"gain":1,"seed":\d+\}\}/);
  model.dispose();
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { Batch } from '../src/data';
import { WindowDataset } from '../src/data/windowDataset';
import { engineNamed, fastBatchLoss, fastEngine, FastStepper, LayersStepper, selectEngine } from '../src/engines';
import { buildGenerator, CELLS, CellType, GATE_ACTIVATIONS, GateActivation, lookupRows, ModelConfig, resolveModelConfig } from '../src/model';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train/trainer';

const VOCAB = 11;
const ids = (n: number, mul: number, add: number) => Int32Array.from({ length: n }, (_, i) => (i * mul + add) % VOCAB);

/** A 3 × 7 batch whose last column and one middle token are padding. */
function maskedBatch(): Batch {
  const [batchSize, seqLen] = [3, 7];
  const mask = Float32Array.from({ length: batchSize * seqLen }, (_, i) => (i % seqLen === seqLen - 1 || i === 9 ? 0 : 1));
  return { inputs: ids(21, 7, 3), targets: ids(21, 5, 1), mask, batchSize, seqLen };
}

/**
 * A two-layer generator whose recurrent layers use `gate` (the sigmoid our builder uses, or tfjs-layers' default hard
 * sigmoid, which models saved before the switch have), with non-zero biases so that their gradients count too.
 */
async function generatorWith(cell: CellType, input: ModelConfig['input'], gate: GateActivation): Promise<tf.LayersModel> {
  let model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, cell, units: 6, layers: 2, input, embeddingDim: 5, seed: 3 }));
  if (gate === 'hardSigmoid') {
    const json = model.toJSON(null, false) as unknown as { config: { layers: { config: Record<string, unknown> }[] } };
    for (const layer of json.config.layers) if ('recurrentActivation' in layer.config) layer.config.recurrentActivation = 'hardSigmoid';
    const rebuilt = await tf.models.modelFromJSON(json as unknown as tf.io.ModelJSON);
    rebuilt.setWeights(model.getWeights());
    model.dispose();
    model = rebuilt;
  }
  model.trainableWeights
    .filter((w) => w.originalName.endsWith('/bias'))
    .forEach((w, k) => w.write(tf.tidy(() => tf.sin(tf.range(k, k + w.shape[0]!)).mul(0.3))));
  return model;
}

/** Loss and gradients (by variable name) of one batch, by the fast engine or by the layers engine (tfjs-layers + autodiff). */
function lossAndGrads(model: tf.LayersModel, batch: Batch, engine: 'fast' | 'layers'): { loss: number; grads: Map<string, Float32Array> } {
  const { loss, grads } = engineNamed(engine).lossAndGradients(model, batch);
  const result = { loss, grads: new Map(Object.entries(grads).map(([name, g]) => [name, g.dataSync().slice() as Float32Array])) };
  tf.dispose(Object.values(grads));
  return result;
}

/** Largest |a − b| relative to the largest |b| (1 when b is all zeros). */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

test('fast-engine loss and gradients equal the tfjs-layers cells for every cell, gate, input and backend (2 layers, padding mask)', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    for (const cell of CELLS) {
      for (const input of ['onehot', 'embedding'] as const) {
        for (const gate of cell === 'rnn' ? (['sigmoid'] as const) : GATE_ACTIVATIONS) {
          const label = `${backend}/${cell}/${input}/${gate}`;
          const model = await generatorWith(cell, input, gate);
          const fast = lossAndGrads(model, maskedBatch(), 'fast');
          const reference = lossAndGrads(model, maskedBatch(), 'layers');
          assert.ok(Math.abs(fast.loss - reference.loss) < 1e-5, `${label}: loss ${fast.loss} vs ${reference.loss}`);
          assert.equal(fast.grads.size, reference.grads.size);
          for (const [name, grad] of reference.grads) {
            assert.ok(grad.some((v) => v !== 0), `${label}: ${name} has an all-zero reference gradient`);
            const diff = relativeDiff(fast.grads.get(name)!, grad);
            assert.ok(diff < 1e-4, `${label}: gradient of ${name} differs by ${diff.toExponential(2)}`);
          }
          model.dispose();
        }
      }
    }
  }
});

test('fast-engine gradients equal numeric gradients (central differences) of every weight', async () => {
  await initBackend('cpu');
  for (const cell of CELLS) {
    const model = await generatorWith(cell, 'onehot', 'sigmoid');
    const batch = maskedBatch();
    const { grads } = lossAndGrads(model, batch, 'fast');
    const lossAt = () => tf.tidy(() => fastBatchLoss(model, batch, false).dataSync()[0]);
    const eps = 1e-2;
    for (const weight of model.trainableWeights) {
      const variable = weight.read() as tf.Variable;
      const analytic = grads.get(variable.name)!;
      const original = variable.dataSync().slice() as Float32Array;
      // Up to 120 entries spread over the weight (all of the small ones).
      const stride = Math.max(1, Math.floor(original.length / 120));
      const numeric = new Float32Array(original.length);
      const checked = new Float32Array(original.length);
      for (let k = 0; k < original.length; k += stride) {
        const at = (delta: number) => {
          const values = original.slice();
          values[k] += delta;
          variable.assign(tf.tensor(values, variable.shape));
          return lossAt();
        };
        numeric[k] = (at(eps) - at(-eps)) / (2 * eps);
        checked[k] = analytic[k];
      }
      variable.assign(tf.tensor(original, variable.shape));
      const diff = relativeDiff(numeric, checked);
      assert.ok(diff < 2e-2, `${cell} ${weight.originalName}: numeric and analytic gradients differ by ${diff.toExponential(2)} of the largest`);
    }
    model.dispose();
  }
});

test('a model trained by the fast engine follows the tfjs-layers loss curve for the same seed', async () => {
  await initBackend('wasm');
  const stream = Int32Array.from({ length: 2_000 }, (_, i) => (i * i + 3 * i) % 17 % VOCAB);
  const data = { train: new WindowDataset(stream, { seqLen: 20 }), val: new WindowDataset(stream.subarray(0, 200), { seqLen: 20 }) };
  for (const cell of CELLS) {
    const run = async (engine: 'fast' | 'layers') => {
      const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, cell, units: 16, seed: 9 }));
      const config = { ...DEFAULT_TRAIN_CONFIG, engine, batchSize: 8, epochs: 10, maxSteps: 40, learningRate: 0.01, seed: 4 };
      const result = await train(model, data, config);
      model.dispose();
      return result;
    };
    const fast = await run('fast');
    const reference = await run('layers');
    assert.deepEqual([fast.engine, reference.engine], ['fast', 'layers']);
    const losses = (r: typeof fast) => r.history.batches.map((b) => b.loss);
    assert.equal(fast.steps, 40);
    assert.ok(losses(reference)[39] < losses(reference)[0] - 0.3, `${cell}: the reference did not learn`);
    losses(fast).forEach((loss, k) => {
      const expected = losses(reference)[k];
      assert.ok(Math.abs(loss - expected) < 1e-3 * expected, `${cell}: step ${k + 1} loss ${loss} vs ${expected}`);
    });
    assert.ok(Math.abs(fast.valLoss! - reference.valLoss!) < 1e-3 * reference.valLoss!, `${cell}: validation ${fast.valLoss} vs ${reference.valLoss}`);
  }
});

test('the fast stepper gives the tf.layers stepper logits, with the state carried and after a reset', async () => {
  await initBackend('wasm');
  for (const cell of CELLS) {
    for (const input of ['onehot', 'embedding'] as const) {
      const config = resolveModelConfig({ vocabSize: VOCAB, cell, units: 6, layers: 2, input, embeddingDim: 5, seed: 3 });
      const model = buildGenerator(config);
      const [fast, reference] = [new FastStepper(model, 3), new LayersStepper(model, config, 3)];
      const tokens = ids(12, 7, 2);
      for (let round = 0; round < 3; round++) {
        assert.ok(relativeDiff(fast.feed(tokens, 4), reference.feed(tokens, 4)) < 1e-5, `${cell}/${input} round ${round}`);
      }
      fast.reset();
      reference.reset();
      assert.ok(relativeDiff(fast.feed(tokens.subarray(0, 3), 1), reference.feed(tokens.subarray(0, 3), 1)) < 1e-5, `${cell}/${input} after reset`);
      const before = tf.memory().numTensors;
      fast.feed(tokens, 4);
      assert.equal(tf.memory().numTensors, before, `${cell}/${input}: feeding leaked tensors`);
      fast.dispose();
      reference.dispose();
      model.dispose();
    }
  }
});

test('a network the fast engine cannot run names the layer and the way out; bad ids are refused', async () => {
  await initBackend('cpu');
  const input = tf.input({ shape: [null], dtype: 'int32' });
  const x = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4 }).apply(input) as tf.SymbolicTensor;
  const h = tf.layers.lstm({ units: 4, returnSequences: true, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: VOCAB }).apply(h) as tf.SymbolicTensor });
  assert.match(fastEngine.unsupportedReason(model)!, /^layer "embedding.*" \(Embedding\): no fast version/);
  assert.throws(() => selectEngine('fast', model), /The fast engine cannot run this model: layer "embedding.*Embedding.*--engine auto/);
  assert.equal(selectEngine('auto', model).name, 'layers', 'auto takes the engine that can run it');
  assert.throws(() => fastBatchLoss(model, maskedBatch(), true), /cannot run layer "embedding.*Embedding.*--engine layers/);
  assert.throws(() => new FastStepper(model, 1), /fast engine cannot run/);
  assert.throws(() => selectEngine('native-x', model), /Unknown engine "native-x". Use auto or one of: fast, layers/);
  model.dispose();
  const table = tf.ones([3, 2]);
  assert.throws(() => lookupRows(table, tf.tensor1d([0, 3], 'int32')), /Token id 3 is outside the table of 3 rows/);
  table.dispose();
});

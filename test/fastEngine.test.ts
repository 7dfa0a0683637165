import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { fastBatchLoss, fastEngine, FastStepper, LayersStepper, selectEngine } from '../src/engines';
import { CELLS, lookupRows } from '../src/model';
import {
  assertMatchesLayers,
  assertNumericGradients,
  assertSameCurve,
  assertSameSteps,
  engineCases,
  forEachStepperModel,
  generatorWith,
  ids,
  maskedBatch,
  trainedCurve,
  VOCAB,
} from './engineFixtures';

test(`fast-engine loss and gradients equal the tfjs-layers cells for \
every cell, gate, input and backend (2 layers, padding mask)`, async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    for (const { cell, input, gate, label } of engineCases()) {
      const model = await generatorWith(cell, input, gate);
      assertMatchesLayers(model, 'fast', `${backend}/${label}`);
      model.dispose();
    }
  }
});

test('fast-engine gradients equal numeric gradients (central differences) of every weight', async () => {
  await initBackend('cpu');
  for (const cell of CELLS) {
    const model = await generatorWith(cell, 'onehot', 'sigmoid');
    assertNumericGradients(model, 'fast', cell);
    model.dispose();
  }
});

test('a model trained by the fast engine follows the tfjs-layers loss curve for the same seed', async () => {
  await initBackend('wasm');
  for (const cell of CELLS) {
    const [fast, reference] = [await trainedCurve('fast', cell), await trainedCurve('layers', cell)];
    assert.deepEqual([fast.engine, reference.engine], ['fast', 'layers']);
    assert.equal(fast.steps, 40);
    const losses = reference.history.batches.map((b) => b.loss);
    assert.ok(losses[39] < losses[0] - 0.3, `${cell}: the reference did not learn`);
    assertSameCurve(fast, reference, cell);
  }
});

test('the fast stepper gives the tf.layers stepper logits, with the state carried and after a reset', async () => {
  await initBackend('wasm');
  forEachStepperModel((model, config, label) => {
    const [fast, reference] = [new FastStepper(model, 3), new LayersStepper(model, config, 3)];
    assertSameSteps(fast, reference, config, label);
    const before = tf.memory().numTensors;
    fast.feed(ids(12, 7, 2), 4);
    assert.equal(tf.memory().numTensors, before, `${label}: feeding leaked tensors`);
    fast.dispose();
    reference.dispose();
  });
});

test('a network the fast engine cannot run names the layer and the way out; bad ids are refused', async () => {
  await initBackend('cpu');
  const input = tf.input({ shape: [null], dtype: 'int32' });
  const x = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4 }).apply(input) as tf.SymbolicTensor;
  const h = tf.layers.lstm({ units: 4, returnSequences: true, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: VOCAB }).apply(h) as tf.SymbolicTensor });
  assert.match(fastEngine.unsupportedReason(model)!, /^layer "embedding.*" \(Embedding\): no fast version/);
  assert.throws(
    () => selectEngine('fast', model),
    /The fast engine cannot run this model: layer "embedding.*Embedding.*--engine auto/,
  );
  assert.equal(selectEngine('auto', model).name, 'layers', 'auto takes the engine that can run it');
  assert.throws(
    () => fastBatchLoss(model, maskedBatch(), true),
    /cannot run layer "embedding.*Embedding.*--engine layers/,
  );
  assert.throws(() => new FastStepper(model, 1), /fast engine cannot run/);
  assert.throws(
    () => selectEngine('native-x', model),
    /Unknown engine "native-x". Use auto or one of: native, fast, layers/,
  );
  model.dispose();
  const table = tf.ones([3, 2]);
  assert.throws(() => lookupRows(table, tf.tensor1d([0, 3], 'int32')), /Token id 3 is outside the table of 3 rows/);
  table.dispose();
});

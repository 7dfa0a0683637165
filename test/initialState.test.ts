import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { engineNamed } from '../src/engines';
import { stateLayout, stateSize } from '../src/model';
import {
  assertCentralDifferences,
  assertMatchesLayers,
  engineCases,
  generatorWith,
  maskedBatch,
} from './engineFixtures';

/** A state for the 3-row test batch of a 2-layer, 6-unit network: smooth values in (−0.8, 0.8). */
function initialStateFor(cell: string): Float32Array {
  const size = stateSize(stateLayout({ cell: cell as 'lstm', layers: 2, units: 6 }), maskedBatch().batchSize);
  return Float32Array.from({ length: size }, (_, i) => Math.sin(i * 1.3) * 0.8);
}

test(`the layers engine starts every row from a given state: loss and weight \
gradients change, the state's gradient is the numeric one`, async () => {
  await initBackend('cpu');
  const layers = engineNamed('layers');
  const batch = maskedBatch();
  for (const { cell, input, gate, label } of engineCases()) {
    const model = await generatorWith(cell, input, gate);
    try {
      const initial = initialStateFor(cell);
      const fromZeros = layers.loss(model, batch);
      assert.equal(
        layers.loss(model, batch, new Float32Array(initial.length)),
        fromZeros,
        `${label}: a zero state is the default`,
      );
      const before = tf.memory().numTensors;
      const { loss, grads, initialStateGrad } = layers.lossAndGradients(model, batch, 1, initial);
      tf.dispose(Object.values(grads));
      layers.loss(model, batch, initial);
      assert.equal(tf.memory().numTensors, before, `${label}: no tensor left behind`);
      assert.ok(Math.abs(loss - fromZeros) > 1e-3 * fromZeros, `${label}: the state matters`);
      assert.ok(
        Math.abs(layers.loss(model, batch, initial) - loss) < 1e-6 * loss,
        `${label}: loss() takes the state too`,
      );
      assert.equal(initialStateGrad!.length, initial.length);
      assertCentralDifferences(
        initial,
        initialStateGrad!,
        (changed) => layers.loss(model, batch, changed),
        `${label} initial state`,
        1e-2,
        initial.length,
      );
      assert.equal(layers.lossAndGradients(model, batch, 1).initialStateGrad, undefined, 'no state, no state gradient');
      assert.throws(
        () => layers.loss(model, batch, new Float32Array(5)),
        /initial state of 3 rows has \d+ values \(\d arrays of 3×6\), got 5/,
      );
    } finally {
      model.dispose();
    }
  }
});

for (const name of ['fast', 'native']) {
  test(`the ${name} engine from a given state: the layers engine's loss, \
weight and state gradients (every cell, input, gate)`, async (t) => {
    const engine = engineNamed(name);
    if (engine.unavailableReason() !== null) return t.skip(engine.unavailableReason()!);
    await initBackend('cpu');
    for (const { cell, input, gate, label } of engineCases()) {
      const model = await generatorWith(cell, input, gate);
      try {
        const initial = initialStateFor(cell);
        for (const threads of engine.ownThreads ? [1, 2] : [1])
          assertMatchesLayers(model, name, `${label}, ${threads} thread(s)`, threads, initial);
        const [tested, reference] = [engine, engineNamed('layers')].map((e) => e.loss(model, maskedBatch(), initial));
        assert.ok(Math.abs(tested - reference) < 1e-5 * reference, `${label}: loss() ${tested} vs ${reference}`);
      } finally {
        model.dispose();
      }
    }
  });
}

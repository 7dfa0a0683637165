import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/backend';
import { nativeEngine } from '../src/engines';
import { buildGenerator, resolveModelConfig } from '../src/model';
import { flatWeights, VOCAB } from './engineFixtures';

test(`the native whole step shares a large network's Adam update among its threads with the same numbers \
(one row: the gradients are one thread's either way)`, async (t) => {
  await initBackend('cpu');
  if (nativeEngine.unavailableReason() !== null) return t.skip(nativeEngine.unavailableReason()!);
  const weightsAfter = (threads: number) => {
    const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 128, seed: 1 }));
    assert.ok(model.countParams() > 1 << 16, 'over the size from which the update is shared');
    const fused = nativeEngine.startTraining!(
      model,
      { learningRate: 0.01, weightDecay: 0.1, clipNorm: 1, threads },
      null,
    )!;
    const seqLen = 12;
    const ids = (salt: number) => Int32Array.from({ length: seqLen }, (_, i) => (i * 7 + salt) % VOCAB);
    for (let step = 0; step < 3; step++)
      fused.step({ inputs: ids(step), targets: ids(step + 1), mask: null, batchSize: 1, seqLen });
    fused.syncWeights();
    const weights = flatWeights(model);
    fused.dispose();
    model.dispose();
    return weights;
  };
  assert.deepEqual(weightsAfter(2), weightsAfter(1));
});

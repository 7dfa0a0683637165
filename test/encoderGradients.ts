import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../src/data';
import {
  encoderParts,
  engineNamed,
  nativeConditionalLayout,
  nativeConditionalLossAndGradients,
  nativeSeq2SeqLayout,
  nativeSeq2SeqLossAndGradients,
} from '../src/engines';
import { encoderDecoderLoss, encoderDecoderLossAndGradients, type EncoderDecoder } from '../src/train';
import { relativeDiff } from './engineFixtures';

/**
 * How far an engine's gradient of `variable` may be from the reference's (relative difference): float32 rounding,
 * 1e-4; Bahdanau's query kernel gets 5e-3, as its gradient is a sum over source positions of terms whose weights sum
 * to zero (the softmax's), a small difference of large terms (measured: 2.7e-4 on the fast engine, 1.4e-3 on native).
 */
function tolerance(variable: string): number {
  return /query_kernel/.test(variable) ? 5e-3 : 1e-4;
}

/** The layers engine's loss and gradients (by variable name) of an encoder–decoder batch: the reference. */
function referenceOf(networks: EncoderDecoder, batch: Batch, ids: Int32Array, labelSmoothing: number) {
  const reference = encoderDecoderLossAndGradients(engineNamed('layers'), networks, batch, ids, 1, labelSmoothing);
  const grads = new Map(
    Object.entries(reference.grads).map(([name, g]) => [name, g.dataSync().slice() as Float32Array]),
  );
  tf.dispose(Object.values(reference.grads));
  return { loss: reference.loss, grads };
}

/**
 * Checks the training of a generator from an encoder's states (a condition encoder, or a sequence-to-sequence
 * model's source encoder) on `batch` with encoder input `ids`: on the layers engine, every encoder variable gets a
 * gradient equal to numeric directional derivatives of the loss; the other engines agree with it
 * ({@link assertEnginesMatchLayers}). `step`: the largest step of the central differences. Returns the layers
 * engine's loss.
 */
export function assertEncoderGradients(
  networks: EncoderDecoder,
  batch: Batch,
  ids: Int32Array,
  label: string,
  t: TestContext,
  step = 0.04,
): { loss: number } {
  const reference = referenceOf(networks, batch, ids, 0);
  const referenceGrads = reference.grads;
  const encoderVariables = networks.encoder.trainableWeights.map((w) => w.read() as tf.Variable);
  assert.equal(
    referenceGrads.size,
    networks.generator.trainableWeights.length + encoderVariables.length,
    `${label}: both networks' gradients`,
  );
  for (const variable of encoderVariables) {
    const analytic = referenceGrads.get(variable.name)!;
    assert.ok(
      analytic.some((v) => v !== 0),
      `${label}: ${variable.name} gets a gradient`,
    );
    // Its entries are small (~1e-4), below what float32 central differences resolve entry by entry: check directional
    // derivatives, with steps large enough for float32 and Richardson's extrapolation removing their h² error.
    const values = variable.dataSync().slice() as Float32Array;
    for (let k = 0; k < 3; k++) {
      // Along the analytic gradient's signs, weighted unevenly: its largest directional derivatives (float32 resolves
      // them), still wrong when any entry's sign or size is.
      const direction = Float32Array.from(
        values,
        (_, i) => Math.sign(analytic[i]) * (1 + 0.5 * Math.sin(i * 12.9898 + k * 78.233)),
      );
      const lossAt = (step: number) => {
        variable.assign(
          tf.tensor(
            values.map((v, i) => v + step * direction[i]),
            variable.shape,
          ),
        );
        return encoderDecoderLoss(engineNamed('layers'), networks, batch, ids);
      };
      const expected = analytic.reduce((sum, g, i) => sum + g * direction[i], 0);
      // A step that changes the loss by about 0.002 at most: resolvable in float32, small where the loss curves fast.
      const h = Math.min(step, 2e-3 / Math.abs(expected));
      const central = (at: number) => (lossAt(at) - lossAt(-at)) / (2 * at);
      const numeric = (4 * central(h) - central(2 * h)) / 3;
      variable.assign(tf.tensor(values, variable.shape));
      assert.ok(
        Math.abs(numeric - expected) < 2e-2 * Math.abs(expected),
        `${label} ${variable.name}: directional derivative ${numeric} vs ${expected}`,
      );
    }
  }
  assertEnginesMatchLayers(networks, batch, ids, label, t, 0, reference);
  return reference;
}

/**
 * The fast and native engines (where available) give the layers engine's training loss (with `labelSmoothing`) and
 * the same gradients of both networks, and leave no tensor behind (an engine that cannot run the generator is skipped,
 * saying why); so does the native engine's whole pass. `reference`: the layers engine's result when already computed.
 */
export function assertEnginesMatchLayers(
  networks: EncoderDecoder,
  batch: Batch,
  ids: Int32Array,
  label: string,
  t: TestContext,
  labelSmoothing = 0,
  reference = referenceOf(networks, batch, ids, labelSmoothing),
): void {
  for (const name of ['fast', 'native']) {
    const engine = engineNamed(name);
    const reason = engine.unavailableReason() ?? engine.unsupportedReason(networks.generator);
    if (reason !== null) {
      t.diagnostic(`${label}/${name}: ${reason}`);
      continue;
    }
    const before = tf.memory().numTensors;
    const tested = encoderDecoderLossAndGradients(engine, networks, batch, ids, 1, labelSmoothing);
    assert.ok(Math.abs(tested.loss - reference.loss) < 1e-5 * reference.loss, `${label}/${name}: loss`);
    assert.equal(Object.keys(tested.grads).length, reference.grads.size, `${label}/${name}: every variable's gradient`);
    for (const [variable, grad] of Object.entries(tested.grads)) {
      const diff = relativeDiff(grad.dataSync() as Float32Array, reference.grads.get(variable)!);
      assert.ok(diff < tolerance(variable), `${label}/${name}: gradient of ${variable} differs by ${diff}`);
    }
    tf.dispose(Object.values(tested.grads));
    assert.equal(tf.memory().numTensors, before, `${label}/${name}: no tensor left behind`);
  }
  assertFusedGradients(networks, batch, ids, label, reference, t, labelSmoothing);
}

/**
 * The native engine's whole pass (the condition or source encoder and the generator in the addon, what its training
 * steps run) gives the reference's loss and gradients on one thread and on two; skipped, saying why, where it cannot
 * run (no addon, a build without such passes).
 */
function assertFusedGradients(
  { generator, encoder }: EncoderDecoder,
  batch: Batch,
  ids: Int32Array,
  label: string,
  { loss, grads: referenceGrads }: { loss: number; grads: Map<string, Float32Array> },
  t: TestContext,
  labelSmoothing: number,
): void {
  const conditional = encoderParts(encoder) === null;
  const unavailable = engineNamed('native').unavailableReason();
  const layout =
    unavailable === null
      ? (conditional ? nativeConditionalLayout : nativeSeq2SeqLayout)(generator, encoder)
      : { reason: unavailable };
  if ('reason' in layout) {
    t.diagnostic(`${label}/native whole pass: ${layout.reason}`);
    return;
  }
  const pass = conditional ? nativeConditionalLossAndGradients : nativeSeq2SeqLossAndGradients;
  for (const threads of [1, 2]) {
    const tested = pass(generator, encoder, batch, ids, threads, labelSmoothing);
    assert.ok(
      Math.abs(tested.loss - loss) < 1e-5 * loss,
      `${label}/native whole pass (${threads} threads): loss ${tested.loss} vs ${loss}`,
    );
    assert.equal(
      Object.keys(tested.grads).length,
      referenceGrads.size,
      `${label}/native whole pass: every variable's gradient`,
    );
    for (const [variable, grad] of Object.entries(tested.grads)) {
      const diff = relativeDiff(grad.dataSync() as Float32Array, referenceGrads.get(variable)!);
      assert.ok(
        diff < tolerance(variable),
        `${label}/native whole pass (${threads} threads): gradient of ${variable} differs by ${diff}`,
      );
    }
    tf.dispose(Object.values(tested.grads));
  }
}

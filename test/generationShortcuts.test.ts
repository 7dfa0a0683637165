import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { initBackend } from '../src/backend';
import { engineNamed } from '../src/engines';
import { buildGenerator, resolveModelConfig } from '../src/model';
import { entropy, generate, generateBatch, logSoftmax, softmax, summarizeLogits } from '../src/sample';
import { CharVocab } from '../src/vocab';
import { relativeDiff } from './engineFixtures';

// What generation skips or keeps to run faster must not change what it returns: the model's statistics from one pass
// of exponentials, text-only generation without them, and the steppers' reuse of weights they have read (native) or
// packed (fast, on wasm).

test('summarizeLogits: the log-normaliser and the entropy of softmax(logits), as the per-entry formulas give them', () => {
  const row = fc.float({ min: -30, max: 30, noNaN: true });
  const logits = fc.array(fc.oneof({ weight: 9, arbitrary: row }, { weight: 1, arbitrary: fc.constant(-Infinity) }), {
    minLength: 1,
    maxLength: 40,
  });
  fc.assert(
    fc.property(
      logits.filter((values) => values.some((v) => v > -Infinity)),
      (values) => {
        const x = Float32Array.from(values);
        const { logSum, entropy: h } = summarizeLogits(x);
        const i = x.findIndex((v) => v > -Infinity);
        assert.ok(Math.abs(x[i] - logSum - logSoftmax(x)[i]) < 1e-9, 'log-probability');
        assert.ok(Math.abs(h - entropy(softmax(x))) < 1e-9 * Math.max(1, h), `entropy ${h} vs ${entropy(softmax(x))}`);
      },
    ),
  );
});

/** A small character model with sharp, varied distributions. */
function charModel() {
  const vocab = CharVocab.build(['the quick brown fox jumps over the lazy dog']);
  const config = resolveModelConfig({ vocabSize: vocab.size, units: 16, seed: 4 });
  const network = buildGenerator(config);
  network.trainableWeights.forEach((w) => w.write(tf.tidy(() => tf.mul(w.read(), 4))));
  return { network, vocab, config };
}

test(`generation's log-likelihood and entropy are the model's (softmax at T = 1 of the logits before the sampler \
changes them); text-only generation skips them and writes the same text`, async () => {
  await initBackend('cpu');
  const model = charModel();
  const request = { prompt: 'the ', temperature: 0.7, seed: 3 };
  const [scored] = generateBatch(model, [request], { length: 60, stopAtEos: false, engine: 'layers' });
  // The same distributions again, token by token, from a fresh stepper.
  const stepper = engineNamed('layers').createStepper(model.network, model.config, 1);
  let logits = stepper.feed(Int32Array.from([1, ...model.vocab.encode('the ')]), 5);
  let [logProb, h] = [0, 0];
  for (const token of scored.tokens) {
    logProb += logSoftmax(logits)[token];
    h += entropy(softmax(logits));
    logits = stepper.feed(Int32Array.of(token), 1);
  }
  stepper.dispose();
  const n = scored.tokens.length;
  assert.ok(Math.abs(scored.logLikelihood! - logProb / n) < 1e-6, `log-likelihood ${scored.logLikelihood}`);
  assert.ok(Math.abs(scored.entropy! - h / n) < 1e-6, `entropy ${scored.entropy}`);
  const [unscored] = generateBatch(model, [request], {
    length: 60,
    stopAtEos: false,
    engine: 'layers',
    statistics: false,
  });
  assert.equal(unscored.text, scored.text);
  assert.equal(unscored.logLikelihood, null);
  assert.equal(unscored.entropy, null);
  assert.equal(generate(model, { ...request, length: 60, stopAtEos: false, engine: 'layers' }), scored.text);
  model.network.dispose();
});

for (const [engine, backend] of [
  ['native', 'cpu'],
  ['fast', 'wasm'],
] as const)
  test(`the ${engine} stepper on ${backend} reads the weights once per write: a stepper made after a write sees the \
new weights, one made before keeps its own`, async (t) => {
    await initBackend(backend);
    const reused = engineNamed(engine);
    if (reused.unavailableReason() !== null) return t.skip(reused.unavailableReason()!);
    const model = charModel();
    const tokens = Int32Array.of(1, 5, 7);
    const logitsOf = (name: string) => {
      const stepper = engineNamed(name).createStepper(model.network, model.config, 1);
      const logits = stepper.feed(tokens, 3);
      stepper.dispose();
      return logits;
    };
    const before = reused.createStepper(model.network, model.config, 1);
    const first = logitsOf(engine);
    assert.ok(relativeDiff(first, logitsOf('layers')) < 1e-5);
    const kernel = model.network.trainableWeights.find((w) => w.originalName.endsWith('recurrent_kernel'))!;
    kernel.write(tf.tidy(() => tf.neg(kernel.read())));
    const after = logitsOf(engine);
    assert.ok(relativeDiff(after, first) > 1e-3, 'the written weights change the logits');
    assert.ok(relativeDiff(after, logitsOf('layers')) < 1e-5, "the new stepper runs the network's new weights");
    assert.ok(relativeDiff(before.feed(tokens, 3), first) < 1e-6, 'the stepper made before keeps the old weights');
    before.dispose();
    model.network.dispose();
  });

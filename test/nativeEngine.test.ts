import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import { LayersStepper, nativeEngine, selectEngine, sequenceLoss } from '../src/engines';
import { nativeAddon, type NativeAddon } from '../src/engines/native/addon';
import { buildGenerator, CELLS, resolveModelConfig, SeededDropout } from '../src/model';
import { clipByGlobalNorm } from '../src/train';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train';
import {
  assertCentralDifferences,
  assertMatchesLayers,
  assertNumericGradients,
  assertSameCurve,
  assertSameSteps,
  engineCases,
  flatWeights,
  forEachStepperModel,
  generatorWith,
  lossAndGrads,
  maskedBatch,
  relativeDiff,
  smallWindows,
  trainedCurve,
  VOCAB,
} from './engineFixtures';
import { parseAs, type TrainOutput } from './cliJson';

test('the native addon is built and available (npm run setup builds it)', () => {
  assert.equal(nativeEngine.unavailableReason(), null);
});

test(`the addon names its cells from its cell registry — the same as \
the TypeScript cells — and refuses a cell it does not know`, () => {
  const loaded = nativeAddon();
  if ('reason' in loaded) throw new Error(loaded.reason);
  assert.deepEqual([...loaded.addon.cells].sort(), [...CELLS].sort());
  const spec = { cell: 'lstm2', gate: 0, layers: 1, units: 4, vocab: 5, embed: 0, dropout: 0 };
  assert.throws(() => new loaded.addon.Stepper(spec, [], 1), /native: spec.cell must name a cell the addon knows/);
});

test(`native loss and gradients equal the tfjs-layers cells for every \
cell, gate, input, 1-2 layers, padding mask, 1 and 2 threads`, async () => {
  await initBackend('cpu');
  for (const { cell, input, gate, label } of engineCases()) {
    for (const layers of [1, 2]) {
      const model = await generatorWith(cell, input, gate, layers);
      for (const threads of [1, 2])
        assertMatchesLayers(model, 'native', `${label}, ${layers} layers, ${threads} threads`, threads);
      model.dispose();
    }
  }
});

test('native gradients equal numeric gradients (central differences) of every weight', async () => {
  await initBackend('cpu');
  for (const cell of CELLS) {
    const model = await generatorWith(cell, 'embedding', 'sigmoid');
    assertNumericGradients(model, 'native', cell, 60);
    model.dispose();
  }
});

const addon = (): NativeAddon => {
  const loaded = nativeAddon();
  assert.ok('addon' in loaded, 'the addon is built');
  return loaded.addon;
};

test('native dropout masks: a fraction `rate` dropped, the rest scaled by 1 / (1 - rate), fresh for every seed', () => {
  const rate = 0.3;
  const [a, b] = [addon().dropoutMasks(41, rate, 64, 100, 50), addon().dropoutMasks(42, rate, 64, 100, 50)];
  const dropped = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(dropped - rate) < 0.005, `dropped ${dropped}`);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / (1 - rate)) < 1e-6));
  // independent masks differ in 2·rate·(1−rate) of places
  const differ = a.filter((v, i) => v !== b[i]).length / a.length;
  assert.ok(Math.abs(differ - 2 * rate * (1 - rate)) < 0.005, `seeds 41 and 42 differ in ${differ}`);
  assert.deepEqual(addon().dropoutMasks(41, rate, 64, 100, 50), a);
});

test(`native dropout: the loss equals the network recomputed in tfjs with \
the same masks (1 and 2 threads); gradients equal numeric ones`, async () => {
  await initBackend('cpu');
  const [rate, units] = [0.3, 6];
  const batch = maskedBatch();
  for (const cell of CELLS) {
    const config = resolveModelConfig({
      vocabSize: VOCAB,
      cell,
      units,
      layers: 2,
      input: 'embedding',
      embeddingDim: 5,
      dropout: rate,
      seed: 3,
    });
    const model = buildGenerator(config);
    // large enough that dropout moves the loss
    model.trainableWeights.forEach((w) => w.write(tf.tidy(() => w.read().mul(4))));
    const dropouts = model.layers.filter((layer): layer is SeededDropout => layer instanceof SeededDropout);
    // The first training call of a dropout layer uses seed + 1: rebuild the network layer by layer with those masks.
    const masks = dropouts.map((d) =>
      addon().dropoutMasks(Number(d.getConfig().seed) + 1, rate, batch.batchSize, batch.seqLen, units),
    );
    const expected = tf.tidy(() => {
      let x: tf.Tensor = tf.tensor2d(batch.inputs, [batch.batchSize, batch.seqLen], 'int32');
      let k = 0;
      for (const layer of model.layers.slice(1)) {
        x =
          layer instanceof SeededDropout
            ? x.mul(tf.tensor3d(masks[k++], [batch.batchSize, batch.seqLen, units]))
            : (layer.apply(x) as tf.Tensor);
      }
      const targets = tf.tensor2d(batch.targets, [batch.batchSize, batch.seqLen], 'int32');
      return sequenceLoss(x, targets, tf.tensor2d(batch.mask!, [batch.batchSize, batch.seqLen])).dataSync()[0];
    });
    const inference = nativeEngine.loss(model, batch);
    assert.ok(
      Math.abs(inference - expected) > 1e-3 * expected,
      `${cell}: the masks change the loss (${inference} without, ${expected} with)`,
    );
    for (const threads of [1, 2]) {
      dropouts.forEach((d) => (d.calls = 0));
      const { loss } = lossAndGrads(model, batch, 'native', threads);
      assert.ok(
        Math.abs(loss - expected) < 1e-5 * expected,
        `${cell}, ${threads} threads: loss ${loss} vs ${expected}`,
      );
      assert.deepEqual(
        dropouts.map((d) => d.calls),
        [1, 1],
        'each call counts on the dropout layers',
      );
    }
    // Gradients under fixed masks against central differences of the same loss.
    const spec = { cell, gate: 0, layers: 2, units, vocab: VOCAB, embed: 5, dropout: rate };
    const weights = model.trainableWeights.map((w) => w.read().dataSync().slice() as Float32Array);
    const seeds = Uint32Array.of(7, 8);
    const run = (values: Float32Array[]) =>
      addon().lossAndGradients(
        spec,
        values,
        batch.inputs,
        batch.targets,
        batch.mask,
        batch.batchSize,
        batch.seqLen,
        2,
        seeds,
        null,
      );
    const { grads } = run(weights);
    weights.forEach((values, i) => {
      // The weights are large: a small step keeps the central difference's curvature error down.
      assertCentralDifferences(
        values,
        grads[i],
        (changed) => run(weights.map((w, j) => (j === i ? changed : w))).loss,
        `${cell} weight ${i}`,
        1e-3,
      );
    });
    model.dispose();
  }
});

test(`native layers start from a given state: the loss equals tfjs-layers with \
initialState, the final state is the stepper's, gradients are numeric ones`, async () => {
  await initBackend('cpu');
  const [units, layers] = [6, 2];
  const batch = maskedBatch();
  for (const [cell, input] of CELLS.flatMap((c) => (['onehot', 'embedding'] as const).map((i) => [c, i] as const))) {
    const model = await generatorWith(cell, input, 'sigmoid', layers);
    const label = `${cell}/${input}`;
    const perState = batch.batchSize * units;
    const states = cell === 'lstm' ? 2 : 1;
    const initial = Float32Array.from({ length: layers * states * perState }, (_, i) => Math.sin(i * 1.3) * 0.8);
    const spec = { cell, gate: 0, layers, units, vocab: VOCAB, embed: input === 'embedding' ? 5 : 0, dropout: 0 };
    const weights = model.trainableWeights.map((w) => w.read().dataSync().slice() as Float32Array);
    const run = (values: Float32Array[], start: Float32Array | null) =>
      addon().lossAndGradients(
        spec,
        values,
        batch.inputs,
        batch.targets,
        batch.mask,
        batch.batchSize,
        batch.seqLen,
        2,
        null,
        start,
      );
    // tfjs-layers, each recurrent layer given its part of the state ([h] or [h, c]).
    const reference = tf.tidy(() => {
      let x: tf.Tensor = tf.tensor2d(batch.inputs, [batch.batchSize, batch.seqLen], 'int32');
      let l = 0;
      for (const layer of model.layers.slice(1)) {
        if (!['LSTM', 'GRU', 'SimpleRNN'].includes(layer.getClassName())) {
          x = layer.apply(x) as tf.Tensor;
          continue;
        }
        const part = (k: number) => initial.subarray((l * states + k) * perState, (l * states + k + 1) * perState);
        x = layer.apply(x, {
          initialState: Array.from({ length: states }, (_, k) => tf.tensor2d(part(k), [batch.batchSize, units])),
        }) as tf.Tensor;
        l += 1;
      }
      const loss = sequenceLoss(
        x,
        tf.tensor2d(batch.targets, [batch.batchSize, batch.seqLen], 'int32'),
        tf.tensor2d(batch.mask!, [batch.batchSize, batch.seqLen]),
      );
      return {
        loss: loss.dataSync()[0],
        lastLogits: x.slice([0, batch.seqLen - 1, 0], [-1, 1, -1]).dataSync() as Float32Array,
      };
    });
    const result = run(weights, initial);
    assert.ok(
      Math.abs(result.loss - reference.loss) < 1e-5 * reference.loss,
      `${label}: loss ${result.loss} vs ${reference.loss}`,
    );
    assert.ok(
      Math.abs(run(weights, new Float32Array(initial.length)).loss - reference.loss) > 1e-3 * reference.loss,
      `${label}: the state matters`,
    );
    const evaluation = addon().loss(
      spec,
      weights,
      batch.inputs,
      batch.targets,
      batch.mask,
      batch.batchSize,
      batch.seqLen,
      1,
      initial,
    );
    assert.ok(Math.abs(evaluation - result.loss) < 1e-6 * result.loss, `${label}: loss() takes the state too`);
    // The stepper set to the same state and fed the same tokens ends in the same state, with tfjs-layers' last logits.
    const stepper = new (addon().Stepper)(spec, weights, batch.batchSize);
    stepper.setState(initial);
    const logits = stepper.feed(batch.inputs, batch.seqLen);
    assert.ok(relativeDiff(logits, reference.lastLogits) < 1e-5, `${label}: stepper logits from the state`);
    assert.ok(relativeDiff(result.finalState, stepper.state()) < 1e-6, `${label}: final state`);
    stepper.reset();
    assert.ok(
      stepper.state().every((v) => v === 0),
      'a reset stepper is at the zero state',
    );
    assert.throws(
      () => stepper.setState(new Float32Array(3)),
      /native: state must be null or a Float32Array of \d+ values/,
    );
    // Gradients of the state and of every weight (the recurrent kernels now see step 0) against central differences.
    assertCentralDifferences(
      initial,
      result.initialStateGrads!,
      (changed) => run(weights, changed).loss,
      `${label} initial state`,
      1e-2,
      initial.length,
    );
    weights.forEach((values, i) => {
      assertCentralDifferences(
        values,
        result.grads[i],
        (changed) =>
          run(
            weights.map((w, j) => (j === i ? changed : w)),
            initial,
          ).loss,
        `${label} weight ${i}`,
        1e-2,
      );
    });
    assert.equal(run(weights, null).initialStateGrads, null);
    assert.throws(() => run(weights, new Float32Array(5)), /initialState must be null or a Float32Array of \d+ values/);
    model.dispose();
  }
});

test(`a dropout model trains on the native engine under auto; interrupted \
and resumed, it ends where an uninterrupted run ends`, async () => {
  await initBackend('cpu');
  const stream = Int32Array.from({ length: 3_000 }, (_, i) => ((i * i + 7 * i) % 23) % VOCAB);
  const data = {
    train: new WindowDataset(stream, { seqLen: 20 }),
    val: new WindowDataset(stream.subarray(0, 300), { seqLen: 20 }),
  };
  const config = {
    ...DEFAULT_TRAIN_CONFIG,
    batchSize: 8,
    epochs: 3,
    maxSteps: 40,
    learningRate: 0.01,
    seed: 6,
    threads: 2,
  };
  const fresh = () =>
    buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 12, layers: 2, dropout: 0.25, seed: 8 }));
  const whole = fresh();
  const reference = await train(whole, data, config);
  assert.equal(reference.engine, 'native');
  const again = fresh();
  assertSameCurve(await train(again, data, config), reference, 'the same seed');
  again.dispose();
  const model = fresh();
  const stop = new AbortController();
  const stopAt15 = { onBatchEnd: (record: { step: number }) => void (record.step === 15 && stop.abort()) };
  const part = await train(model, data, config, [stopAt15], { signal: stop.signal });
  const rest = await train(model, data, config, [], { resume: part.interrupted! });
  tf.dispose(part.interrupted!.optimizer.map((w) => w.tensor));
  assertSameCurve(rest, reference, 'interrupted at step 15 and resumed');
  assert.ok(relativeDiff(flatWeights(model), flatWeights(whole)) < 1e-5);
  model.dispose();
  whole.dispose();
});

test(`a model trained by the native engine follows the fast engine \
loss curve (40 steps, 2 layers), on 1 and 2 threads`, async () => {
  await initBackend('wasm');
  for (const cell of CELLS) {
    const fast = await trainedCurve('fast', cell, { layers: 2 });
    for (const threads of [1, 2]) {
      const native = await trainedCurve('native', cell, { layers: 2, threads });
      assert.equal(native.engine, 'native');
      assertSameCurve(native, fast, `${cell}, ${threads} threads`);
    }
  }
});

test('the native stepper gives the tf.layers stepper logits, with the state carried and after a reset', async () => {
  await initBackend('cpu');
  forEachStepperModel((model, config, label) => {
    const [native, reference] = [nativeEngine.createStepper(model, config, 3), new LayersStepper(model, config, 3)];
    assertSameSteps(native, reference, config, label);
    assert.throws(() => native.feed(Int32Array.from([0, 1, VOCAB]), 1), /Token id 11 is outside the vocabulary of 11/);
    native.dispose();
    reference.dispose();
  });
});

test(`native training: a huge learning rate gives huge finite losses as on \
the fast engine; NaN weights stop it with the divergence message`, async () => {
  await initBackend('cpu');
  const data = smallWindows();
  const run = async (engine: string, learningRate: number) => {
    const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 8, seed: 1 }));
    const config = {
      ...DEFAULT_TRAIN_CONFIG,
      engine,
      batchSize: 4,
      epochs: 2,
      learningRate,
      clipNorm: null,
      seed: 1,
    };
    try {
      return await train(model, data, config);
    } finally {
      model.dispose();
    }
  };
  // Both blow up to huge but finite losses (their paths part by float rounding); the native loss is not capped by the
  // clamped exp of its softmax (it stayed near 47 when the loss was computed from the clamped probabilities).
  const [native, fast] = [await run('native', 1e6), await run('fast', 1e6)];
  for (const result of [native, fast])
    assert.ok(Number.isFinite(result.trainLoss) && result.trainLoss > 1e4, `${result.engine} loss ${result.trainLoss}`);
  // The engine holds the weights between steps, so the NaN goes in before the run starts.
  const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 8, seed: 1 }));
  model.trainableWeights[0].write(tf.fill(model.trainableWeights[0].shape as number[], NaN));
  const config = { ...DEFAULT_TRAIN_CONFIG, engine: 'native', batchSize: 4, epochs: 2, seed: 1 };
  await assert.rejects(
    train(model, data, config),
    /Training diverged: the loss became NaN at step 1\. Lower --lr or use --clip\./,
  );
  model.dispose();
});

test(`networks the native engine cannot run go to the next engine \
under auto, and name the reason when asked for`, async () => {
  await initBackend('cpu');
  const json = buildGenerator(
    resolveModelConfig({ vocabSize: VOCAB, units: 8, layers: 2, dropout: 0.2, seed: 1 }),
  ).toJSON(null, false) as unknown as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  json.config.layers.filter((layer) => layer.class_name === 'SeededDropout')[1].config.rate = 0.5;
  const mixed = await tf.models.modelFromJSON(json as unknown as tf.io.ModelJSON);
  assert.match(nativeEngine.unsupportedReason(mixed)!, /dropout rates that differ between layers/);
  assert.equal(selectEngine('auto', mixed).name, 'fast');
  assert.throws(
    () => selectEngine('native', mixed),
    /The native engine cannot run this model: dropout rates that differ between layers/,
  );
  mixed.dispose();
  const plain = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 8, seed: 1 }));
  assert.equal(selectEngine('auto', plain).name, 'native');
  plain.dispose();
});

test('without the addon, auto trains with the fast engine and gennet engines says why native is unavailable', () => {
  const cli = path.resolve(__dirname, '../../dist/cli.js');
  const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-native-'));
  const corpus = path.join(work, 'text.txt');
  writeFileSync(corpus, 'a small text about nothing much, written for a test. '.repeat(60));
  const env = { ...process.env, GN_BACKEND: 'cpu', GN_NATIVE_ADDON: path.join(work, 'missing.node') };
  const gennet = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
  const engines = JSON.parse(gennet('engines', '--json').stdout) as Array<{
    name: string;
    available: boolean;
    reason: string | null;
  }>;
  const native = engines.find((e) => e.name === 'native')!;
  assert.equal(native.available, false);
  assert.match(
    native.reason!,
    /the C\+\+ addon is not built \(.*missing\.node is missing\)\. On Debian\/Ubuntu run `npm run setup`/,
  );
  const trained = gennet(
    'train',
    '--corpus',
    corpus,
    '--units',
    '8',
    '--seq-len',
    '20',
    '--max-steps',
    '3',
    '--no-samples',
    '--out',
    path.join(work, 'm'),
    '--json',
  );
  assert.equal(trained.status, 0, trained.stderr);
  assert.equal(parseAs<TrainOutput>(trained.stdout).engine, 'fast');
  const refused = gennet('generate', '--model', path.join(work, 'm'), '--engine', 'native', '--length', '5');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /The native engine is not available here: the C\+\+ addon is not built/);
});

test(`a run interrupted on the native engine resumes on the fast engine \
(and back) and ends where an uninterrupted native run ends`, async () => {
  await initBackend('wasm');
  const stream = Int32Array.from({ length: 3_000 }, (_, i) => ((i * i + 7 * i) % 23) % VOCAB);
  const data = {
    train: new WindowDataset(stream, { seqLen: 20 }),
    val: new WindowDataset(stream.subarray(0, 300), { seqLen: 20 }),
  };
  const config = { ...DEFAULT_TRAIN_CONFIG, batchSize: 8, epochs: 3, maxSteps: 60, learningRate: 0.01, seed: 6 };
  const fresh = () => buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 12, layers: 2, seed: 8 }));
  const whole = fresh();
  const reference = await train(whole, data, { ...config, engine: 'native' });
  for (const [first, second] of [
    ['native', 'fast'],
    ['fast', 'native'],
  ]) {
    const model = fresh();
    const stop = new AbortController();
    const stopAt25 = { onBatchEnd: (record: { step: number }) => void (record.step === 25 && stop.abort()) };
    const part = await train(model, data, { ...config, engine: first }, [stopAt25], { signal: stop.signal });
    assert.equal(part.interrupted?.step, 25);
    const rest = await train(model, data, { ...config, engine: second }, [], { resume: part.interrupted });
    tf.dispose(part.interrupted.optimizer.map((w) => w.tensor));
    assert.equal(rest.engine, second);
    assertSameCurve(rest, reference, `${first} then ${second}`);
    const diff = relativeDiff(flatWeights(model), flatWeights(whole));
    assert.ok(diff < 1e-3, `${first} then ${second}: final weights differ by ${diff.toExponential(2)}`);
    model.dispose();
  }
  whole.dispose();
});

test(`a JavaScript-engine run stopped before its first step (Adam \
without moments yet) resumes on the native engine`, async () => {
  await initBackend('cpu');
  const data = smallWindows();
  const config = { ...DEFAULT_TRAIN_CONFIG, batchSize: 4, epochs: 1, maxSteps: 5, seed: 1 };
  const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 8, seed: 1 }));
  const stopped = new AbortController();
  stopped.abort();
  const none = await train(model, data, { ...config, engine: 'fast' }, [], { signal: stopped.signal });
  assert.equal(none.interrupted?.optimizer.length, 3, 'iterations, accBeta1, accBeta2: no moments yet');
  const resumed = await train(model, data, { ...config, engine: 'native' }, [], { resume: none.interrupted });
  tf.dispose(none.interrupted.optimizer.map((w) => w.tensor));
  assert.equal(resumed.steps, 5);
  assert.ok(Number.isFinite(resumed.trainLoss));
  model.dispose();
});

test(`the native engine's whole step (clipping + Adam in C++) \
equals tf.train.adam applied to its gradients`, async () => {
  await initBackend('cpu');
  const [fusedModel, reference] = [
    await generatorWith('gru', 'embedding', 'sigmoid'),
    await generatorWith('gru', 'embedding', 'sigmoid'),
  ];
  const fused = nativeEngine.startTraining!(
    fusedModel,
    { learningRate: 0.01, weightDecay: 0, clipNorm: 0.5, threads: 2 },
    null,
  )!;
  const optimizer: tf.Optimizer = tf.train.adam(0.01);
  for (let step = 0; step < 5; step++) {
    fused.step(maskedBatch());
    const { grads } = nativeEngine.lossAndGradients(reference, maskedBatch(), 2);
    tf.tidy(() => optimizer.applyGradients(clipByGlobalNorm(grads, 0.5)));
    tf.dispose(Object.values(grads));
  }
  fused.syncWeights();
  const diff = relativeDiff(flatWeights(fusedModel), flatWeights(reference));
  assert.ok(diff < 1e-5, `weights after 5 steps differ by ${diff.toExponential(2)}`);
  optimizer.dispose();
  fused.dispose();
  fusedModel.dispose();
  reference.dispose();
});

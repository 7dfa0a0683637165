import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { Batch } from '../src/data';
import { type Engine, ENGINE_REGISTRY, engineNamed, isDecayedWeight } from '../src/engines';
import {
  buildConditionEncoder,
  buildGenerator,
  CELLS,
  conditionIds,
  resolveModelConfig,
  stateLayout,
} from '../src/model';
import { clipByGlobalNorm } from '../src/train';
import { startUpdater, type UpdaterSettings } from '../src/train/updater';
import { flatWeights, generatorWith, lossAndGrads, maskedBatch, relativeDiff } from './engineFixtures';

// Decoupled weight decay (AdamW) and a learning rate that changes between steps, on every engine: the TensorFlow.js
// update (layers, fast, and every encoder-decoder run) and the native engine's whole steps in C++.

/** tfjs' Adam constants (tf.train.adam's defaults; ε is the float32 backend epsilon). */
const [BETA1, BETA2, EPSILON] = [0.9, 0.999, 1e-7];
/** The engines of the registry, each with the reason to skip it: only a missing native addon is one. */
const engines: { engine: Engine; skip: string | false }[] = ENGINE_REGISTRY.map((engine) => ({
  engine,
  skip: engine.name === 'native' ? (engine.unavailableReason() ?? false) : false,
}));

/** An LSTM 1×4 with an embedding, on a vocabulary of 6; its biases are made non-zero so that their decay would show. */
function tinyNetwork(): tf.LayersModel {
  const model = buildGenerator(
    resolveModelConfig({
      vocabSize: 6,
      cell: 'lstm',
      units: 4,
      layers: 1,
      input: 'embedding',
      embeddingDim: 3,
      seed: 7,
    }),
  );
  for (const weight of model.trainableWeights.filter((w) => w.shape.length === 1))
    tf.tidy(() => void weight.write(tf.cos(tf.range(0, weight.shape[0]!)).mul(0.4)));
  return model;
}

/** A 3 × 5 batch without padding. */
function tinyBatch(): Batch {
  const ids = (mul: number, add: number) => Int32Array.from({ length: 15 }, (_, i) => (i * mul + add) % 6);
  return { inputs: ids(5, 1), targets: ids(7, 4), mask: null, batchSize: 3, seqLen: 5 };
}

/** The network's trainable weights by variable name: their shapes and values. */
function weightsByName(model: tf.LayersModel): Map<string, { shape: number[]; values: Float32Array }> {
  return new Map(
    model.trainableWeights.map((w) => [
      (w.read() as tf.Variable).name,
      { shape: w.shape as number[], values: w.read().dataSync().slice() as Float32Array },
    ]),
  );
}

/**
 * AdamW in float64 as the formula says (tfjs' Adam: bias-corrected moments, ε added to √v̂; before it, each weight
 * that `decays` is multiplied by 1 − lr·wd), over given gradients, clipped to the global norm as `clipByGlobalNorm`.
 * One float32 detail of tfjs is kept, as every engine follows it: the powers βᵗ are float32 variables (accBeta1,
 * accBeta2) and 1 − βᵗ is rounded to float32 — 1 − 0.999f is 4.7e-5 off 0.001, which alone would move the first
 * steps by ~2e-5 of their size (7e-6 of this network's largest embedding value).
 */
class AdamWReference {
  readonly weights = new Map<string, Float64Array>();
  private readonly first = new Map<string, Float64Array>();
  private readonly second = new Map<string, Float64Array>();
  private readonly shapes = new Map<string, number[]>();
  private powers = [Math.fround(BETA1), Math.fround(BETA2)];

  constructor(
    initial: Map<string, { shape: number[]; values: Float32Array }>,
    private readonly decays: (shape: number[]) => boolean,
    private readonly weightDecay: number,
    private readonly clipNorm: number,
  ) {
    for (const [name, { shape, values }] of initial) {
      this.weights.set(name, Float64Array.from(values));
      this.first.set(name, new Float64Array(values.length));
      this.second.set(name, new Float64Array(values.length));
      this.shapes.set(name, shape);
    }
  }

  /** One step with `grads` at the learning rate `lr`; returns whether clipping scaled them down. */
  step(grads: Map<string, Float32Array>, lr: number): boolean {
    let sumSquares = 0;
    for (const g of grads.values()) for (const x of g) sumSquares += x * x;
    const norm = Math.sqrt(sumSquares);
    const scale = Math.min(1, this.clipNorm / (norm + 1e-6));
    const [correction1, correction2] = this.powers.map((power) => Math.fround(1 - power));
    this.powers = this.powers.map((power, i) => Math.fround(power * Math.fround([BETA1, BETA2][i])));
    for (const [name, w] of this.weights) {
      const [g, m, v] = [grads.get(name)!, this.first.get(name)!, this.second.get(name)!];
      const decay = this.decays(this.shapes.get(name)!) ? 1 - lr * this.weightDecay : 1;
      for (let k = 0; k < w.length; k++) {
        const grad = g[k] * scale;
        m[k] = BETA1 * m[k] + (1 - BETA1) * grad;
        v[k] = BETA2 * v[k] + (1 - BETA2) * grad * grad;
        w[k] = w[k] * decay - (lr * (m[k] / correction1)) / (Math.sqrt(v[k] / correction2) + EPSILON);
      }
    }
    return scale < 1;
  }
}

const LEARNING_RATES = [0.03, 0.08, 0.015];
const [WEIGHT_DECAY, CLIP_NORM, TOLERANCE] = [0.1, 0.1, 1e-5];
/** The rule as this test states it, apart from the code's: the matrices decay, the vectors do not. */
const isMatrix = (shape: number[]) => shape.length >= 2;

test('isDecayedWeight: the embedding and the kernels decay, the biases do not', async () => {
  await initBackend('cpu');
  const model = tinyNetwork();
  for (const { originalName, shape } of model.trainableWeights)
    assert.equal(isDecayedWeight(shape as number[]), !originalName.endsWith('/bias'), originalName);
  assert.equal(model.trainableWeights.length, 6);
  model.dispose();
});

test(`AdamW = the formula on a tiny network on every engine: a new learning \
rate each step, decay of the matrices only, clipping`, async (t) => {
  await initBackend('cpu');
  // Every engine on this thread, and the fast engine's gradients shared with a worker thread.
  const cases = [
    ...engines.map((e) => ({ ...e, threads: 1 })),
    { engine: engineNamed('fast'), skip: false, threads: 2 },
  ];
  for (const { engine, skip, threads } of cases) {
    await t.test(`${engine.name}, ${threads} thread(s)`, { skip }, async (t: TestContext) => {
      const [model, batch] = [tinyNetwork(), tinyBatch()];
      const initial = weightsByName(model);
      // The rule, and two rules the engine must not follow: decay of every weight, and none at all.
      const [rule, all, none] = [isMatrix, () => true, () => false].map(
        (decays) => new AdamWReference(initial, decays, WEIGHT_DECAY, CLIP_NORM),
      );
      // The first learning rate is replaced before the first step: a step at 0.5 would be far off.
      const settings = { learningRate: 0.5, weightDecay: WEIGHT_DECAY, clipNorm: CLIP_NORM, threads };
      const updater = await startUpdater(model, engine, settings);
      let clipped = 0;
      for (const lr of LEARNING_RATES) {
        updater.syncWeights();
        const { grads } = lossAndGrads(model, batch, engine.name);
        if (rule.step(grads, lr)) clipped += 1;
        all.step(grads, lr);
        none.step(grads, lr);
        updater.setLearningRate(lr);
        await updater.step(batch);
      }
      updater.syncWeights();
      assert.ok(clipped >= 1, 'the gradient norm limit clipped at least one step');
      let worst = 0;
      for (const [name, { shape, values }] of weightsByName(model)) {
        const diff = (reference: AdamWReference) =>
          relativeDiff(values, Float32Array.from(reference.weights.get(name)!));
        worst = Math.max(worst, diff(rule));
        assert.ok(diff(rule) < TOLERANCE, `${name}: ${diff(rule).toExponential(2)} from the AdamW formula`);
        // Decaying a bias (or not decaying a matrix) would move it by far more than the tolerance.
        const [wrong, what] = isMatrix(shape) ? [none, 'no decay'] : [all, 'decay'];
        assert.ok(diff(wrong) > 20 * TOLERANCE, `${name} [${shape.join(', ')}] is as with ${what}: ${diff(wrong)}`);
      }
      t.diagnostic(`${clipped} of 3 steps clipped; largest difference from the formula ${worst.toExponential(2)}`);
      await updater.dispose();
      model.dispose();
    });
  }
});

/** The settings of the runs below: Adam at 0.01, gradients clipped at 0.5, one thread, and `weightDecay`. */
const plain = (weightDecay: number): UpdaterSettings => ({
  learningRate: 0.01,
  weightDecay,
  clipNorm: 0.5,
  threads: 1,
});

test(`weight decay 0 is exactly today's Adam on the TensorFlow.js update \
(tf.train.adam over the engine's clipped gradients)`, async () => {
  await initBackend('cpu');
  for (const engine of ENGINE_REGISTRY.filter((e) => e.startTraining === undefined)) {
    const [model, reference] = [tinyNetwork(), tinyNetwork()];
    const updater = await startUpdater(model, engine, plain(0));
    const optimizer: tf.Optimizer = tf.train.adam(0.01);
    for (let step = 0; step < 4; step++) {
      await updater.step(tinyBatch());
      const { grads } = engine.lossAndGradients(reference, tinyBatch(), 1);
      tf.tidy(() => optimizer.applyGradients(clipByGlobalNorm(grads, 0.5)));
      tf.dispose(Object.values(grads));
    }
    assert.deepEqual(flatWeights(model), flatWeights(reference), `${engine.name}: the same bits`);
    optimizer.dispose();
    await updater.dispose();
    model.dispose();
    reference.dispose();
  }
});

test(`native whole steps (weight decay and Adam in C++) follow the layers \
engine's TensorFlow.js update, with decay and a changing learning rate`, async (t) => {
  const native = engines.find(({ engine }) => engine.name === 'native')!;
  if (native.skip !== false) return t.skip(native.skip);
  await initBackend('cpu');
  const rates = Array.from({ length: 10 }, (_, k) => 0.002 + 0.01 * (1 + Math.cos((Math.PI * k) / 10)));
  for (const cell of CELLS) {
    const trained = async (engine: Engine) => {
      const model = await generatorWith(cell, 'embedding', 'sigmoid');
      const updater = await startUpdater(model, engine, { ...plain(0.5), learningRate: 1 });
      for (const lr of rates) {
        updater.setLearningRate(lr);
        await updater.step(maskedBatch());
      }
      updater.syncWeights();
      await updater.dispose();
      const weights = flatWeights(model);
      model.dispose();
      return weights;
    };
    const diff = relativeDiff(await trained(native.engine), await trained(engineNamed('layers')));
    t.diagnostic(`${cell}: native and layers weights after 10 steps differ by ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-5, `${cell}: weights after 10 steps differ by ${diff.toExponential(2)}`);
  }
});

test('AdamW steps with a changing learning rate leak no tensors, on any engine', async (t) => {
  await initBackend('cpu');
  for (const { engine, skip } of engines) {
    if (skip !== false) {
      t.diagnostic(`${engine.name} skipped: ${skip}`);
      continue;
    }
    const model = tinyNetwork();
    const before = tf.memory().numTensors;
    const updater = await startUpdater(model, engine, plain(0.1));
    await updater.step(tinyBatch()); // Adam makes its moments at its first step
    const after1 = tf.memory().numTensors;
    for (let step = 0; step < 5; step++) {
      updater.setLearningRate(0.01 / (step + 1));
      await updater.step(tinyBatch());
      updater.syncWeights();
    }
    assert.equal(tf.memory().numTensors, after1, `${engine.name}: tensors after 6 steps`);
    await updater.dispose();
    assert.equal(tf.memory().numTensors, before, `${engine.name}: tensors after the updater is gone`);
    model.dispose();
  }
});

test(`a conditional run's TensorFlow.js update decays the encoder's \
matrices too, and no vector`, async () => {
  await initBackend('cpu');
  const conditions = {
    conditions: [{ column: 'party', values: ['Whig', 'Democratic', 'Republican'] }],
    dim: 4,
    seed: 5,
  };
  const generator = await generatorWith('gru', 'onehot', 'sigmoid');
  const run = {
    generator,
    encoder: buildConditionEncoder(conditions, stateLayout({ cell: 'gru', layers: 2, units: 6 })),
    layout: stateLayout({ cell: 'gru', layers: 2, units: 6 }),
    documentIds: conditionIds(conditions, [['Republican'], ['Whig'], ['Democratic']]),
  };
  const batch = { ...maskedBatch(), documents: Int32Array.of(0, 1, 2) };
  const variables = [...generator.trainableWeights, ...run.encoder.trainableWeights];
  const start = variables.map((v) => v.read().dataSync().slice() as Float32Array);
  // One step with decay and one without from the same weights: the gradients and Adam's steps are the same, so the
  // two differ by the decay alone, lr·wd·w for a matrix, nothing for a vector.
  const stepped = async (weightDecay: number) => {
    variables.forEach((v, i) => tf.tidy(() => void v.write(tf.tensor(start[i], v.shape as number[]))));
    const updater = await startUpdater(generator, engineNamed('fast'), plain(weightDecay), undefined, run);
    await updater.step(batch);
    await updater.dispose();
    return variables.map((v) => v.read().dataSync().slice() as Float32Array);
  };
  const [decayed, undecayed] = [await stepped(0.5), await stepped(0)];
  variables.forEach((v, i) => {
    const label = `${v.name} [${v.shape.join(', ')}]`;
    if (!isMatrix(v.shape as number[])) return assert.deepEqual(decayed[i], undecayed[i], label);
    const expected = Float32Array.from(start[i], (w) => -0.01 * 0.5 * w);
    const diff = relativeDiff(
      Float32Array.from(decayed[i], (w, k) => w - undecayed[i][k]),
      expected,
    );
    assert.ok(diff < 1e-3, `${label}: the step with decay is lr·wd·w away (${diff.toExponential(2)})`);
  });
  assert.ok(
    run.encoder.trainableWeights.some((v) => isMatrix(v.shape as number[])),
    'the encoder has a matrix',
  );
  generator.dispose();
  run.encoder.dispose();
});

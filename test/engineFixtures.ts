import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type Batch, WindowDataset } from '../src/data';
import { engineNamed } from '../src/engines';
import { DEFAULT_TRAIN_CONFIG, train, type TrainResult } from '../src/train';
import {
  buildGenerator,
  CELLS,
  CellType,
  GATE_ACTIVATIONS,
  GateActivation,
  ModelConfig,
  resolveModelConfig,
  stateLayout,
  stateSize,
  type VectorStateStepper,
} from '../src/model';

// Shared by the engine tests: a small vocabulary, a padded batch, two-layer generators and gradient comparisons.
export const VOCAB = 11;
export const ids = (n: number, mul: number, add: number) =>
  Int32Array.from({ length: n }, (_, i) => (i * mul + add) % VOCAB);

/** A 3 × 7 batch whose last column and one middle token are padding. */
export function maskedBatch(): Batch {
  const [batchSize, seqLen] = [3, 7];
  const mask = Float32Array.from({ length: batchSize * seqLen }, (_, i) =>
    i % seqLen === seqLen - 1 || i === 9 ? 0 : 1,
  );
  return { inputs: ids(21, 7, 3), targets: ids(21, 5, 1), mask, batchSize, seqLen };
}

/**
 * A two-layer generator whose recurrent layers use `gate` (the sigmoid our builder uses, or tfjs-layers' default hard
 * sigmoid, which models saved before the switch have), with non-zero biases so that their gradients count too.
 */
export async function generatorWith(
  cell: CellType,
  input: ModelConfig['input'],
  gate: GateActivation,
  layers = 2,
): Promise<tf.LayersModel> {
  let model = buildGenerator(
    resolveModelConfig({ vocabSize: VOCAB, cell, units: 6, layers, input, embeddingDim: 5, seed: 3 }),
  );
  if (gate === 'hardSigmoid') {
    const json = model.toJSON(null, false) as unknown as { config: { layers: { config: Record<string, unknown> }[] } };
    for (const layer of json.config.layers)
      if ('recurrentActivation' in layer.config) layer.config.recurrentActivation = 'hardSigmoid';
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

/**
 * Loss and gradients (by variable name, and of the initial state when one is given) of one batch, by the named engine
 * (the training loss: with `labelSmoothing`).
 */
export function lossAndGrads(
  model: tf.LayersModel,
  batch: Batch,
  engine: string,
  threads = 1,
  initialState: Float32Array | null = null,
  labelSmoothing = 0,
): { loss: number; grads: Map<string, Float32Array>; initialStateGrad?: Float32Array } {
  const { loss, grads, initialStateGrad } = engineNamed(engine).lossAndGradients(
    model,
    batch,
    threads,
    initialState,
    null,
    labelSmoothing,
  );
  const result = {
    loss,
    grads: new Map(Object.entries(grads).map(([name, g]) => [name, g.dataSync().slice() as Float32Array])),
    initialStateGrad,
  };
  tf.dispose(Object.values(grads));
  return result;
}

/** Sets every weight of `network` to values drawn uniformly from [−0.5, 0.5) by `rng` (larger than initial weights). */
export function setUniformWeights(network: tf.LayersModel, rng: () => number): void {
  network.setWeights(
    network.getWeights().map((w) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => rng() - 0.5),
        w.shape,
      ),
    ),
  );
}

/** Largest |a − b| relative to the largest |b| (1 when b is all zeros). */
export function relativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** Every cell × input × gate the engines must agree on (RNN has no gates), with a label for messages. */
export function engineCases(): Array<{
  cell: CellType;
  input: ModelConfig['input'];
  gate: GateActivation;
  label: string;
}> {
  return CELLS.flatMap((cell) =>
    (['onehot', 'embedding'] as const).flatMap((input) =>
      (cell === 'rnn' ? (['sigmoid'] as const) : GATE_ACTIVATIONS).map((gate) => ({
        cell,
        input,
        gate,
        label: `${cell}/${input}/${gate}`,
      })),
    ),
  );
}

/**
 * Asserts that `engine`'s loss and gradients on the padded batch equal the layers engine's (the reference), from
 * `initialState` when given (then the state's gradients too), with the training loss's `labelSmoothing`.
 */
export function assertMatchesLayers(
  model: tf.LayersModel,
  engine: string,
  label: string,
  threads = 1,
  initialState: Float32Array | null = null,
  labelSmoothing = 0,
): void {
  const tested = lossAndGrads(model, maskedBatch(), engine, threads, initialState, labelSmoothing);
  const reference = lossAndGrads(model, maskedBatch(), 'layers', 1, initialState, labelSmoothing);
  assert.ok(
    Math.abs(tested.loss - reference.loss) < 1e-5 * reference.loss,
    `${label}: loss ${tested.loss} vs ${reference.loss}`,
  );
  if (initialState !== null)
    assert.ok(
      relativeDiff(tested.initialStateGrad!, reference.initialStateGrad!) < 1e-4,
      `${label}: initial-state gradient`,
    );
  assert.equal(tested.grads.size, reference.grads.size);
  for (const [name, grad] of reference.grads) {
    assert.ok(
      grad.some((v) => v !== 0),
      `${label}: ${name} has an all-zero reference gradient`,
    );
    const diff = relativeDiff(tested.grads.get(name)!, grad);
    assert.ok(diff < 1e-4, `${label}: gradient of ${name} differs by ${diff.toExponential(2)}`);
  }
}

/**
 * Runs `check` on a two-layer generator (6 units) of every cell × input, with its config and a label; disposes the
 * model afterwards (the stepper tests of each engine).
 */
export function forEachStepperModel(check: (model: tf.LayersModel, config: ModelConfig, label: string) => void): void {
  for (const cell of CELLS) {
    for (const input of ['onehot', 'embedding'] as const) {
      const config = resolveModelConfig({
        vocabSize: VOCAB,
        cell,
        units: 6,
        layers: 2,
        input,
        embeddingDim: 5,
        seed: 3,
      });
      const model = buildGenerator(config);
      try {
        check(model, config, `${cell}/${input}`);
      } finally {
        model.dispose();
      }
    }
  }
}

/**
 * Asserts that two steppers of the same network (3 rows) give the same logits over three rounds and after a reset,
 * the same state, and the same logits when `tested` continues from `reference`'s state with its rows reordered.
 */
export function assertSameSteps(
  tested: VectorStateStepper,
  reference: VectorStateStepper,
  config: ModelConfig,
  label: string,
): void {
  const tokens = ids(12, 7, 2);
  const layout = stateLayout(config);
  assert.deepEqual(tested.state(), new Float32Array(stateSize(layout, 3)), `${label}: a new stepper starts from zeros`);
  for (let round = 0; round < 3; round++) {
    assert.ok(relativeDiff(tested.feed(tokens, 4), reference.feed(tokens, 4)) < 1e-5, `${label} round ${round}`);
  }
  const state = reference.state();
  assert.ok(
    relativeDiff(tested.state(), state) < 1e-5 && state.some((v) => v !== 0),
    `${label}: the same non-zero state`,
  );
  tested.reset();
  reference.reset();
  assert.ok(
    relativeDiff(tested.feed(tokens.subarray(0, 3), 1), reference.feed(tokens.subarray(0, 3), 1)) < 1e-5,
    `${label} after reset`,
  );
  // Rows moved: tested row r continues reference row order[r], so it gives reference's logits of that row.
  const order = [2, 0, 2];
  reference.setState(state);
  tested.setState(state);
  tested.reorder(order);
  const next = Int32Array.from([4, 5, 6]);
  const expected = reference.feed(next, 1);
  const moved = tested.feed(
    Int32Array.from(order, (row) => next[row]),
    1,
  );
  const width = expected.length / 3;
  order.forEach((row, r) =>
    assert.ok(
      relativeDiff(moved.subarray(r * width, (r + 1) * width), expected.subarray(row * width, (row + 1) * width)) <
        1e-5,
      `${label}: row ${r} continues from row ${row}`,
    ),
  );
  assert.throws(() => tested.setState(new Float32Array(state.length - 1)), /state/i);
  assert.throws(() => tested.reorder([0, 1]), /one source row for each of the 3 rows/);
  assert.throws(
    () => tested.start([{ kind: 'prefix', tokens: Int32Array.of(1) }]),
    /A recurrent network cannot start from a prefix/,
  );
  // Starting rows from states: row 1 from `state`'s row 2, rows 0 and 2 from zeros, as after a reset.
  const one = stateSize(layout, 1);
  const row2 = Float32Array.from(
    { length: one },
    (_, i) => state[(Math.floor(i / layout.units) * 3 + 2) * layout.units + (i % layout.units)],
  );
  tested.start([null, { kind: 'state', state: row2 }]);
  const started = tested.feed(Int32Array.from([4, 6, 6]), 1);
  reference.setState(state);
  assert.ok(
    relativeDiff(started.subarray(width, 2 * width), reference.feed(next, 1).subarray(2 * width)) < 1e-5,
    `${label}: a row started from a state`,
  );
  reference.reset();
  assert.ok(
    relativeDiff(started.subarray(0, width), reference.feed(next, 1).subarray(0, width)) < 1e-5,
    `${label}: a row started plainly`,
  );
}

/**
 * Asserts that `engine`'s gradients on the padded batch equal central differences of its own inference loss, for up
 * to `entries` values spread over every weight (all of the small ones), within 2 % of the largest.
 */
export function assertNumericGradients(model: tf.LayersModel, engine: string, label: string, entries = 120): void {
  const batch = maskedBatch();
  const { grads } = lossAndGrads(model, batch, engine);
  for (const weight of model.trainableWeights) {
    const variable = weight.read() as tf.Variable;
    const original = variable.dataSync().slice() as Float32Array;
    const lossAt = (changed: Float32Array) => {
      variable.assign(tf.tensor(changed, variable.shape));
      return engineNamed(engine).loss(model, batch);
    };
    assertCentralDifferences(
      original,
      grads.get(variable.name)!,
      lossAt,
      `${label} ${weight.originalName}`,
      1e-2,
      entries,
    );
    variable.assign(tf.tensor(original, variable.shape));
  }
}

/**
 * Asserts that `analytic` (the gradient at `values`) equals central differences of `lossAt` for up to `entries` values
 * spread over the array, within 2 % of the largest.
 */
export function assertCentralDifferences(
  values: Float32Array,
  analytic: Float32Array,
  lossAt: (changed: Float32Array) => number,
  label: string,
  eps: number,
  entries = 30,
): void {
  const stride = Math.max(1, Math.floor(values.length / entries));
  const [numeric, expected] = [new Float32Array(values.length), new Float32Array(values.length)];
  for (let k = 0; k < values.length; k += stride) {
    const at = (delta: number) => lossAt(Float32Array.from(values, (v, m) => (m === k ? v + delta : v)));
    numeric[k] = (at(eps) - at(-eps)) / (2 * eps);
    expected[k] = analytic[k];
  }
  const diff = relativeDiff(numeric, expected);
  assert.ok(diff < 2e-2, `${label}: numeric and analytic gradients differ by ${diff.toExponential(2)} of the largest`);
}

/** A 40-step training run of a small generator (16 units, `layers` layers) on a fixed stream, with `engine`. */
export async function trainedCurve(
  engine: string,
  cell: CellType,
  options: { threads?: number; layers?: number } = {},
): Promise<TrainResult> {
  const stream = Int32Array.from({ length: 2_000 }, (_, i) => ((i * i + 3 * i) % 17) % VOCAB);
  const data = {
    train: new WindowDataset(stream, { seqLen: 20 }),
    val: new WindowDataset(stream.subarray(0, 200), { seqLen: 20 }),
  };
  const model = buildGenerator(
    resolveModelConfig({ vocabSize: VOCAB, cell, units: 16, layers: options.layers ?? 1, seed: 9 }),
  );
  const config = {
    ...DEFAULT_TRAIN_CONFIG,
    engine,
    threads: options.threads ?? 1,
    batchSize: 8,
    epochs: 10,
    maxSteps: 40,
    learningRate: 0.01,
    seed: 4,
  };
  try {
    return await train(model, data, config);
  } finally {
    model.dispose();
  }
}

/** Asserts that two training runs' batch losses and validation losses agree within 1e-3 relative. */
export function assertSameCurve(tested: TrainResult, reference: TrainResult, label: string): void {
  const losses = (r: TrainResult) => r.history.batches.map((b) => b.loss);
  assert.equal(tested.steps, reference.steps);
  losses(tested).forEach((loss, k) => {
    const expected = losses(reference)[k];
    assert.ok(Math.abs(loss - expected) < 1e-3 * expected, `${label}: step ${k + 1} loss ${loss} vs ${expected}`);
  });
  assert.ok(
    Math.abs(tested.valLoss! - reference.valLoss!) < 1e-3 * reference.valLoss!,
    `${label}: validation ${tested.valLoss} vs ${reference.valLoss}`,
  );
}

/** Every weight of `model`, flattened in layer order (to compare two models' weights). */
export function flatWeights(model: tf.LayersModel): Float32Array {
  return Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync())));
}

/**
 * A short periodic token stream cut into windows of 10 (no validation): for runs whose path, not learning, is tested.
 */
export function smallWindows(): { train: WindowDataset; val: null } {
  return {
    train: new WindowDataset(
      Int32Array.from({ length: 600 }, (_, i) => (i * 7) % VOCAB),
      { seqLen: 10 },
    ),
    val: null,
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { initBackend } from '../src/backend';
import { engineNamed, type Engine } from '../src/engines';
import {
  buildConditionEncoder,
  buildGenerator,
  CELLS,
  conditionIds,
  conditionState,
  rowsToState,
  resolveModelConfig,
  stateLayout,
  stateParts,
  stateToRows,
  type ConditionEncoderConfig,
} from '../src/model';
import {
  encoderDecoderLoss,
  DEFAULT_TRAIN_CONFIG,
  shuffledEncoderInputs,
  train,
  type EncoderDecoder,
} from '../src/train';
import { prepareCharData } from '../src/data';
import { startUpdater } from '../src/train/updater';
import { generateBatch } from '../src/sample';
import { assertEncoderGradients } from './encoderGradients';
import { flatWeights, generatorWith, maskedBatch, relativeDiff } from './engineFixtures';

const CONFIG: ConditionEncoderConfig = {
  conditions: [
    { column: 'party', values: ['Whig', 'Democratic', 'Republican'] },
    { column: 'era', values: ['1800s', '1900s'] },
  ],
  dim: 4,
  seed: 5,
};
/** The three rows of the test batch: their party and era. */
const ROWS = [
  ['Republican', '1900s'],
  ['Whig', '1800s'],
  ['Democratic', '1900s'],
];

test('conditionIds offsets each condition into one shared table and names unknown values with the known ones', () => {
  assert.deepEqual([...conditionIds(CONFIG, ROWS)], [2, 4, 0, 3, 1, 4]);
  assert.throws(
    () => conditionIds(CONFIG, [['Federalist', '1800s']]),
    /Unknown value "Federalist" for condition "party"; the model knows: Whig, Democratic, Republican\./,
  );
  assert.throws(() => conditionIds(CONFIG, [['Whig']]), /one value per condition \(party, era\), got 1/);
});

test("rowsToState and stateToRows are inverse rearrangements between per-row states and the engines' layout", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 6 }),
      (parts, units, batch) => {
        const layout = { parts, units };
        const rows = Float32Array.from({ length: parts * units * batch }, (_, i) => i);
        const state = rowsToState(rows, layout, batch);
        assert.deepEqual(stateToRows(state, layout, batch), rows);
        // Row b's part p in the engines' layout is where the row-major array had it.
        for (let p = 0; p < parts; p++) {
          for (let b = 0; b < batch; b++)
            assert.equal(state[(p * batch + b) * units], rows[(b * parts + p) * units], `part ${p}, row ${b}`);
        }
      },
    ),
  );
});

test("shuffled conditions: every document gets another document's ids, all of them used once (property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1000 }), (documents, seed) => {
      const encoder = buildConditionEncoder(
        {
          conditions: [
            { column: 'c', values: ['x'] },
            { column: 'd', values: ['y'] },
          ],
          dim: 2,
          seed: 1,
        },
        { parts: 1, units: 2 },
      );
      try {
        const documentIds = Int32Array.from({ length: 2 * documents }, (_, i) => i); // document d's ids: 2d, 2d + 1
        const shuffled = shuffledEncoderInputs(
          { generator: encoder, encoder, layout: { parts: 1, units: 2 }, documentIds },
          seed,
        );
        if (documents < 2) return assert.equal(shuffled, null);
        const donors = Array.from({ length: documents }, (_, d) => shuffled!.documentIds[2 * d] / 2);
        donors.forEach((donor, d) => {
          assert.notEqual(donor, d, `document ${d} keeps its own conditions`);
          assert.equal(shuffled!.documentIds[2 * d + 1], 2 * donor + 1, 'rows move whole');
        });
        assert.deepEqual(
          [...donors].sort((a, b) => a - b),
          Array.from({ length: documents }, (_, d) => d),
          'a permutation',
        );
      } finally {
        encoder.dispose();
      }
    }),
    { numRuns: 40 },
  );
});

/** A 2-layer generator of `cell` with a condition encoder for its state. */
async function networksFor(cell: (typeof CELLS)[number]): Promise<EncoderDecoder> {
  const generator = await generatorWith(cell, 'onehot', 'sigmoid');
  const layout = stateLayout({ cell, layers: 2, units: 6 });
  return { generator, encoder: buildConditionEncoder(CONFIG, layout), layout };
}

test(`conditional training: gradients reach the condition vectors and the state \
layer, equal on every engine and to numeric directional derivatives`, async (t) => {
  await initBackend('cpu');
  const batch = maskedBatch();
  const ids = conditionIds(CONFIG, ROWS);
  for (const cell of CELLS) {
    const networks = await networksFor(cell);
    try {
      const reference = assertEncoderGradients(networks, batch, ids, cell, t);
      // conditionState: one row's state, as the encoder gives it for the whole batch.
      const encoded = tf.tidy(
        () => (networks.encoder.predict(tf.tensor2d(ids, [3, 2], 'int32')) as tf.Tensor).dataSync() as Float32Array,
      );
      const batchState = rowsToState(encoded, networks.layout, 3);
      const row1 = conditionState(networks.encoder, CONFIG, ROWS[1]);
      const parts = stateParts(batchState, networks.layout, 3).map((part) => part.subarray(6, 12));
      assert.deepEqual(row1, Float32Array.from(parts.flatMap((part) => [...part])), `${cell}: conditionState of row 1`);
      assert.throws(
        () => encoderDecoderLoss(engineNamed('layers'), networks, batch, ids.subarray(1)),
        /Encoder ids: 3 rows × 2 ids per row \(conditions, or source tokens\) = 6 expected, got 5/,
      );
      const other = conditionIds(CONFIG, [ROWS[1], ROWS[2], ROWS[0]]);
      assert.ok(
        Math.abs(encoderDecoderLoss(engineNamed('layers'), networks, batch, other) - reference.loss) > 1e-4,
        `${cell}: the conditions matter`,
      );
    } finally {
      networks.generator.dispose();
      networks.encoder.dispose();
    }
  }
});

test(`a conditional run learns what its condition says: validation loss well below \
the shuffled-conditions loss, generation follows the condition`, async (t) => {
  await initBackend('cpu');
  // Lines whose letters only the condition tells: "abab…" for A, "cdcd…" for B.
  const langs = Array.from({ length: 64 }, (_, i) => ((i * 7) % 5 < 2 ? 'A' : 'B'));
  const texts = langs.map((lang, i) => (lang === 'A' ? 'ab' : 'cd').repeat(2 + (i % 4)));
  const data = prepareCharData(texts, { mode: 'lines', seqLen: 16, valFraction: 0.25, seed: 2 });
  const config = resolveModelConfig({ vocabSize: data.vocab.size, units: 16, seed: 4 });
  const layout = stateLayout(config);
  const encoderConfig = { conditions: [{ column: 'lang', values: ['A', 'B'] }], dim: 3, seed: 1 };
  const run = {
    generator: buildGenerator(config),
    encoder: buildConditionEncoder(encoderConfig, layout),
    layout,
    documentIds: conditionIds(
      encoderConfig,
      langs.map((lang) => [lang]),
    ),
  };
  try {
    const trainConfig = {
      ...DEFAULT_TRAIN_CONFIG,
      engine: 'fast',
      batchSize: 8,
      epochs: 40,
      maxSteps: 160,
      learningRate: 0.02,
      seed: 1,
    };
    const result = await train(run, data, trainConfig);
    assert.ok(
      result.valLoss !== null &&
        result.valLossShuffledConditions !== undefined &&
        result.valLossShuffledConditions !== null,
    );
    t.diagnostic(
      `val loss ${result.valLoss.toFixed(3)}, shuffled conditions ` +
        `${result.valLossShuffledConditions.toFixed(3)}, ${result.steps} steps`,
    );
    assert.ok(
      result.valLossShuffledConditions > result.valLoss + 0.1,
      `val loss ${result.valLoss} vs shuffled ${result.valLossShuffledConditions}`,
    );
    const trained = { network: run.generator, vocab: data.vocab, config };
    for (const [lang, letters] of [
      ['A', /^[ab]+$/],
      ['B', /^[cd]+$/],
    ] as const) {
      const initialState = conditionState(run.encoder, encoderConfig, [lang]);
      const [text] = generateBatch(trained, [{ temperature: 0, initialState }], { length: 6 });
      assert.match(text.text, letters, `condition ${lang}: "${text.text}"`);
    }
  } finally {
    run.generator.dispose();
    run.encoder.dispose();
  }
});

test(`the native engine's whole conditional steps (condition encoder and network in C++, clipping and AdamW) \
follow the fast engine's with TensorFlow.js's Adam, on one thread and on two`, async (t) => {
  await initBackend('cpu');
  const native = engineNamed('native');
  const reason = native.unavailableReason();
  if (reason !== null) return t.skip(reason);
  const batch = { ...maskedBatch(), documents: Int32Array.of(0, 1, 2) };
  const trained = async (engine: Engine, threads: number) => {
    const networks = await networksFor('lstm');
    const run = { ...networks, documentIds: conditionIds(CONFIG, ROWS) };
    const settings = { learningRate: 0.01, weightDecay: 0.1, clipNorm: 1, threads };
    const updater = await startUpdater(networks.generator, engine, settings, undefined, run);
    const losses = [];
    for (let step = 0; step < 3; step++) losses.push(await updater.step(batch));
    updater.syncWeights();
    const moments = await updater.captureOptimizer();
    await updater.dispose();
    const weights = Float32Array.of(...flatWeights(networks.generator), ...flatWeights(networks.encoder));
    const names = moments.map((m) => m.name.replace(/_\d+(?=\/|$)/g, ''));
    tf.dispose(moments.map((m) => m.tensor));
    networks.generator.dispose();
    networks.encoder.dispose();
    return { weights, losses, names };
  };
  const fast = await trained(engineNamed('fast'), 1);
  for (const threads of [1, 2]) {
    const tested = await trained(native, threads);
    const diff = relativeDiff(tested.weights, fast.weights);
    assert.ok(
      diff < 1e-4,
      `${threads} threads: native and fast weights after 3 steps differ by ${diff.toExponential(2)}`,
    );
    tested.losses.forEach((loss, i) => assert.ok(Math.abs(loss - fast.losses[i]) < 1e-5 * loss, `step ${i} loss`));
    assert.deepEqual(tested.names, fast.names, 'Adam moments of both networks, in the same order');
  }
  const untrained = await networksFor('lstm');
  const before = flatWeights(untrained.encoder);
  untrained.generator.dispose();
  untrained.encoder.dispose();
  assert.ok(relativeDiff(fast.weights.subarray(-before.length), before) > 1e-3, 'the encoder learns');
});

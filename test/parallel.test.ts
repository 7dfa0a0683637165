import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { Batch } from '../src/data';
import { LineDataset } from '../src/data/lineDataset';
import { fastEngine } from '../src/engines';
import {
  buildConditionEncoder,
  buildGenerator,
  buildSequenceEncoder,
  CellType,
  resolveModelConfig,
  stateLayout,
} from '../src/model';
import { GradientWorkers, splitBatch } from '../src/train/parallelGradients';
import { DEFAULT_TRAIN_CONFIG, type EncoderDecoderRun, train } from '../src/train';

const VOCAB = 13;

test('splitBatch: parts of consecutive rows that differ in size by at most one, none empty, together the batch', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      (rows, seqLen, parts, masked) => {
        const size = rows * seqLen;
        const batch: Batch = {
          inputs: Int32Array.from({ length: size }, (_, i) => i),
          targets: Int32Array.from({ length: size }, (_, i) => i + 1),
          mask: masked ? Float32Array.from({ length: size }, (_, i) => (i % 3 === 0 ? 0 : 1)) : null,
          batchSize: rows,
          seqLen,
          documents: Int32Array.from({ length: rows }, (_, r) => 100 + r),
        };
        const out = splitBatch(batch, parts);
        assert.equal(out.length, Math.min(rows, parts));
        const sizes = out.map((part) => part.batchSize);
        assert.ok(Math.min(...sizes) >= 1 && Math.max(...sizes) - Math.min(...sizes) <= 1);
        assert.deepEqual(Int32Array.from(out.flatMap((part) => [...part.inputs])), batch.inputs);
        assert.deepEqual(Int32Array.from(out.flatMap((part) => [...part.targets])), batch.targets);
        if (masked) assert.deepEqual(Float32Array.from(out.flatMap((part) => [...part.mask!])), batch.mask);
        assert.deepEqual(
          Int32Array.from(out.flatMap((part) => [...part.documents!])),
          batch.documents,
          "each part keeps its rows' documents",
        );
        out.forEach((part) => assert.equal(part.inputs.length, part.batchSize * seqLen));
      },
    ),
  );
});

/** Padded lines of different lengths, so that the parts of a batch hold different numbers of real tokens. */
function lines(): LineDataset {
  const make = (n: number, k: number) => Int32Array.from({ length: n }, (_, i) => 2 + ((i * 5 + k * 3) % (VOCAB - 2)));
  return new LineDataset(Array.from({ length: 48 }, (_, k) => make(4 + ((k * 7) % 15), k)));
}

/** Trains an encoder–decoder on `lines()` with `threads` threads; its result and the encoder's final weights. */
async function trainEncoderDecoder(networks: EncoderDecoderRun, threads: number) {
  const result = await train(
    networks,
    { train: lines(), val: lines() },
    { ...DEFAULT_TRAIN_CONFIG, engine: 'fast', threads, batchSize: 8, epochs: 2, learningRate: 0.05, seed: 1 },
  );
  const encoderWeights = networks.encoder.getWeights().map((w) => Array.from(w.dataSync()));
  networks.generator.dispose();
  networks.encoder.dispose();
  return { result, encoderWeights };
}

test(`training on two threads follows the one-thread loss curve (padded \
lines: parts weighted by real tokens) without leaks`, async () => {
  await initBackend('wasm');
  for (const cell of ['lstm', 'gru'] as CellType[]) {
    const run = async (threads: number) => {
      const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, cell, units: 12, seed: 2 }));
      const result = await train(
        model,
        { train: lines(), val: lines() },
        { ...DEFAULT_TRAIN_CONFIG, threads, batchSize: 8, epochs: 3, learningRate: 0.02, seed: 1 },
      );
      model.dispose();
      return result;
    };
    const before = tf.memory().numTensors;
    const [one, two] = [await run(1), await run(2)];
    assert.equal(tf.memory().numTensors, before, `${cell}: tensors leaked`);
    assert.equal(two.steps, one.steps);
    assert.ok(one.history.batches.at(-1)!.loss < one.history.batches[0].loss - 0.3, `${cell}: did not learn`);
    two.history.batches.forEach((b, k) => {
      const expected = one.history.batches[k].loss;
      assert.ok(Math.abs(b.loss - expected) < 1e-4 * expected, `${cell} step ${k + 1}: ${b.loss} vs ${expected}`);
    });
  }
});

test(`a conditional run shares its rows with worker threads (their states, and \
the states' gradients back): the one-thread curve and encoder`, async () => {
  await initBackend('wasm');
  const run = async (threads: number) => {
    const config = resolveModelConfig({ vocabSize: VOCAB, cell: 'lstm', units: 12, seed: 2 });
    const layout = stateLayout(config);
    const encoderConfig = { conditions: [{ column: 'kind', values: ['a', 'b', 'c'] }], dim: 3, seed: 4 };
    const networks = {
      generator: buildGenerator(config),
      encoder: buildConditionEncoder(encoderConfig, layout),
      layout,
      documentIds: Int32Array.from({ length: 48 }, (_, d) => d % 3),
    };
    return trainEncoderDecoder(networks, threads);
  };
  const [one, two] = [await run(1), await run(2)];
  two.result.history.batches.forEach((b, k) => {
    const expected = one.result.history.batches[k].loss;
    assert.ok(Math.abs(b.loss - expected) < 1e-4 * expected, `step ${k + 1}: ${b.loss} vs ${expected}`);
  });
  assert.ok(Math.abs(two.result.valLossShuffledConditions! - one.result.valLossShuffledConditions!) < 1e-4);
  one.encoderWeights.forEach((weights, i) =>
    weights.forEach((w, k) => {
      assert.ok(
        Math.abs(w - two.encoderWeights[i][k]) < 1e-4,
        `encoder weight ${i}[${k}]: ${two.encoderWeights[i][k]} on two threads, ${w} on one`,
      );
    }),
  );
});

test('an error in a worker thread rejects the step with its message; the workers stop', async () => {
  await initBackend('wasm');
  const model = buildGenerator(resolveModelConfig({ vocabSize: VOCAB, units: 4, seed: 2 }));
  const workers = await GradientWorkers.start(model, 1);
  const inputs = Int32Array.from({ length: 8 }, (_, i) => (i === 7 ? 99 : i)); // the bad id is in the worker's rows
  const batch: Batch = {
    inputs,
    targets: Int32Array.from({ length: 8 }, (_, i) => i),
    mask: null,
    batchSize: 4,
    seqLen: 2,
  };
  await assert.rejects(
    workers.lossAndGradients(model, batch, fastEngine),
    /Gradient worker: Token id 99 is outside the table of 13 rows/,
  );
  await workers.terminate();
  await assert.rejects(
    train(model, { train: lines(), val: null }, { ...DEFAULT_TRAIN_CONFIG, threads: 0 }),
    /Threads must be a whole number ≥ 1, got 0/,
  );
  model.dispose();
});

test(`a sequence-to-sequence run with attention shares its rows with worker threads (their memory and states, \
and their gradients back): the one-thread curve and encoder`, async () => {
  await initBackend('wasm');
  const maxLen = 6;
  // Sources of 1 to 6 tokens, padded.
  const documentIds = new Int32Array(48 * maxLen);
  for (let d = 0; d < 48; d++)
    for (let t = 0; t < 1 + (d % maxLen); t++) documentIds[d * maxLen + t] = 2 + ((d * 3 + t * 5) % (VOCAB - 2));
  const run = async (threads: number) => {
    const config = resolveModelConfig({
      vocabSize: VOCAB,
      cell: 'gru',
      units: 12,
      seed: 2,
      attention: 'luong',
      bidirectional: true,
    });
    const networks = {
      generator: buildGenerator(config),
      encoder: buildSequenceEncoder({ vocabSize: VOCAB, maxLen, embeddingDim: 4, seed: 4 }, config),
      layout: stateLayout(config),
      documentIds,
    };
    return trainEncoderDecoder(networks, threads);
  };
  const [one, two] = [await run(1), await run(2)];
  assert.ok(one.result.history.batches.at(-1)!.loss < one.result.history.batches[0].loss - 0.3, 'it learns');
  two.result.history.batches.forEach((b, k) => {
    const expected = one.result.history.batches[k].loss;
    assert.ok(Math.abs(b.loss - expected) < 1e-4 * expected, `step ${k + 1}: ${b.loss} vs ${expected}`);
  });
  one.encoderWeights.forEach((weights, i) =>
    weights.forEach((w, k) =>
      assert.ok(Math.abs(w - two.encoderWeights[i][k]) < 1e-4, `encoder weight ${i}[${k}]: two threads, one thread`),
    ),
  );
});

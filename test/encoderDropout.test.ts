import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { padSources } from '../src/data';
import { encoderParts, engineNamed, fastEncoderOutputs } from '../src/engines';
import { nativeAddon } from '../src/engines/native/addon';
import { weightArrays } from '../src/engines/native/recurrentLayout';
import { nativeSeq2SeqLayout } from '../src/engines/native/seq2seq';
import { buildGenerator, buildSequenceEncoder, resolveModelConfig, SeededDropout, stateLayout } from '../src/model';
import { newRun, resumeRun, runTraining } from '../src/session';
import { encoderDecoderLoss, encoderDecoderLossAndGradients, encoderStart } from '../src/train';
import { maskedBatch, relativeDiff, VOCAB } from './engineFixtures';

const SOURCES = [Int32Array.of(3, 1, 4), Int32Array.of(5, 9, 2, 6, 5), Int32Array.of(8)];
const MAX_LEN = 6;
const RATE = 0.5;

/** A bidirectional LSTM encoder with dropout `RATE` and its decoder (with Luong attention or without, no dropout). */
function dropoutModel(layers: number, attended: boolean, decoderDropout = 0) {
  const config = resolveModelConfig({
    vocabSize: VOCAB,
    cell: 'lstm',
    units: 6,
    layers,
    seed: 3,
    bidirectional: true,
    dropout: decoderDropout,
    ...(attended && { attention: 'luong' as const }),
  });
  const generator = buildGenerator(config);
  const encoder = buildSequenceEncoder(
    { vocabSize: VOCAB, maxLen: MAX_LEN, embeddingDim: 4, seed: 7, dropout: RATE },
    config,
  );
  return { generator, encoder, layout: stateLayout(config) };
}

test('encoder dropout sits after every layer below the top, and after the top one only when the decoder attends to it', async () => {
  await initBackend('cpu');
  for (const [layers, attended, expected] of [
    [1, false, []],
    [1, true, ['encoder_dropout_1']],
    [2, false, ['encoder_dropout_1']],
    [2, true, ['encoder_dropout_1', 'encoder_dropout_2']],
  ] as const) {
    const { generator, encoder } = dropoutModel(layers, attended);
    const label = `${layers} layers${attended ? ', attended' : ''}`;
    const names = encoder.layers.filter((layer) => layer instanceof SeededDropout).map((layer) => layer.name);
    assert.deepEqual(names, expected, label);
    const parts = encoderParts(encoder);
    assert.ok(parts !== null, `${label}: the engines read the encoder`);
    assert.deepEqual(
      parts.recurrent.map((layer) => layer.dropout?.name ?? null),
      Array.from({ length: layers }, (_, l) => (l < layers - 1 || attended ? `encoder_dropout_${l + 1}` : null)),
      `${label}: each dropout belongs to the layer before it`,
    );
    generator.dispose();
    encoder.dispose();
  }
});

/**
 * At each real position (where the fast encoder's inference memory is not 0), every training value is dropped (0) or
 * the inference value scaled by 1 / (1 − rate), some of each; with `paddingZero`, the padding stays 0 (the
 * tfjs-layers encoder leaves what it likes there: attention masks it out).
 */
function assertDropped(inference: Float32Array, training: Float32Array, label: string, paddingZero = true): void {
  let dropped = 0;
  let real = 0;
  inference.forEach((value, i) => {
    if (value === 0) {
      if (paddingZero) assert.equal(training[i], 0, `${label}: the padding stays zero at ${i}`);
      return;
    }
    real++;
    if (training[i] === 0) dropped++;
    else
      assert.ok(
        Math.abs(training[i] - value / (1 - RATE)) <= 1e-5 * (1 + Math.abs(value)),
        `${label}: value ${i} scaled`,
      );
  });
  assert.ok(dropped > 0.25 * real && dropped < 0.75 * real, `${label}: ${dropped} of ${real} dropped at rate ${RATE}`);
}

test(`in training the attended memory passes the encoder's dropout (fast encoder and tfjs-layers encoder): values \
dropped or scaled, padding zero, final states untouched, fresh masks per call; inference has none`, async () => {
  await initBackend('cpu');
  const { generator, encoder } = dropoutModel(1, true);
  const ids = padSources(SOURCES, MAX_LEN);
  const parts = encoderParts(encoder)!;
  const read = (training: boolean) =>
    tf.tidy(() => {
      const { states, memory } = fastEncoderOutputs(parts, ids, 3, true, training);
      return { states: states.dataSync().slice() as Float32Array, memory: memory!.dataSync().slice() as Float32Array };
    });
  const inference = read(false);
  const [first, second] = [read(true), read(true)];
  assertDropped(inference.memory, first.memory, 'fast encoder');
  assert.deepEqual(first.states, inference.states, 'the final states (the decoder’s start) are not dropped');
  assert.notDeepEqual(first.memory, second.memory, 'each training call draws a new mask');
  assert.deepEqual(read(false).memory, inference.memory, 'inference is deterministic');
  const viaLayers = tf.tidy(() => {
    const [, memory] = encoder.apply(tf.tensor2d(ids, [3, MAX_LEN], 'int32'), { training: true }) as tf.Tensor[];
    // The layers encoder trims padding to the longest row, as the fast one does.
    return memory.dataSync().slice() as Float32Array;
  });
  assertDropped(inference.memory, viaLayers, 'tfjs-layers encoder', false);
  generator.dispose();
  encoder.dispose();
});

/** The native whole pass's loss and gradients with explicit dropout seeds (null: none) and weights. */
function nativePass(
  networks: ReturnType<typeof dropoutModel>,
  seeds: Uint32Array | null,
  threads = 1,
  weights?: Float32Array[],
) {
  const loaded = nativeAddon();
  if ('reason' in loaded) throw new Error(loaded.reason);
  const layout = nativeSeq2SeqLayout(networks.generator, networks.encoder);
  if ('reason' in layout) throw new Error(layout.reason);
  const { inputs, targets, mask, batchSize, seqLen } = maskedBatch();
  const ids = padSources(SOURCES, MAX_LEN);
  const result = loaded.addon.seq2seqLossAndGradients!(
    layout.spec,
    weights ?? weightArrays(layout.variables),
    inputs,
    targets,
    mask,
    batchSize,
    seqLen,
    threads,
    seeds,
    ids,
    MAX_LEN,
    true,
  );
  return { layout, loss: result.loss, grads: result.grads! };
}

test(`native whole pass with encoder dropout: the decoder's loss on the memory times the addon's masks; the same on \
1 and 2 threads; gradients equal numeric derivatives of its loss`, async (t) => {
  await initBackend('cpu');
  const loaded = nativeAddon();
  if ('reason' in loaded) return t.skip(loaded.reason);
  const single = dropoutModel(1, true);
  const seed = 1234;
  const { layout, loss } = nativePass(single, Uint32Array.of(0, seed));
  assert.equal(layout.spec.encoder.dropout, RATE, 'the addon runs the encoder dropout');
  const undropped = nativePass(single, null).loss;
  assert.ok(Math.abs(undropped - loss) > 1e-5 * loss, `dropout changes the loss: ${undropped} without, ${loss} with`);
  // The reference: the decoder alone, from the encoder's inference outputs with the memory masked as the addon does.
  const start = encoderStart(single, padSources(SOURCES, MAX_LEN), 3);
  const memory = start.memory!;
  const masks = loaded.addon.dropoutMasks(seed, RATE, 3, memory.length, memory.width);
  const masked = { ...memory, values: memory.values.map((v, i) => v * masks[i]) };
  const reference = engineNamed('native').lossAndGradients(single.generator, maskedBatch(), 1, start.state, masked);
  tf.dispose(Object.values(reference.grads));
  assert.ok(
    Math.abs(reference.loss - loss) < 1e-5 * loss,
    `loss ${loss} vs the decoder's on masked memory ${reference.loss}`,
  );
  single.generator.dispose();
  single.encoder.dispose();

  const deep = dropoutModel(2, true, 0.3);
  const seeds = Uint32Array.of(11, 12, 13, 14); // two decoder layers, two encoder dropout layers
  const one = nativePass(deep, seeds, 1);
  const two = nativePass(deep, seeds, 2);
  assert.ok(Math.abs(one.loss - two.loss) < 1e-6 * one.loss, 'the same loss on 1 and 2 threads');
  one.grads.forEach((g, k) => assert.ok(relativeDiff(two.grads[k], g) < 1e-5, `the same gradient ${k} on 2 threads`));
  const weights = weightArrays(one.layout.variables).map((w) => w.slice());
  const firstEncoder = one.layout.variables.length - deep.encoder.trainableWeights.length;
  for (let k = firstEncoder; k < weights.length; k++) {
    const along = (shift: (i: number) => number) =>
      nativePass(deep, seeds, 1, [
        ...weights.slice(0, k),
        weights[k].map((v, i) => v + shift(i)),
        ...weights.slice(k + 1),
      ]).loss;
    assertDirectionalDerivative(one.grads[k], along, one.layout.variables[k].name);
  }
  deep.generator.dispose();
  deep.encoder.dispose();
});

/**
 * `analytic` (a variable's gradient) agrees with the loss `along(shift)` gives with the variable's value i shifted by
 * `shift(i)`: its derivative along the gradient's signs (weighted unevenly), from central differences with Richardson's
 * extrapolation, within 2 %; `largest`: the largest step (a small gradient needs a large one for float32 to resolve
 * the loss's change).
 */
function assertDirectionalDerivative(
  analytic: Float32Array,
  along: (shift: (i: number) => number) => number,
  label: string,
  largest = 0.04,
): void {
  const direction = Float32Array.from(analytic, (g, i) => Math.sign(g) * (1 + 0.5 * Math.sin(i * 12.9898)));
  const expected = analytic.reduce((sum, g, i) => sum + g * direction[i], 0);
  const h = Math.min(largest, 2e-3 / Math.abs(expected));
  const central = (at: number) => (along((i) => at * direction[i]) - along((i) => -at * direction[i])) / (2 * at);
  const numeric = (4 * central(h) - central(2 * h)) / 3;
  assert.ok(
    Math.abs(numeric - expected) < 2e-2 * Math.abs(expected),
    `${label}: directional derivative ${numeric} vs ${expected}`,
  );
}

test(`fast and layers engines: the decoder trains on the encoder's dropped outputs (one mask per layer and step), and \
the encoder's gradients are those of that loss (numeric derivatives with the same masks)`, async () => {
  await initBackend('cpu');
  const batch = maskedBatch();
  const ids = padSources(SOURCES, MAX_LEN);
  for (const name of ['fast', 'layers']) {
    const networks = dropoutModel(2, true);
    const engine = engineNamed(name);
    const dropouts = networks.encoder.layers.filter((layer): layer is SeededDropout => layer instanceof SeededDropout);
    const step = () => {
      dropouts.forEach((layer) => (layer.calls = 0)); // the same masks every time
      const result = encoderDecoderLossAndGradients(engine, networks, batch, ids, 1);
      const grads = new Map(
        Object.entries(result.grads).map(([key, g]) => [key, g.dataSync().slice() as Float32Array]),
      );
      tf.dispose(Object.values(result.grads));
      return { loss: result.loss, grads };
    };
    const first = step();
    assert.deepEqual(
      dropouts.map((layer) => layer.calls),
      [1, 1],
      `${name}: one training call of each dropout layer a step`,
    );
    const inference = encoderDecoderLoss(engine, networks, batch, ids);
    assert.ok(Math.abs(first.loss - inference) > 1e-5 * inference, `${name}: the decoder saw the dropped outputs`);
    for (const variable of networks.encoder.trainableWeights.map((w) => w.read() as tf.Variable)) {
      const values = variable.dataSync().slice() as Float32Array;
      const along = (shift: (i: number) => number) => {
        variable.assign(
          tf.tensor(
            values.map((v, i) => v + shift(i)),
            variable.shape,
          ),
        );
        return step().loss;
      };
      assertDirectionalDerivative(first.grads.get(variable.name)!, along, `${name} ${variable.name}`, 0.15);
      variable.assign(tf.tensor(values, variable.shape));
    }
    networks.generator.dispose();
    networks.encoder.dispose();
  }
});

test(`a sequence-to-sequence run with encoder dropout, interrupted and resumed, ends with the weights of an \
uninterrupted run (the encoder's masks go on where they were), on the fast and native engines`, async () => {
  await initBackend('cpu');
  const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-encoder-dropout-'));
  for (const engine of ['fast', 'native'] as const) {
    if (engineNamed(engine).unavailableReason() !== null) continue;
    const settings = {
      data: { corpus: 'cmudict', limit: 200, sourceColumn: 'word', columns: ['phonemes'], level: 'word' as const },
      model: {
        cell: 'lstm' as const,
        layers: 2,
        units: 8,
        attention: 'luong' as const,
        bidirectional: true as const,
        dropout: 0.3,
        encoderDropout: 0.2,
      },
      training: { batchSize: 16, epochs: 2, maxSteps: 14, seed: 5, threads: 1, engine },
    };
    const [started, whole] = [path.join(work, `${engine}-started`), path.join(work, `${engine}-whole`)];
    const controller = new AbortController();
    const stopAt5 = { onBatchEnd: (record: { step: number }) => void (record.step === 5 && controller.abort()) };
    const first = await runTraining(await newRun(settings, started), {
      callbacks: [stopAt5],
      signal: controller.signal,
    });
    assert.equal(first.summary, null, `${engine}: interrupted`);
    assert.deepEqual(first.result.interrupted?.dropoutCalls, [5, 5, 5, 5], `${engine}: decoder's and encoder's calls`);
    const resumed = await resumeRun(started);
    const [a, b] = [await runTraining(resumed), await runTraining(await newRun(settings, whole))];
    resumed.model.network.dispose();
    assert.equal(a.summary?.trainLoss, b.summary?.trainLoss, `${engine}: train loss`);
    assert.deepEqual(
      readFileSync(path.join(started, 'source-encoder.bin')),
      readFileSync(path.join(whole, 'source-encoder.bin')),
      `${engine}: the encoder's weights`,
    );
  }
});

test('encoder dropout: a rate outside [0, 1) or a run without a source is refused with what to do', async () => {
  await initBackend('cpu');
  assert.throws(
    () => resolveModelConfig({ vocabSize: VOCAB, encoderDropout: 1 }),
    /Encoder dropout must be in \[0, 1\), got 1/,
  );
  assert.equal(resolveModelConfig({ vocabSize: VOCAB, encoderDropout: 0 }).encoderDropout, undefined, '0 is none');
  assert.throws(
    () => resolveModelConfig({ vocabSize: VOCAB, layers: 1, encoderDropout: 0.2 }),
    /a one-layer encoder without attention has neither: add --attention or a layer, or drop --encoder-dropout/,
  );
  await assert.rejects(
    newRun(
      { data: { corpus: 'cmudict', limit: 200, seqLen: 8 }, model: { layers: 2, encoderDropout: 0.2 } },
      path.join(os.tmpdir(), 'gn-x'),
    ),
    /Encoder dropout needs a source: train a sequence-to-sequence model .* or drop --encoder-dropout\./,
  );
  const cli = path.resolve(__dirname, '../../dist/cli.js');
  const train = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [cli, 'train', '--corpus', 'cmudict', ...args, '--out', path.join(os.tmpdir(), 'gn-x')],
      {
        encoding: 'utf8',
        env: { ...process.env, GN_BACKEND: 'wasm' },
      },
    );
  const lm = train('--encoder-dropout', '0.2');
  assert.equal(lm.status, 1);
  assert.match(lm.stderr, /--encoder-dropout go with --task seq2seq/);
  const outOfRange = train('--encoder-dropout', '1.5');
  assert.equal(outOfRange.status, 1);
  assert.match(outOfRange.stderr, /--encoder-dropout.*in \[0, 1\)/);
});

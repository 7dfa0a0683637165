import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { padSources } from '../src/data';
import { encoderOf, encoderParts, engineNamed, fastEncoderOutputs } from '../src/engines';
import {
  type Attended,
  bahdanauAttention,
  CELLS,
  encodeSources,
  luongAttention,
  resolveModelConfig,
  type RowStart,
  stateLayout,
} from '../src/model';
import { createRng } from '../src/random';
import type { TranslationScores } from '../src/sample';
import { encoderStart } from '../src/train';
import { parseAs } from './cliJson';
import { attentionModel, MAX_LEN, SOURCES } from './attentionFixtures';
import { assertEncoderGradients } from './encoderGradients';
import { maskedBatch, VOCAB } from './engineFixtures';

/** The attention kinds every test runs. */
const KINDS = ['luong', 'bahdanau'] as const;

test('Luong and Bahdanau attention: padded source positions get exactly 0 weight and 0 gradient; weights sum to 1', async () => {
  await initBackend('cpu');
  const [rows, steps, units, length, width] = [3, 4, 5, 6, 7];
  const lengths = [6, 2, 0];
  const mask = tf.tensor2d(
    Array.from({ length: rows * length }, (_, i) => (i % length < lengths[Math.floor(i / length)] ? 1 : 0)),
    [rows, length],
  );
  const states = tf.randomNormal<tf.Rank.R3>([rows, steps, units], 0, 1, 'float32', 1);
  const memory = tf.variable(tf.randomNormal<tf.Rank.R3>([rows, length, width], 0, 3, 'float32', 2));
  const normal = (shape: [number, number], seed: number) => tf.randomNormal<tf.Rank.R2>(shape, 0, 1, 'float32', seed);
  const combine = normal([width + units, units], 4);
  const luong = { score: normal([units, width], 3), combine };
  const bahdanau = {
    query: normal([units, units], 5),
    key: normal([width, units], 6),
    vector: normal([units, 1], 7),
    combine,
  };
  const kinds: [string, () => Attended][] = [
    ['luong', () => luongAttention(states, memory, mask, luong)],
    ['bahdanau', () => bahdanauAttention(states, memory, mask, bahdanau)],
  ];
  for (const [kind, attend] of kinds) {
    const attention = attend().weights.arraySync();
    attention.forEach((row, r) =>
      row.forEach((step) => {
        step.forEach((w, s) => {
          if (s >= lengths[r]) assert.equal(w, 0, `${kind}: row ${r} position ${s} is padding`);
          else assert.ok(w > 0, `${kind}: row ${r} position ${s} is real`);
        });
        const sum = step.reduce((a, b) => a + b, 0);
        assert.ok(lengths[r] === 0 ? sum === 0 : Math.abs(sum - 1) < 1e-5, `${kind}: row ${r}: weights sum to ${sum}`);
      }),
    );
    const { grads } = tf.variableGrads(() => tf.sum(attend().output), [memory]);
    const grad = grads[memory.name].arraySync() as number[][][];
    grad.forEach((row, r) =>
      row.forEach((position, s) => position.forEach((g) => (s >= lengths[r] ? assert.equal(g, 0) : undefined))),
    );
    assert.ok(
      grad[0][0].some((g) => g !== 0),
      `${kind}: real positions get a gradient`,
    );
    tf.dispose(Object.values(grads));
  }
  tf.dispose([mask, states, memory, ...Object.values(luong), ...Object.values(bahdanau)]);
});

test(`sequence-to-sequence with attention: gradients cross the encoder's memory and state, \
equal on every engine and to numeric derivatives`, async (t) => {
  await initBackend('cpu');
  const batch = maskedBatch();
  const ids = padSources(SOURCES, MAX_LEN);
  for (const [cell, bidirectional, kind] of CELLS.flatMap((cell) =>
    [false, true].flatMap((bidirectional) => KINDS.map((kind) => [cell, bidirectional, kind] as const)),
  )) {
    const { generator, encoder, layout } = attentionModel(cell, bidirectional, kind);
    const label = `${cell}${bidirectional ? ' bidirectional' : ''} ${kind} attention`;
    try {
      assertEncoderGradients({ generator, encoder, layout }, batch, ids, label, t, 0.15);
    } finally {
      generator.dispose();
      encoder.dispose();
    }
  }
});

test(`attention steppers: every step's logits equal the whole sequence's, from each row's own \
source, on the layers, fast and native engines; a row's source length does not depend on its batch`, async () => {
  await initBackend('cpu');
  for (const [cell, kind] of CELLS.flatMap((cell) => KINDS.map((kind) => [cell, kind] as const))) {
    const { config, generator, encoder, layout } = attentionModel(cell, false, kind);
    const ids = padSources(SOURCES, MAX_LEN);
    const starts = encodeSources(encoder, ids, MAX_LEN);
    const alone = encodeSources(encoder, padSources([SOURCES[1]], MAX_LEN), MAX_LEN)[0];
    const memoryOf = (start: RowStart) => {
      assert.ok(!(start instanceof Float32Array) && start.kind === 'memory', 'a memory conditioning');
      return start;
    };
    assert.equal(memoryOf(starts[1]).length, 5);
    assert.equal(memoryOf(starts[2]).length, 1);
    memoryOf(alone).memory.forEach((v, k) => assert.ok(Math.abs(v - memoryOf(starts[1]).memory[k]) < 1e-5));
    // The whole target sequence at once (the training path), from the encoder's start.
    const batch = maskedBatch();
    const start = encoderStart({ generator, encoder, layout }, ids, 3);
    const whole = engineNamed('fast').loss(generator, batch, start.state, 1, start.memory);
    assert.ok(Number.isFinite(whole));
    for (const name of ['layers', 'fast', 'native'].filter((n) => engineNamed(n).unavailableReason() === null)) {
      const tensorsBefore = tf.memory().numTensors;
      const stepper = engineNamed(name).createStepper(generator, config, 3);
      stepper.start(starts.map((s) => (s instanceof Float32Array ? { kind: 'state', state: s } : s)));
      let nll = 0;
      let counted = 0;
      for (let t = 0; t < batch.seqLen; t++) {
        const tokens = Int32Array.from({ length: 3 }, (_, b) => batch.inputs[b * batch.seqLen + t]);
        const logits = stepper.feed(tokens, 1);
        const vocab = logits.length / 3;
        for (let b = 0; b < 3; b++) {
          if (batch.mask![b * batch.seqLen + t] === 0) continue;
          const row = logits.subarray(b * vocab, (b + 1) * vocab);
          const max = Math.max(...row);
          const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
          nll += logSum - row[batch.targets[b * batch.seqLen + t]];
          counted += 1;
        }
        const weights = stepper.lastAttention;
        assert.ok(weights != null, `${name}: the stepper keeps the step's attention`);
        const length = weights.length / 3;
        assert.equal(weights[2 * length + 1], 0, `${name}: row 2's padding gets no attention`);
      }
      assert.ok(
        Math.abs(nll / counted - whole) < 1e-4,
        `${cell} ${kind}/${name}: stepped loss ${nll / counted} vs ${whole}`,
      );
      // Beam search reorders rows: their memory moves with them.
      stepper.reorder([1, 1, 0]);
      const after = stepper.feed(Int32Array.of(2, 2, 2), 1);
      const vocab = after.length / 3;
      after.subarray(0, vocab).forEach((v, k) => assert.equal(v, after[vocab + k]));
      stepper.dispose();
      assert.equal(
        tf.memory().numTensors,
        tensorsBefore,
        `${cell} ${kind}/${name}: the stepper leaves no tensor behind`,
      );
    }
    assert.throws(
      () => engineNamed('fast').createStepper(generator, config, 1).start([null]),
      /with attention starts every row from its source/,
    );
    assert.equal(encoderOf(encoder).hasMemory, true);
    generator.dispose();
    encoder.dispose();
  }
});

test(`the fast engine's encoder memory and states equal the masked tfjs-layers encoder's at every real \
position, one way and both ways, values and gradients`, async () => {
  await initBackend('cpu');
  for (const [cell, bidirectional] of CELLS.flatMap(
    (cell) =>
      [
        [cell, false],
        [cell, true],
      ] as const,
  )) {
    const { encoder } = attentionModel(cell, bidirectional);
    const ids = padSources(SOURCES, MAX_LEN);
    const lengths = SOURCES.map((s) => s.length);
    const positions = Math.max(...lengths);
    // Weights that vanish at padding: what attention reads of the memory.
    const weights = tf.tensor3d(
      Array.from({ length: 3 * positions * 6 }, (_, i) =>
        i % (positions * 6) < lengths[Math.floor(i / (positions * 6))] * 6 ? Math.sin(i) : 0,
      ),
      [3, positions, 6],
    );
    const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
    const stateWeights = tf.sin(tf.range(0, 3 * stateLayout({ cell, layers: 2, units: 6 }).parts * 6)).reshape([3, -1]);
    const viaLayers = tf.variableGrads(() => {
      const [states, memory] = encoder.apply(tf.tensor2d(ids, [3, MAX_LEN], 'int32')) as tf.Tensor[];
      return tf.add(tf.sum(tf.mul(memory, weights)), tf.sum(tf.mul(states, stateWeights)));
    }, variables);
    const viaFast = tf.variableGrads(() => {
      const { states, memory } = fastEncoderOutputs(encoderParts(encoder)!, ids, 3, true);
      return tf.add(tf.sum(tf.mul(memory!, weights)), tf.sum(tf.mul(states, stateWeights)));
    }, variables);
    const [fast, layers] = [viaFast.value.dataSync()[0], viaLayers.value.dataSync()[0]];
    const label = `${cell}${bidirectional ? ' bidirectional' : ''}`;
    assert.ok(Math.abs(fast - layers) < 1e-5, `${label}: outputs ${fast} vs ${layers}`);
    for (const variable of variables) {
      const [a, b] = [viaFast.grads[variable.name].dataSync(), viaLayers.grads[variable.name].dataSync()];
      a.forEach((g, k) => assert.ok(Math.abs(g - b[k]) < 1e-5, `${label}: gradient of ${variable.name}[${k}]`));
    }
    if (bidirectional) {
      // The two directions start from different weights.
      const names = variables.map((v) => v.name).filter((name) => name.includes('bidirectional_1'));
      const kernels = names.filter((name) => /kernel/.test(name) && !/recurrent/.test(name));
      assert.equal(kernels.length, 2, `two input kernels: ${names.join(', ')}`);
      const [a, b] = kernels.map((name) => variables.find((v) => v.name === name)!.dataSync());
      assert.ok(
        a.some((v, k) => v !== b[k]),
        'forward and backward kernels differ',
      );
    }
    tf.dispose([
      stateWeights,
      weights,
      viaLayers.value,
      viaFast.value,
      ...Object.values(viaLayers.grads),
      ...Object.values(viaFast.grads),
    ]);
    encoder.dispose();
  }
});

const cli = path.resolve(__dirname, '../../dist/cli.js');

function gennet(...args: string[]): string {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  assert.equal(run.status, 0, `gennet ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Pairs of random letter strings of `min`…`max` letters and their reversal, as CSV rows. */
function reversals(count: number, min: number, max: number, seed: number): string {
  const rng = createRng(seed);
  const rows = ['word,reversed'];
  for (let i = 0; i < count; i++) {
    const word = Array.from({ length: min + Math.floor(rng() * (max - min + 1)) }, () =>
      'abcdefghij'.charAt(Math.floor(rng() * 10)),
    ).join('');
    rows.push(`${word},${[...word].reverse().join('')}`);
  }
  return `${rows.join('\n')}\n`;
}

test(`attention learns a regular transformation no test holds (reversing strings of 3–12 letters): \
≥ 99 % exact match on held-out pairs`, () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-attention-'));
  const [train, heldOut, model] = ['train.csv', 'held-out.csv', 'model'].map((name) => path.join(work, name));
  writeFileSync(train, reversals(4000, 3, 12, 1));
  writeFileSync(heldOut, reversals(300, 3, 12, 2));
  gennet(
    'train',
    '--corpus',
    train,
    '--task',
    'seq2seq',
    '--source-column',
    'word',
    '--target-column',
    'reversed',
    '--model',
    'gru:64',
    '--attention',
    'luong',
    '--embedding-dim',
    '16',
    '--max-steps',
    '800',
    '--batch',
    '32',
    '--lr',
    '0.01',
    '--seed',
    '5',
    '--threads',
    '1',
    '--no-samples',
    '--out',
    model,
  );
  const scores = parseAs<TranslationScores>(gennet('evaluate', '--model', model, '--corpus', heldOut, '--json'));
  assert.ok(scores.pairs >= 290, `held-out pairs scored: ${scores.pairs}`);
  assert.ok(scores.exactMatch >= 0.99, `exact match ${scores.exactMatch} on ${scores.pairs} held-out reversals`);
});

test('attention and bidirectional settings: wrong combinations are refused with what to do', () => {
  assert.throws(
    () => resolveModelConfig({ vocabSize: VOCAB, cell: 'lstm', units: 7, bidirectional: true }),
    /give an even number of units \(--units N or --model lstm:N\), got 7/,
  );
  assert.throws(
    () => resolveModelConfig({ vocabSize: VOCAB, attention: 'dot' as 'luong' }),
    /Unknown attention "dot"\. Use one of: none, luong, bahdanau/,
  );
  const refused = spawnSync(
    process.execPath,
    [
      cli,
      'train',
      '--corpus',
      'cmudict',
      '--attention',
      'luong',
      '--out',
      path.join(os.tmpdir(), 'gennet-never-written'),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, GN_BACKEND: 'wasm' },
    },
  );
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /--attention go with --task seq2seq/);
});

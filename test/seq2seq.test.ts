import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { padSources } from '../src/data';
import { encoderParts, fastEncoderOutputs } from '../src/engines';
import { loadArtifact } from '../src/io';
import { buildSequenceEncoder, CELLS, encodeSources, stateLayout } from '../src/model';
import { createRng } from '../src/random';
import type { TranslationScores } from '../src/sample';
import { newRun, resumeRun, runTraining } from '../src/session';
import { assertEncoderGradients } from './encoderGradients';
import { generatorWith, maskedBatch, VOCAB } from './engineFixtures';
import { type GenerateOutput, parseAs } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-seq2seq-'));

function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test(`the source encoder: padding and the rest of the batch do \
not change a source's state (masking, trimming)`, async () => {
  await initBackend('cpu');
  for (const cell of CELLS) {
    const config = { vocabSize: 9, maxLen: 8, embeddingDim: 4, seed: 3 };
    const encoder = buildSequenceEncoder(config, { cell, layers: 2, units: 5 });
    const sources = [Int32Array.of(3, 4, 5), Int32Array.of(6, 7, 8, 3, 4, 5, 6), Int32Array.of(2)];
    const together = encodeSources(encoder, padSources(sources, 8), 8) as Float32Array[];
    sources.forEach((source, i) => {
      const alone = encodeSources(encoder, padSources([source], 8), 8)[0] as Float32Array;
      assert.equal(alone.length, stateLayout({ cell, layers: 2, units: 5 }).parts * 5);
      together[i].forEach((v, k) =>
        assert.ok(Math.abs(v - alone[k]) < 1e-6, `${cell}: source ${i} alone and in a batch`),
      );
    });
    assert.ok(
      together[0].some((v, k) => Math.abs(v - together[2][k]) > 1e-3),
      `${cell}: different sources, different states`,
    );
    // The fast engine's encoder (rows grouped by length, cell ops) = the masked tfjs-layers encoder, values
    // and gradients.
    const ids = padSources(sources, 8);
    const parts = encoderParts(encoder)!;
    const weights = tf.tensor2d(
      Array.from({ length: 3 * together[0].length }, (_, i) => Math.sin(i)),
      [3, together[0].length],
    );
    const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
    const viaLayers = tf.variableGrads(
      () => tf.sum(tf.mul(encoder.apply(tf.tensor2d(ids, [3, 8], 'int32')) as tf.Tensor, weights)),
      variables,
    );
    const viaFast = tf.variableGrads(
      () => tf.sum(tf.mul(fastEncoderOutputs(parts, ids, 3, false).states, weights)),
      variables,
    );
    assert.ok(
      Math.abs(viaFast.value.dataSync()[0] - viaLayers.value.dataSync()[0]) < 1e-5,
      `${cell}: fast encoder output`,
    );
    for (const variable of variables) {
      const [a, b] = [viaFast.grads[variable.name].dataSync(), viaLayers.grads[variable.name].dataSync()];
      a.forEach((g, k) =>
        assert.ok(Math.abs(g - b[k]) < 1e-5, `${cell}: gradient of ${variable.name}[${k}]: fast ${g}, layers ${b[k]}`),
      );
    }
    tf.dispose([
      weights,
      viaLayers.value,
      viaFast.value,
      ...Object.values(viaLayers.grads),
      ...Object.values(viaFast.grads),
    ]);
    assert.throws(() => padSources([new Int32Array(9)], 8), /Source 1 has 9 tokens; the model reads at most 8/);
    encoder.dispose();
  }
});

test(`sequence-to-sequence training: gradients cross the encoder→decoder \
state, equal on every engine and to numeric derivatives`, async (t) => {
  await initBackend('cpu');
  const batch = maskedBatch();
  const ids = padSources([Int32Array.of(3, 1, 4), Int32Array.of(5, 9, 2, 6, 5), Int32Array.of(8)], 6);
  for (const cell of CELLS) {
    const generator = await generatorWith(cell, 'onehot', 'sigmoid');
    const layout = stateLayout({ cell, layers: 2, units: 6 });
    const encoder = buildSequenceEncoder(
      { vocabSize: VOCAB, maxLen: 6, embeddingDim: 4, seed: 7 },
      { cell, layers: 2, units: 6 },
    );
    try {
      assertEncoderGradients({ generator, encoder, layout }, batch, ids, `${cell} seq2seq`, t, 0.15);
    } finally {
      generator.dispose();
      encoder.dispose();
    }
  }
});

/**
 * Pairs no fixture holds: random "words" over 6 letters and their regular transformation — the letters reversed
 * and doubled vowels marked (a → A), space-separated: a word-level target from a char-level source.
 */
function pairTable(rows: number, seed: number): string {
  const rng = createRng(seed);
  const lines = ['spelling,sounds'];
  for (let i = 0; i < rows; i++) {
    const word = Array.from({ length: 2 + Math.floor(rng() * 4) }, () => 'abcdeo'[Math.floor(rng() * 6)]).join('');
    lines.push(
      `${word},${[...word]
        .reverse()
        .map((c) => ('aeo'.includes(c) ? c.toUpperCase() : c))
        .join(' ')}`,
    );
  }
  return lines.join('\n');
}

const pairs = path.join(work, 'pairs.csv');
writeFileSync(pairs, pairTable(3000, 5));
const model = path.join(work, 'model');

test(`gennet train --task seq2seq, generate --source, evaluate: \
held-out pairs of a regular transformation, beam ≥ greedy`, (t) => {
  const run = gennet(
    'train',
    '--corpus',
    pairs,
    '--task',
    'seq2seq',
    '--source-column',
    'spelling',
    '--target-column',
    'sounds',
    '--level',
    'word',
    '--units',
    '48',
    '--batch',
    '32',
    '--epochs',
    '6',
    '--max-steps',
    '450',
    '--lr',
    '0.01',
    '--seed',
    '2',
    '--out',
    model,
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  const summary = parseAs<{ source: unknown; valLoss: number; valLossShuffledSources: number }>(run.stdout);
  assert.deepEqual(summary.source, { column: 'spelling', level: 'char', vocabSize: 9, maxLen: 5 });
  assert.ok(
    summary.valLossShuffledSources > summary.valLoss + 1,
    `val loss ${summary.valLoss}, shuffled sources ${summary.valLossShuffledSources}`,
  );
  assert.match(run.stderr, /encoder of spelling \(char vocabulary 9, sources up to 5 tokens\)/);
  assert.ok(readdirSync(model).includes('source-encoder.bin'));

  const generated = gennet('generate', '--model', model, '--source', 'bead', '--json'); // greedy unless --temperature
  assert.equal(generated.status, 0, generated.stderr);
  assert.equal(parseAs<GenerateOutput>(generated.stdout).text, 'd A E b');
  const evaluated = gennet('evaluate', '--model', model, '--beam', '1,4', '--json');
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const scores = parseAs<(TranslationScores & { beam: number })[]>(evaluated.stdout);
  assert.deepEqual(
    scores.map((s) => s.beam),
    [1, 4],
    'one document per width, in the order given',
  );
  const alone = gennet('evaluate', '--model', model, '--beam', '4', '--json');
  assert.equal(alone.status, 0, alone.stderr);
  assert.deepEqual(parseAs<TranslationScores>(alone.stdout), scores[1], 'one width: its document alone, the same');
  scores.forEach((s) => assert.equal(s.wordErrorRate, s.results.filter((r) => !r.exact).length / s.pairs));
  const unstressed = gennet('evaluate', '--model', model, '--ignore-stress', '--json');
  assert.equal(unstressed.status, 0, unstressed.stderr);
  const withoutDigits = parseAs<TranslationScores & { ignoreStress?: boolean }>(unstressed.stdout);
  assert.equal(withoutDigits.ignoreStress, true);
  assert.equal(withoutDigits.wordErrorRate, scores[0].wordErrorRate, 'these targets have no stress digits to ignore');
  assert.equal(scores[0].pairs, 300, 'the validation tenth of 3000 pairs');
  t.diagnostic(
    `val loss ${summary.valLoss.toFixed(3)} (shuffled sources ${summary.valLossShuffledSources.toFixed(3)}); ` +
      `exact match greedy ${scores[0].exactMatch}, beam 4 ${scores[1].exactMatch}; ` +
      `token error rate ${scores[0].tokenErrorRate.toFixed(4)}`,
  );
  assert.ok(scores[0].exactMatch > 0.9, `greedy exact match ${scores[0].exactMatch}`);
  assert.ok(
    scores[1].exactMatch >= scores[0].exactMatch,
    `beam 4 ${scores[1].exactMatch} vs greedy ${scores[0].exactMatch}`,
  );
  assert.ok(scores[0].tokenErrorRate < 0.05, `token error rate ${scores[0].tokenErrorRate}`);
  const unseen = path.join(work, 'unseen.csv');
  writeFileSync(unseen, pairTable(200, 99));
  const other = gennet('evaluate', '--model', model, '--corpus', unseen, '--limit', '50');
  assert.equal(other.status, 0, other.stderr);
  assert.match(
    other.stdout,
    /^greedy: word error rate \d+\.\d% \(exact match \d+\.\d% of 50 pairs\), token error rate \d+\.\d%\n/,
  );
  // one source longer than any in training
  writeFileSync(unseen, `${pairTable(20, 98)}\nabcdeoabcd,d c b a o e d c b a`);
  const withLong = gennet('evaluate', '--model', model, '--corpus', unseen, '--json');
  assert.equal(withLong.status, 0, withLong.stderr);
  const long = parseAs<TranslationScores>(withLong.stdout);
  assert.deepEqual([long.pairs, long.skipped], [20, 1]);
  assert.match(withLong.stderr, /left out 1 pairs whose source is longer than the model reads \(5 tokens\)/);
  scoresAgainstReferences(pairTable(100, 97));
});

/**
 * `evaluate --references`: pairs whose target is wrong (another pair's) but whose references column holds the right
 * one score as the right targets alone do; without the column they are mostly misses.
 */
function scoresAgainstReferences(table: string): void {
  const rows = table
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
  const right = path.join(work, 'right.csv');
  writeFileSync(right, table);
  const shifted = path.join(work, 'shifted.csv');
  const wrong = (i: number, by: number) => rows[(i + by) % rows.length][1];
  writeFileSync(
    shifted,
    [
      'spelling,sounds,others',
      ...rows.map(([word, target], i) => `${word},${wrong(i, 1)},${wrong(i, 2)} | ${target}`),
    ].join('\n'),
  );
  const score = (...args: string[]) => {
    const run = gennet('evaluate', '--model', model, '--json', ...args);
    assert.equal(run.status, 0, run.stderr);
    return parseAs<TranslationScores & { referencesColumn?: string }>(run.stdout);
  };
  const truth = score('--corpus', right);
  const withReferences = score('--corpus', shifted, '--references', 'others');
  assert.equal(withReferences.referencesColumn, 'others');
  assert.equal(withReferences.exactMatch, truth.exactMatch);
  assert.ok(withReferences.tokenErrorRate <= truth.tokenErrorRate, 'no pair is farther from its closest right target');
  assert.ok(truth.exactMatch > 0.5, `exact match ${truth.exactMatch}`);
  withReferences.results.forEach((result, i) => {
    if (result.exact) assert.equal(result.reference, rows[i][1], `pair ${i}: scored against its right target`);
    assert.ok(result.edits <= truth.results[i].edits, `pair ${i}: the closest reference is at most as far`);
  });
  const without = score('--corpus', shifted);
  assert.ok(without.exactMatch < truth.exactMatch / 2, `exact match without references ${without.exactMatch}`);
}

test('sequence-to-sequence mistakes: each a one-line error that says what to do', () => {
  const cases: [string[], RegExp][] = [
    [['generate', '--model', model], /is a sequence-to-sequence model \(it reads chars\); give --source TEXT/],
    [['generate', '--model', model, '--source', 'abcdeoab'], /Source 1 has 8 tokens; the model reads at most 5/],
    [
      ['train', '--corpus', pairs, '--task', 'seq2seq', '--out', path.join(work, 'x')],
      /--task seq2seq needs --source-column S/,
    ],
    [
      ['train', '--corpus', pairs, '--source-column', 'spelling', '--out', path.join(work, 'x')],
      /--source-column go with --task seq2seq/,
    ],
    [
      [
        'train',
        '--corpus',
        pairs,
        '--task',
        'seq2seq',
        '--source-column',
        'spelling',
        '--target-column',
        'sounds',
        '--mode',
        'windows',
        '--out',
        path.join(work, 'x'),
      ],
      /use the mode lines/,
    ],
    [['evaluate', '--model', path.join(work, 'plain')], /is not a sequence-to-sequence model/],
    [
      ['evaluate', '--model', model, '--length-penalty', '1'],
      /--length-penalty ranks beam-search hypotheses; add --beam K/,
    ],
    [['evaluate', '--model', model, '--beam', '4,1,4'], /4 comes twice in "4,1,4"; give each once/],
    [['evaluate', '--model', model, '--beam', '1,0'], /expected a whole number from 1 to 1000, got "0"/],
    [['evaluate', '--model', model, '--references', 'others'], /References column "others" is not in the corpus/],
    [
      [
        'train',
        '--corpus',
        pairs,
        '--task',
        'seq2seq',
        '--source-column',
        'sounds',
        '--target-column',
        'sounds',
        '--out',
        path.join(work, 'x'),
      ],
      /The source column "sounds" is also the target/,
    ],
  ];
  assert.equal(
    gennet(
      'train',
      '--corpus',
      pairs,
      '--column',
      'sounds',
      '--units',
      '8',
      '--max-steps',
      '2',
      '--no-samples',
      '--out',
      path.join(work, 'plain'),
    ).status,
    0,
  );
  assert.match(
    gennet('generate', '--model', path.join(work, 'plain'), '--source', 'ab').stderr,
    /is not a sequence-to-sequence model; drop --source/,
  );
  for (const [args, message] of cases) {
    const run = gennet(...args);
    assert.equal(run.status, 1, args.join(' '));
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
});

test(`a sequence-to-sequence run interrupted and resumed ends as \
an uninterrupted run; the model loads as version 4`, async () => {
  await initBackend('wasm');
  const settings = {
    data: { corpus: pairs, sourceColumn: 'spelling', columns: ['sounds'], level: 'word' as const, limit: 600 },
    model: { units: 10, seed: 2 },
    training: { engine: 'fast', threads: 1, batchSize: 16, epochs: 3, maxSteps: 60, learningRate: 0.01, seed: 5 },
  };
  const whole = await newRun(settings, path.join(work, 'whole'));
  const expected = await runTraining(whole);
  const stoppedDir = path.join(work, 'stopped');
  const first = await newRun(settings, stoppedDir);
  const controller = new AbortController();
  await runTraining(first, {
    callbacks: [{ onBatchEnd: (record) => void (record.step === 45 && controller.abort()) }],
    signal: controller.signal,
  });
  const resumed = await resumeRun(stoppedDir);
  const outcome = await runTraining(resumed);
  assert.deepEqual(
    outcome.result.history.batches.map((b) => b.loss),
    expected.result.history.batches.map((b) => b.loss),
  );
  assert.equal(outcome.summary?.valLossShuffledSources, expected.summary?.valLossShuffledSources);
  const loaded = await loadArtifact(stoppedDir);
  assert.equal(loaded.saved.version, 4);
  assert.equal(loaded.source?.vocab.size, whole.source?.vocab.size);
  for (const network of [whole, first, resumed]
    .flatMap((r) => [r.model.network, r.source!.encoder])
    .concat([loaded.network, loaded.source!.encoder]))
    network.dispose();
  tf.disposeVariables();
});

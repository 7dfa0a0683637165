import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../src/random';
import { initBackend } from '../src/backend';
import { attentionMaps, parseModelSpecs } from '../src/families';
import { generate } from '../src/sample';
import { compareModels, type CompareRow } from '../src/session';
import { parseAs } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-compare-'));

function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A corpus no fixture holds: seeded sentences of made-up syllables. */
function syllableText(): string {
  const rng = createRng(515);
  const syllables = ['mo', 'ra', 'ki', 'tem', 'lu', 'vos', 'ne', 'pa'];
  return Array.from(
    { length: 900 },
    () =>
      Array.from({ length: 2 + Math.floor(rng() * 5) }, () => syllables[Math.floor(rng() * syllables.length)]).join(
        '',
      ) + (rng() < 0.2 ? '.\n' : ' '),
  ).join('');
}

const text = syllableText();
const corpus = path.join(work, 'syllables.txt');
writeFileSync(corpus, text);

test(`gennet compare: an n-gram and an LSTM on one split and budget — finite \
bits/char, samples from the corpus, reproducible`, () => {
  const args = [
    'compare',
    '--corpus',
    corpus,
    '--models',
    'ngram:5,lstm:32',
    '--max-steps',
    '30',
    '--seq-len',
    '40',
    '--batch',
    '16',
    '--seed',
    '4',
    '--json',
  ];
  const runs = [gennet(...args, '--plot', path.join(work, 'compare.svg')), gennet(...args)];
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  const [rows, again] = runs.map((run) => parseAs<CompareRow[]>(run.stdout));
  assert.deepEqual(
    rows.map((r) => r.model),
    ['ngram:5', 'lstm:32'],
  );
  const [ngram, lstm] = rows;
  for (const row of rows)
    assert.ok(Number.isFinite(row.valBitsPerChar) && row.valBitsPerChar > 0 && row.params > 0, JSON.stringify(row));
  assert.equal(ngram.steps, 1);
  assert.equal(lstm.steps, 30);
  const known = new Set([...text, '\n']);
  for (const ch of ngram.sample)
    assert.ok(known.has(ch), `n-gram sample character ${JSON.stringify(ch)} comes from the corpus`);
  const stable = (r: CompareRow) => ({
    ...r,
    seconds: 0,
    charsPerSecond: 0,
    curve: r.curve.map((p) => p.valBitsPerChar),
  });
  assert.deepEqual(again.map(stable), rows.map(stable), 'the same seed gives the same rows (timings aside)');
  const svg = readFileSync(path.join(work, 'compare.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg') && svg.includes('ngram:5') && svg.includes('lstm:32'));
  const table = gennet('compare', '--corpus', corpus, '--models', 'ngram:2'); // n-gram models alone need no budget
  assert.match(table.stdout, /^model\s+params\s+steps\s+seconds\s+chars\/s\s+val bits\/char\s+sample\nngram:2 /);
});

test('gennet compare mistakes: unreadable models, no budget, no validation split', () => {
  assert.deepEqual(
    parseModelSpecs('ngram:3, gru:2x64 ,rnn:96,lstm,mlp:4x32,mlp').map(
      (s) => `${s.family} ${Object.values(s.settings).join(' ')}`,
    ),
    ['ngram 3', 'recurrent gru 2 64', 'recurrent rnn 1 96', 'recurrent lstm 1 128', 'mlp 4 32', 'mlp 8 128'],
  );
  const cases: [string[], RegExp][] = [
    [['--models', 'ngram:0'], /Cannot read the model "ngram:0": use ngram:N \(N from 1 to 12\)/],
    [['--models', 'transformer', '--max-steps', '3'], /Cannot read the model "transformer"/],
    [['--models', 'lstm,lstm', '--max-steps', '3'], /The model "lstm" is listed twice/],
    [['--models', 'lstm,lstm:1x128', '--max-steps', '3'], /The model "lstm:1x128" is listed twice/],
    [['--models', 'ngram:3:9'], /Cannot read the model "ngram:3:9"/],
    [
      ['--models', 'ngram:3,lstm'],
      /Give the networks a budget: steps \(--max-steps N\) or seconds \(--seconds S\) each/,
    ],
    [['--models', 'ngram:3', '--max-steps', '3', '--val', '0'], /give a validation share above 0 \(--val\)/],
  ];
  for (const [args, message] of cases) {
    const run = gennet('compare', '--corpus', corpus, ...args);
    assert.equal(run.status, 1, args.join(' '));
    assert.match(run.stderr, message);
  }
});

test('gennet compare --seconds: each network trains for about that long, then is scored like the others', () => {
  const run = gennet(
    'compare',
    '--corpus',
    corpus,
    '--models',
    'gru:16',
    '--seconds',
    '1.5',
    '--seq-len',
    '40',
    '--batch',
    '8',
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  const [row] = parseAs<CompareRow[]>(run.stdout);
  assert.ok(row.steps > 1 && row.seconds > 1.2 && row.seconds < 10, `${row.steps} steps in ${row.seconds} s`);
  assert.ok(Number.isFinite(row.valBitsPerChar));
});

test('compareModels hands each trained model to onTrained, usable during the call, with its row', async () => {
  await initBackend('wasm');
  const seen: { row: CompareRow; heads: number | null; sample: string }[] = [];
  const rows = await compareModels({
    data: { corpus, seqLen: 16, valFraction: 0.1 },
    models: parseModelSpecs('ngram:3,gpt:1x16:h2:ctx16'),
    maxSteps: 2,
    batchSize: 4,
    seed: 3,
    sampleLength: 10,
    onTrained: (model, row) =>
      seen.push({
        row,
        heads: 'network' in model ? attentionMaps(model, 'mora').heads.length : null,
        sample: generate(model, { prompt: 'mo', temperature: 0, length: 5 }),
      }),
  });
  assert.deepEqual(
    seen.map(({ row }) => row),
    rows,
  );
  assert.deepEqual(
    seen.map(({ heads }) => heads),
    [null, 2],
  );
  seen.forEach(({ sample, row }) => assert.ok(sample.length >= 5, `${row.model} generated inside onTrained`));
});

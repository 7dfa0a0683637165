import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../src/random';

const cli = path.resolve(__dirname, '../../dist/cli.js');

function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, GN_BACKEND: 'wasm' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A small corpus no test fixture or built-in holds: seeded sentences over a made-up vocabulary. */
function inventedCorpus(): string {
  const rng = createRng(2024);
  const words = ['zorbly', 'quenti', 'malfo', 'the', 'vask', 'of', 'tirrin', 'and', 'plume', 'goss'];
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const n = 4 + Math.floor(rng() * 6);
    const line = Array.from({ length: n }, () => words[Math.floor(rng() * words.length)]).join(' ');
    lines.push(line[0].toUpperCase() + line.slice(1) + '.');
  }
  return lines.join('\n');
}

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-cli-'));
const corpusFile = path.join(work, 'invented.txt');
const corpusText = inventedCorpus();
writeFileSync(corpusFile, corpusText);
const modelDir = path.join(work, 'model');

test('gennet train --json trains, checkpoints and prints one JSON summary', () => {
  const run = gennet('train', '--corpus', corpusFile, '--seq-len', '40', '--batch', '16', '--units', '48', '--epochs', '3',
    '--max-steps', '60', '--lr', '0.01', '--seed', '3', '--out', modelDir, '--json');
  assert.equal(run.status, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  for (const key of ['backend', 'steps', 'charsPerSecond', 'trainLoss', 'valLoss', 'valBitsPerChar', 'vocabSize', 'params', 'seconds']) {
    assert.ok(key in summary, `summary has ${key}`);
  }
  assert.equal(summary.backend, 'wasm');
  assert.equal(summary.steps, 60);
  assert.ok(summary.charsPerSecond > 0);
  assert.ok(summary.valLoss < Math.log(summary.vocabSize) - 0.5, `val loss ${summary.valLoss} vs log V ${Math.log(summary.vocabSize)}`);
  assert.match(run.stderr, /backend: wasm/);
});

test('gennet generate: same seed → same text, other seed → other text, temperature 0 ignores the seed', () => {
  const generate = (...extra: string[]) => {
    const run = gennet('generate', '--model', modelDir, '--prompt', 'The ', '--length', '120', ...extra);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.replace(/\n$/, '');
  };
  const a = generate('--temperature', '1', '--seed', '1');
  assert.equal(generate('--temperature', '1', '--seed', '1'), a);
  assert.notEqual(generate('--temperature', '1', '--seed', '2'), a);
  assert.equal(generate('--temperature', '0', '--seed', '1'), generate('--temperature', '0', '--seed', '99'));
  assert.ok(a.startsWith('The '));
  const known = new Set([...corpusText, '\n']);
  for (const ch of a) assert.ok(known.has(ch), `generated character ${JSON.stringify(ch)} comes from the corpus`);
  const json = JSON.parse(gennet('generate', '--model', modelDir, '--prompt', 'The ', '--length', '120', '--seed', '1', '--json').stdout);
  assert.equal(json.text, a);
});

test('gennet corpora lists the built-in corpora', () => {
  const run = gennet('corpora', '--json');
  assert.equal(run.status, 0, run.stderr);
  const names = JSON.parse(run.stdout).map((c: { name: string }) => c.name);
  assert.ok(names.includes('sotu') && names.includes('moby-dick'), names.join(','));
});

test('bad input gives a one-line error, no stack trace, and a non-zero exit', () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', '--corpus', path.join(work, 'missing.txt'), '--out', path.join(work, 'x')], /missing\.txt/],
    [['train', '--corpus', corpusFile, '--batch', 'abc', '--out', path.join(work, 'x')], /--batch.*whole number/],
    [['generate', '--model', path.join(work, 'nowhere')], /does not exist/],
    [['generate', '--model', modelDir, '--temperature', '-1'], /--temperature.*between 0 and 100/],
    [['generate', '--model', modelDir, '--length', '-5'], /--length.*whole number/],
    [['train', '--corpus', corpusFile, '--out', work], /exists and is not a model directory/],
  ];
  for (const [args, message] of cases) {
    const run = gennet(...args);
    assert.notEqual(run.status, 0, args.join(' '));
    assert.match(run.stderr, message, args.join(' '));
    assert.doesNotMatch(run.stderr, /^\s+at /m, `no stack trace for ${args.join(' ')}`);
  }
});

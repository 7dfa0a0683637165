import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../src/random';
import { CHOSEN_NETWORKS, CHOSEN_TRAINING } from '../src/session';
import type { TrainConfig, TrainingHistory, TrainSummary } from '../src/train';
import { parseAs } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');
const gennet = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env } });

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-train-flags-'));
const corpus = path.join(work, 'corpus.txt');
const rng = createRng(26);
const words = ['amber', 'the', 'quill', 'of', 'sorrel', 'and', 'vane', 'a', 'brisk', 'hollow'];
writeFileSync(
  corpus,
  Array.from({ length: 300 }, () => Array.from({ length: 6 }, () => words[Math.floor(rng() * 10)]).join(' ')).join(
    '.\n',
  ),
);
const small = ['--corpus', corpus, '--seq-len', '20', '--batch', '8', '--units', '16', '--no-samples'];
const savedRun = (dir: string) =>
  parseAs<{
    model: { layers: number; units: number; dropout: number };
    run: { training: TrainConfig; history: TrainingHistory };
  }>(readFileSync(path.join(dir, 'config.json'), 'utf8'));

test('train takes the schedule, weight decay, validation and patience flags and reports where it stopped', () => {
  const out = path.join(work, 'scheduled');
  const flags = ['--lr-schedule', 'cosine', '--warmup', '3', '--lr', '0.01', '--min-lr', '0.001'];
  const decay = ['--weight-decay', '0.05', '--eval-every', '10', '--patience', '9'];
  const done = gennet('train', ...small, ...flags, ...decay, '--max-steps', '30', '--out', out, '--json');
  assert.equal(done.status, 0, done.stderr);
  const summary = parseAs<TrainSummary>(done.stdout);
  assert.equal(summary.steps, 30);
  assert.equal(summary.stopReason, 'max-steps');
  assert.ok(summary.bestStep !== null && [10, 20, 30].includes(summary.bestStep), `best at ${summary.bestStep}`);
  const { training, history } = savedRun(out).run;
  assert.equal(training.lrSchedule, 'cosine');
  assert.equal(training.warmup, 3);
  assert.equal(training.minLr, 0.001);
  assert.equal(training.weightDecay, 0.05);
  assert.equal(training.patience, 9);
  assert.deepEqual(
    history.evaluations.map((e) => e.step),
    [10, 20, 30],
  );
  assert.equal(history.evaluations.at(-1)!.learningRate, 0.001, 'the cosine ends at --min-lr');
  assert.match(done.stderr, /plan: at most 30 steps; batch 8; lr 0\.01 cosine down to 0\.001 after 3 warmup steps/);
});

test('a run told nothing of its network or length gets the ones chosen for its corpus, and says so', () => {
  const out = path.join(work, 'chosen');
  const run = gennet('train', '--corpus', corpus, '--max-steps', '2', '--no-samples', '--out', out);
  assert.equal(run.status, 0, run.stderr);
  const saved = savedRun(out);
  const chosen = CHOSEN_NETWORKS[0]; // a corpus of a few kB
  assert.equal(`lstm:${saved.model.layers}x${saved.model.units}`, chosen.spec);
  assert.equal(saved.model.dropout, chosen.dropout);
  assert.equal(saved.run.training.batchSize, chosen.batchSize);
  assert.equal(saved.run.training.weightDecay, CHOSEN_TRAINING.weightDecay);
  assert.equal(saved.run.training.lrSchedule, CHOSEN_TRAINING.lrSchedule);
  const { learningRate: peak } = chosen;
  const { minLrFraction } = CHOSEN_TRAINING;
  const floor = Number((peak * minLrFraction).toPrecision(6));
  // a warmup of at most a tenth of the run: none in 2 steps
  assert.ok(
    run.stderr.includes(
      `plan: at most 2 steps; batch ${chosen.batchSize}; lr ${peak} cosine down to ${floor}; weight decay`,
    ),
    run.stderr,
  );
});

test('settings that cannot work are refused before training, naming the flag and the fix', () => {
  const refused = (args: string[], pattern: RegExp) => {
    const run = gennet('train', ...small, '--out', path.join(work, 'refused'), ...args);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, pattern);
    assert.doesNotMatch(run.stderr, /at .*\.js:\d+/, 'no stack trace');
  };
  refused(['--patience', '3', '--val', '0'], /--patience watch the validation loss.*give --val a fraction > 0/);
  refused(['--lr', '0.01', '--min-lr', '0.1', '--max-steps', '5'], /--min-lr must be between 0 and --lr \(0\.01\)/);
  refused(['--lr-schedule', 'linear'], /Allowed choices are constant, cosine, plateau/);
  refused(['--minutes', '0'], /--minutes/);
  const resumed = gennet('train', '--resume', path.join(work, 'scheduled'), '--patience', '2');
  assert.match(resumed.stderr, /drop --patience/);
});

test('--minutes: the run stops on time, validates where it stopped and keeps the best model', () => {
  const out = path.join(work, 'timed');
  const run = gennet('train', ...small, '--minutes', '0.05', '--patience', '0', '--out', out, '--json');
  assert.equal(run.status, 0, run.stderr);
  const summary = parseAs<TrainSummary>(run.stdout);
  assert.equal(summary.stopReason, 'minutes');
  const { history } = savedRun(out).run;
  assert.equal(history.evaluations.at(-1)!.step, summary.steps);
  const best = Math.min(...history.evaluations.map((e) => e.valLoss));
  assert.equal(summary.valLoss, best);
});

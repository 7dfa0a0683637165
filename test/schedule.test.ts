import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterValidation,
  checkTrainConfig,
  DEFAULT_TRAIN_CONFIG,
  learningRateAt,
  PLATEAU_FACTOR,
  PLATEAU_WAIT,
  runProgress,
  type ScheduleSettings,
  startPlateau,
  stepLimit,
} from '../src/train';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);

const cosine: ScheduleSettings = { lrSchedule: 'cosine', learningRate: 0.004, warmup: 10, minLr: 0.0004 };
const plateau0 = startPlateau(cosine);

test('warmup climbs linearly to the peak: lr · step / warmup, for every schedule', () => {
  for (const lrSchedule of ['constant', 'cosine', 'plateau'] as const) {
    const settings = { ...cosine, lrSchedule };
    for (const step of [1, 2, 5, 10])
      close(learningRateAt(settings, step, 0, plateau0), (0.004 * step) / 10, lrSchedule);
  }
});

test('cosine follows minLr + (lr − minLr)(1 + cos πp)/2 over the steps after warmup, then stays at the floor', () => {
  const total = 110; // 100 steps after the warmup
  for (const step of [11, 20, 35, 60, 85, 100, 110]) {
    const p = runProgress(step, cosine.warmup, total, { seconds: 0, budgetSeconds: null });
    close(p, (step - 10) / 100, `progress at ${step}`);
    const expected = 0.0004 + ((0.004 - 0.0004) * (1 + Math.cos(Math.PI * p))) / 2;
    close(learningRateAt(cosine, step, p, plateau0), expected, `cosine at ${step}`);
  }
  close(learningRateAt(cosine, 60, 0.5, plateau0), 0.0022, 'half way is the middle');
  close(learningRateAt(cosine, 110, 1, plateau0), 0.0004, 'the end is the floor');
  close(learningRateAt(cosine, 200, 1.9, plateau0), 0.0004, 'past the end stays at the floor');
});

test('cosine under a time budget follows the larger of the step and time fractions', () => {
  assert.equal(runProgress(60, 10, null, { seconds: 30, budgetSeconds: 120 }), 0.25);
  assert.equal(runProgress(60, 10, 110, { seconds: 90, budgetSeconds: 120 }), 0.75);
  assert.equal(runProgress(60, 10, 110, { seconds: 10, budgetSeconds: 120 }), 0.5);
});

test('constant stays at the peak after warmup', () => {
  const constant = { ...cosine, lrSchedule: 'constant' as const };
  for (const step of [11, 500, 10_000]) assert.equal(learningRateAt(constant, step, 0.9, plateau0), 0.004);
});

test(`plateau: ×${PLATEAU_FACTOR} after ${PLATEAU_WAIT} validations without a new best, never below minLr`, () => {
  const settings = { ...cosine, lrSchedule: 'plateau' as const };
  let state = startPlateau(settings);
  const rates: number[] = [];
  // better, worse, worse (cut), worse, better, worse, worse (cut), then many worse: down to the floor
  for (const improved of [true, false, false, false, true, false, false, ...Array<boolean>(12).fill(false)]) {
    state = afterValidation(settings, state, improved);
    rates.push(learningRateAt(settings, 50, 0, state));
  }
  assert.deepEqual(rates.slice(0, 7), [0.004, 0.004, 0.002, 0.002, 0.002, 0.002, 0.001]);
  assert.equal(rates.at(-1), 0.0004, 'the floor');
  assert.ok(rates.every((r) => r >= 0.0004));
});

test('settings that cannot run are refused, naming the flag', () => {
  const refused = (change: object, pattern: RegExp) =>
    assert.throws(() => checkTrainConfig({ ...DEFAULT_TRAIN_CONFIG, ...change }), pattern);
  refused({ epochs: null }, /needs an end: --max-steps, --minutes or --patience/);
  refused({ epochs: null, maxSteps: null, minutes: null, patience: 3, lrSchedule: 'cosine' }, /cosine decays/);
  refused({ minLr: 0.01 }, /--min-lr must be between 0 and --lr/);
  refused({ weightDecay: 600 }, /--weight-decay must be ≥ 0 and below 1 \/ --lr/);
  refused({ labelSmoothing: 1 }, /--label-smoothing must be a number in \[0, 1\)/);
  refused({ labelSmoothing: -0.1 }, /--label-smoothing must be a number in \[0, 1\)/);
  refused({ warmup: 1.5 }, /--warmup must be a whole number/);
  refused({ patience: 0 }, /--patience must be a whole number of validations ≥ 1/);
  refused({ minutes: -1 }, /--minutes must be a number > 0/);
  refused({ lrSchedule: 'linear' }, /--lr-schedule must be one of constant, cosine, plateau/);
  checkTrainConfig({ ...DEFAULT_TRAIN_CONFIG, epochs: null, minutes: 1, lrSchedule: 'cosine' });
});

test('the step limit: epochs × batches capped by maxSteps, null when only time or patience end the run', () => {
  assert.equal(stepLimit({ ...DEFAULT_TRAIN_CONFIG, epochs: 3 }, 40), 120);
  assert.equal(stepLimit({ ...DEFAULT_TRAIN_CONFIG, epochs: 3, maxSteps: 50 }, 40), 50);
  assert.equal(stepLimit({ ...DEFAULT_TRAIN_CONFIG, epochs: null, maxSteps: 50 }, 40), 50);
  assert.equal(stepLimit({ ...DEFAULT_TRAIN_CONFIG, epochs: null, minutes: 2 }, 40), null);
});

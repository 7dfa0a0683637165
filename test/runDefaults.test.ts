import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type TokenData } from '../src/data';
import { WindowDataset } from '../src/data/windowDataset';
import {
  CHOSEN_NETWORKS,
  CHOSEN_TRAINING,
  chosenNetwork,
  chosenTraining,
  DEFAULT_MINUTES,
  describeTrainingPlan,
} from '../src/session';
import { checkTrainConfig } from '../src/train';
import { CharVocab } from '../src/vocab';

/** Data of `trainTokens` training and `valTokens` validation tokens in windows of 100 (nothing is read). */
function dataOf(trainTokens: number, valTokens: number | null): TokenData {
  const windows = (tokens: number) => new WindowDataset(new Int32Array(tokens + 1).fill(3), { seqLen: 100 });
  return {
    vocab: CharVocab.build(['ab']),
    train: windows(trainTokens),
    val: valTokens === null ? null : windows(valTokens),
    unigramEntropy: 1,
    charsPerToken: 1,
  };
}

test('a run told no length gets the default time budget, a cosine, AdamW, validations and patience', () => {
  const config = chosenTraining({}, dataOf(3_000_000, 100_000));
  checkTrainConfig(config);
  assert.equal(config.minutes, DEFAULT_MINUTES);
  assert.equal(config.epochs, null);
  assert.equal(config.lrSchedule, CHOSEN_TRAINING.lrSchedule);
  assert.equal(config.weightDecay, CHOSEN_TRAINING.weightDecay);
  assert.equal(config.minLr, Number((config.learningRate * CHOSEN_TRAINING.minLrFraction).toPrecision(6)));
  assert.equal(config.patience, CHOSEN_TRAINING.patience);
  // 100,000 validation tokens, 3,200 trained per step: a validation every trainedPerValidated × 100,000 / 3,200 steps
  const every = Math.ceil((CHOSEN_TRAINING.trainedPerValidated * 100_000) / 3_200);
  assert.equal(config.evalEvery, Math.max(CHOSEN_TRAINING.minEvalEvery, every));
  assert.match(describeTrainingPlan(config), new RegExp(`^${DEFAULT_MINUTES} minutes; batch 32; lr .* cosine down to`));
});

test('a length given replaces the time budget; what is given is kept; no validation split, no patience', () => {
  const steps = chosenTraining({ maxSteps: 500 }, dataOf(1_000_000, 100_000));
  assert.deepEqual([steps.maxSteps, steps.minutes, steps.epochs], [500, null, null]);
  assert.equal(steps.warmup, Math.min(CHOSEN_TRAINING.warmup, 50), 'the warmup is at most a tenth of the steps');
  const epochs = chosenTraining({ epochs: 2, learningRate: 0.01, patience: 2 }, dataOf(1_000_000, 100_000));
  assert.deepEqual([epochs.epochs, epochs.minutes, epochs.learningRate, epochs.patience], [2, null, 0.01, 2]);
  assert.equal(
    epochs.minLr,
    Number((0.01 * CHOSEN_TRAINING.minLrFraction).toPrecision(6)),
    'the floor follows the peak',
  );
  const unvalidated = chosenTraining({}, dataOf(1_000_000, null));
  assert.deepEqual([unvalidated.patience, unvalidated.evalEvery], [null, null]);
  const small = chosenTraining({}, dataOf(20_000, 2_000));
  assert.equal(small.evalEvery, null, 'an epoch shorter than the spacing validates at epoch ends');
});

test('the network chosen grows with the text, the batch too; a batch given is kept', () => {
  assert.equal(chosenNetwork(dataOf(100_000, null)), CHOSEN_NETWORKS[0]);
  assert.equal(chosenTraining({}, dataOf(100_000, null)).batchSize, CHOSEN_NETWORKS[0].batchSize);
  assert.equal(chosenTraining({}, dataOf(50_000_000, null)).batchSize, CHOSEN_NETWORKS.at(-1)!.batchSize);
  assert.equal(chosenTraining({ batchSize: 7 }, dataOf(100_000, null)).batchSize, 7);
  assert.equal(chosenTraining({}, dataOf(1_000_000, null)).learningRate, CHOSEN_NETWORKS[1].learningRate);
  assert.equal(chosenTraining({}, dataOf(50_000_000, null)).learningRate, CHOSEN_NETWORKS.at(-1)!.learningRate);
  assert.equal(chosenNetwork(dataOf(50_000_000, null)), CHOSEN_NETWORKS.at(-1));
  const sizes = CHOSEN_NETWORKS.map((n) => n.upToChars);
  assert.deepEqual(
    sizes,
    [...sizes].sort((a, b) => a - b),
  );
});

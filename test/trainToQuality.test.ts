import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import { engineNamed } from '../src/engines';
import { loadArtifact, loadRunState, saveArtifact } from '../src/io';
import { buildGenerator, resolveModelConfig } from '../src/model';
import { checkpointEachValidation } from '../src/session';
import { CharVocab } from '../src/vocab';
import {
  DEFAULT_TRAIN_CONFIG,
  disposeRunState,
  evaluate,
  train,
  type TrainCallback,
  type TrainConfig,
  type TrainResult,
} from '../src/train';

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-quality-'));
const VOCAB = 17;
const vocab = CharVocab.build(['abcdefghijklmn']); // 14 letters + 3 special tokens = VOCAB
/** Training text of one rule, validation text of another: validation improves, then worsens as training goes on. */
const trainStream = Int32Array.from({ length: 3_000 }, (_, i) => 3 + ((i * 5 + (i % 7)) % 13));
const valStream = Int32Array.from({ length: 400 }, (_, i) => 3 + ((i * 3 + (i % 4)) % 13));
const data = () => ({
  train: new WindowDataset(trainStream, { seqLen: 20 }),
  val: new WindowDataset(valStream, { seqLen: 20 }),
});
const modelConfig = resolveModelConfig({ vocabSize: VOCAB, units: 16, layers: 1, dropout: 0.1, seed: 3 });
const overfitting: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  batchSize: 8,
  epochs: 4,
  learningRate: 0.03,
  evalEvery: 6,
  seed: 2,
};
const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));
/** A run's validations without their times. */
const untimed = (result: TrainResult) => result.history.evaluations.map(({ seconds: _seconds, ...rest }) => rest);
const scheduled: TrainConfig = {
  ...overfitting,
  maxSteps: 45,
  lrSchedule: 'cosine',
  warmup: 5,
  minLr: 0.003,
  weightDecay: 0.1,
};

test('early stopping: the run stops after `patience` validations without a new best and keeps the best weights', async () => {
  await initBackend('wasm');
  const model = buildGenerator(modelConfig);
  const result = await train(model, data(), { ...overfitting, patience: 3 });
  const evaluations = result.history.evaluations;
  const best = evaluations.find((e) => e.best && e.step === result.bestStep)!;
  assert.equal(result.stopReason, 'patience');
  assert.ok(result.bestStep! < result.steps, `best at ${result.bestStep}, stopped at ${result.steps}`);
  assert.deepEqual(
    evaluations.slice(-3).map((e) => e.best),
    [false, false, false],
    'the last three validations found no new best',
  );
  assert.equal(result.valLoss, Math.min(...evaluations.map((e) => e.valLoss)));
  assert.ok(evaluations.at(-1)!.valLoss > best.valLoss, 'validation worsened after the best');
  // The network holds the best validation's weights, not the last step's.
  const scored = evaluate(model, data().val, overfitting.batchSize, 'auto', overfitting.valMaxTokens);
  assert.equal(scored, best.valLoss);
  model.dispose();
});

test('a run interrupted past its best and resumed from disk ends as an uninterrupted one, schedule and decay included', async () => {
  await initBackend('wasm');
  for (const engine of ['layers', 'native']) {
    if (engineNamed(engine).unavailableReason() !== null) continue;
    const config = { ...scheduled, engine };
    const whole = buildGenerator(modelConfig);
    const expected = await train(whole, data(), config);
    let behind = 0;
    for (const stopAt of [4, 17, 31]) {
      const model = buildGenerator(modelConfig);
      const controller = new AbortController();
      const stop: TrainCallback = { onBatchEnd: (record) => void (record.step === stopAt && controller.abort()) };
      const first = await train(model, data(), config, [stop], { signal: controller.signal });
      const state = first.interrupted!;
      if (state.latestWeights !== null) behind += 1;
      const dir = path.join(work, `${engine}-${stopAt}`);
      await saveArtifact(dir, { network: model, vocab, config: modelConfig }, { runState: state });
      disposeRunState(state);
      const loaded = await loadArtifact(dir);
      const resume = await loadRunState(dir);
      const second: TrainResult = await train(loaded.network, data(), config, [], { resume });
      const label = `${engine}, stopped at ${stopAt}`;
      assert.deepEqual(
        second.history.batches.map((b) => b.loss),
        expected.history.batches.map((b) => b.loss),
        `${label}: losses`,
      );
      assert.deepEqual(untimed(second), untimed(expected), `${label}: validations`);
      assert.equal(second.bestStep, expected.bestStep, `${label}: best step`);
      assert.deepEqual(weightsOf(loaded.network), weightsOf(whole), `${label}: weights`);
      disposeRunState(resume);
      model.dispose();
      loaded.network.dispose();
    }
    assert.ok(behind > 0, `${engine}: no interruption fell after the best validation; the test checks nothing new`);
    whole.dispose();
  }
});

test('a time budget is honoured within one step and one validation, then the run validates where it stopped', async () => {
  await initBackend('wasm');
  const model = buildGenerator(modelConfig);
  const budget = 1.5;
  const ends: number[] = [];
  let validated = 0;
  const clock: TrainCallback = {
    onBatchEnd: () => void ends.push(performance.now()),
    onEvaluation: () => void (validated = performance.now()),
  };
  const started = performance.now();
  const result = await train(model, data(), { ...overfitting, epochs: null, minutes: budget / 60 }, [clock]);
  const steps = ends.map((end, k) => end - (k === 0 ? started : ends[k - 1]));
  const lastValidation = (validated - ends.at(-1)!) / 1000;
  assert.equal(result.stopReason, 'minutes');
  assert.equal(result.history.evaluations.at(-1)!.step, result.steps, 'a last validation where it stopped');
  assert.ok(result.seconds >= budget, `stopped at ${result.seconds} s, before the budget`);
  const allowed = budget + Math.max(...steps) / 1000 + lastValidation + 0.25;
  assert.ok(result.seconds <= allowed, `ran ${result.seconds} s, more than ${allowed} s`);
  model.dispose();
});

test('a run killed outright resumes from its last checkpoint, a validation or an epoch end, to the same end', async () => {
  await initBackend('wasm');
  const config: TrainConfig = { ...scheduled, patience: 3 };
  const whole = buildGenerator(modelConfig);
  const expected = await train(whole, data(), config);
  const epochsOf = (result: TrainResult) => result.history.epochs.map(({ seconds: _seconds, ...rest }) => rest);
  for (const crashAt of [13, 19]) {
    // 18 batches an epoch, a validation every 6 steps: the last checkpoints are at step 12 and at the end of epoch 1
    const dir = path.join(work, `killed-${crashAt}`);
    const network = buildGenerator(modelConfig);
    const crash: TrainCallback = {
      onBatchEnd: (record) => {
        if (record.step === crashAt) throw new Error('power cut');
      },
    };
    const saving = checkpointEachValidation(dir, { network, vocab, config: modelConfig });
    await assert.rejects(train(network, data(), config, [saving, crash]), /power cut/);
    const loaded = await loadArtifact(dir);
    const resume = await loadRunState(dir);
    const second = await train(loaded.network, data(), config, [], { resume });
    const label = `killed at ${crashAt}`;
    assert.deepEqual(
      second.history.batches.map((b) => b.loss),
      expected.history.batches.map((b) => b.loss),
      `${label}: losses`,
    );
    assert.deepEqual(untimed(second), untimed(expected), `${label}: validations`);
    assert.deepEqual(epochsOf(second), epochsOf(expected), `${label}: epochs`);
    assert.equal(second.stopReason, expected.stopReason);
    assert.deepEqual(weightsOf(loaded.network), weightsOf(whole), `${label}: weights`);
    disposeRunState(resume);
    [network, loaded.network].forEach((m) => m.dispose());
  }
  whole.dispose();
});

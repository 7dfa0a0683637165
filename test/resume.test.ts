import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { WindowDataset } from '../src/data/windowDataset';
import { loadArtifact, loadRunState, saveArtifact } from '../src/io';
import { checkpointEachValidation, newRun, resumeRun, runTraining } from '../src/session';
import { CharVocab } from '../src/vocab';
import { buildGenerator, resolveModelConfig } from '../src/model';
import { DEFAULT_TRAIN_CONFIG, train, TrainConfig, TrainResult } from '../src/train';
import { createRng } from '../src/random';
import { rewriteWithDigest } from './tamper';
import { type GenerateOutput, parseAs, type TrainOutput } from './cliJson';

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-resume-'));
const VOCAB = 17;
const stream = Int32Array.from({ length: 3_000 }, (_, i) => 2 + (((i * i + 7 * i) % 23) % (VOCAB - 2)));
const data = () => ({
  train: new WindowDataset(stream, { seqLen: 20 }),
  val: new WindowDataset(stream.subarray(0, 300), { seqLen: 20 }),
});
const modelConfig = resolveModelConfig({ vocabSize: VOCAB, units: 12, layers: 2, dropout: 0.2, seed: 8 });
const trainConfig: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  batchSize: 8,
  epochs: 3,
  maxSteps: 40,
  learningRate: 0.01,
  seed: 6,
};

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

test(`a run interrupted mid-epoch and resumed from its saved state \
ends with the weights and losses of an uninterrupted run`, async () => {
  await initBackend('wasm');
  const whole = buildGenerator(modelConfig);
  const expected = await train(whole, data(), trainConfig);

  for (const stopAt of [5, 18]) {
    // inside epoch 1, and exactly at its end (18 batches per epoch)
    const model = buildGenerator(modelConfig);
    const controller = new AbortController();
    const stop = { onBatchEnd: (record: { step: number }) => void (record.step === stopAt && controller.abort()) };
    const first = await train(model, data(), trainConfig, [stop], { signal: controller.signal });
    assert.equal(first.steps, stopAt);
    assert.notEqual(first.interrupted, null);
    // Through the disk, as the CLI does: save, then load the state into a fresh copy of the network.
    const dir = path.join(work, `lib-${stopAt}`);
    const vocab = CharVocab.build(['abcdefghijklmno']);
    await saveArtifact(
      dir,
      { network: model, vocab, config: { ...modelConfig, vocabSize: VOCAB } },
      { runState: first.interrupted! },
    );
    tf.dispose(first.interrupted!.optimizer.map((w) => w.tensor));
    const resumed = buildGenerator(modelConfig);
    resumed.setWeights(model.getWeights());
    const second: TrainResult = await train(resumed, data(), trainConfig, [], { resume: await loadRunState(dir) });
    assert.equal(second.steps, expected.steps);
    assert.equal(second.interrupted, null);
    assert.deepEqual(
      second.history.batches.map((b) => b.loss),
      expected.history.batches.map((b) => b.loss),
      `stopped at ${stopAt}: losses`,
    );
    assert.deepEqual(
      second.history.epochs.map((e) => e.valLoss),
      expected.history.epochs.map((e) => e.valLoss),
    );
    assert.deepEqual(weightsOf(resumed), weightsOf(whole), `stopped at ${stopAt}: weights`);
    model.dispose();
    resumed.dispose();
  }
  whole.dispose();
});

test(`a run that crashes outright continues from its last \
epoch-end checkpoint and ends as an uninterrupted run`, async () => {
  await initBackend('wasm');
  const whole = buildGenerator(modelConfig);
  const expected = await train(whole, data(), trainConfig);
  const dir = path.join(work, 'crashed');
  const crashing = buildGenerator(modelConfig);
  const vocab = CharVocab.build(['abcdefghijklmn']); // 14 letters + 3 special tokens = VOCAB
  const trained = { network: crashing, vocab, config: { ...modelConfig, vocabSize: VOCAB } };
  const crash = {
    onBatchEnd: (record: { step: number }) => {
      if (record.step === 25) throw new Error('power cut');
    },
  }; // in epoch 2
  await assert.rejects(
    train(crashing, data(), trainConfig, [checkpointEachValidation(dir, trained), crash]),
    /power cut/,
  );
  const artifact = await loadArtifact(dir);
  const second = await train(artifact.network, data(), trainConfig, [], { resume: await loadRunState(dir) });
  assert.deepEqual(
    second.history.batches.map((b) => b.loss),
    expected.history.batches.map((b) => b.loss),
  );
  assert.deepEqual(
    second.history.epochs.map((e) => e.valLoss),
    expected.history.epochs.map((e) => e.valLoss),
  );
  assert.deepEqual(weightsOf(artifact.network), weightsOf(whole));
  [whole, crashing, artifact.network].forEach((m) => m.dispose());
});

test('a damaged or absent run state is refused with a message that says what is wrong', async () => {
  await initBackend('cpu');
  const model = buildGenerator(modelConfig);
  const controller = new AbortController();
  controller.abort();
  const stopped = await train(model, data(), trainConfig, [], { signal: controller.signal });
  assert.equal(stopped.steps, 0);
  const dir = path.join(work, 'damaged');
  await saveArtifact(
    dir,
    { network: model, vocab: CharVocab.build(['abcdefghijklmno']), config: { ...modelConfig, vocabSize: VOCAB } },
    { runState: stopped.interrupted! },
  );
  truncateSync(path.join(dir, 'optimizer.bin'), 10);
  await assert.rejects(loadRunState(dir), /optimizer.bin" does not match what config.json records for it/);
  await rewriteWithDigest(dir, 'optimizer.bin', new Uint8Array(10));
  await assert.rejects(loadRunState(dir), /optimizer state beside .*run-state.json is truncated or corrupted/);
  await rewriteWithDigest(dir, 'run-state.json', '{"step": 3');
  await assert.rejects(loadRunState(dir), /run-state.json is not valid JSON/);
  await saveArtifact(dir, {
    network: model,
    vocab: CharVocab.build(['abcdefghijklmno']),
    config: { ...modelConfig, vocabSize: VOCAB },
  });
  await assert.rejects(loadRunState(dir), /holds no unfinished run to resume/);
  model.dispose();
});

const cli = path.resolve(__dirname, '../../dist/cli.js');
const env = { ...process.env, GN_BACKEND: 'wasm' };

function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A corpus no fixture holds: seeded pseudo-words. */
function corpusFile(): string {
  const rng = createRng(77);
  const syllables = ['ka', 'lo', 'mi', 'ren', 'tu', 'shi', 'va', 'po', ' ', ' ', '. '];
  const file = path.join(work, 'syllables.txt');
  writeFileSync(file, Array.from({ length: 40_000 }, () => syllables[Math.floor(rng() * syllables.length)]).join(''));
  return file;
}

test(`gennet train: SIGINT saves a resumable checkpoint that \
generates; --resume ends where an uninterrupted run ends`, async () => {
  const corpus = corpusFile();
  // ~1 000 small steps take several seconds even on a fast machine; the interruption comes 0.3 s into training.
  // The fast engine, slow enough that the run is still going when the signal comes (resume on native: the next test).
  const args = [
    '--corpus',
    corpus,
    '--seq-len',
    '20',
    '--batch',
    '8',
    '--units',
    '16',
    '--epochs',
    '8',
    '--max-steps',
    '1000',
    '--seed',
    '4',
    '--no-samples',
    '--threads',
    '1',
    '--engine',
    'fast',
  ];
  const stopped = path.join(work, 'stopped');
  const child = spawn(process.execPath, [cli, 'train', ...args, '--out', stopped], { env });
  let stderr = '';
  let signalled = false; // one SIGINT only: a second one quits without saving, and more output may come before it
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (/training LSTM/.test(stderr) && !signalled) {
      signalled = true;
      setTimeout(() => child.kill('SIGINT'), 300);
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  assert.equal(status, 130, stderr);
  assert.match(
    stderr,
    /Interrupted at step \d+: saved a resumable checkpoint to .*stopped\. Continue with: gennet train --resume/,
  );
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');

  const sample = gennet('generate', '--model', stopped, '--prompt', 'ka', '--length', '20', '--json');
  assert.equal(sample.status, 0, sample.stderr);
  // The checkpoint's step depends on timing: it may sample <eos> early.
  const { text } = parseAs<GenerateOutput>(sample.stdout);
  assert.ok(text.startsWith('ka') && text.length <= 22, text);

  const refused = gennet('train', '--resume', stopped, '--epochs', '5', '--lr', '0.1');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /--resume continues the run .* drop --epochs, --lr/);

  const copy = path.join(work, 'stopped-copy');
  cpSync(stopped, copy, { recursive: true });
  const resumed = gennet('train', '--resume', stopped, '--json');
  assert.equal(resumed.status, 0, resumed.stderr);
  const whole = path.join(work, 'whole');
  const uninterrupted = gennet('train', ...args, '--out', whole, '--json');
  assert.equal(uninterrupted.status, 0, uninterrupted.stderr);
  const [a, b] = [parseAs<TrainOutput>(resumed.stdout), parseAs<TrainOutput>(uninterrupted.stdout)];
  assert.equal(a.steps, 1000);
  assert.equal(a.trainLoss, b.trainLoss);
  assert.equal(a.valLoss, b.valLoss);
  assert.deepEqual(readFileSync(path.join(stopped, 'weights.bin')), readFileSync(path.join(whole, 'weights.bin')));

  const again = gennet('train', '--resume', stopped);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /holds no unfinished run to resume/);

  // A notebook (the library) continues the run the CLI started, to the same end.
  await initBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const resumedInNotebook = await resumeRun(copy);
  const inNotebook = await runTraining(resumedInNotebook);
  resumedInNotebook.model.network.dispose();
  assert.equal(
    tf.memory().numTensors,
    tensorsBefore,
    'the resumed run leaves no tensor behind (its saved optimizer state is released)',
  );
  assert.equal(inNotebook.summary?.steps, 1000);
  assert.equal(inNotebook.summary?.trainLoss, b.trainLoss);
  assert.deepEqual(readFileSync(path.join(copy, 'weights.bin')), readFileSync(path.join(whole, 'weights.bin')));
});

test(`gennet train --resume continues a run that a notebook (the \
library) started and interrupted, to the same end`, async () => {
  await initBackend('wasm');
  const settings = {
    data: { corpus: corpusFile(), seqLen: 20, seed: 4 },
    model: { units: 16, seed: 4 },
    training: { batchSize: 8, epochs: 3, maxSteps: 150, seed: 4, threads: 1 },
  };
  const [started, whole] = [path.join(work, 'notebook-run'), path.join(work, 'notebook-whole')];
  const controller = new AbortController();
  const stopAt60 = { onBatchEnd: (record: { step: number }) => void (record.step === 60 && controller.abort()) };
  const first = await runTraining(await newRun(settings, started), {
    callbacks: [stopAt60],
    signal: controller.signal,
  });
  assert.equal(first.summary, null, 'interrupted');
  assert.equal(first.result.steps, 60);
  const saved = await loadArtifact(started);
  assert.equal(saved.saved.run?.training.maxSteps, 150, 'the settings are saved typed');
  saved.network.dispose();

  const resumed = gennet('train', '--resume', started, '--json');
  assert.equal(resumed.status, 0, resumed.stderr);
  const uninterrupted = await runTraining(await newRun(settings, whole));
  const summary = parseAs<TrainOutput>(resumed.stdout);
  assert.equal(summary.steps, 150);
  assert.equal(summary.trainLoss, uninterrupted.summary?.trainLoss);
  assert.equal(summary.valLoss, uninterrupted.summary?.valLoss);
  assert.deepEqual(readFileSync(path.join(started, 'weights.bin')), readFileSync(path.join(whole, 'weights.bin')));
});

test(`newRun: an explicit undefined keeps the default; a bad \
setting is refused before any work, naming it`, async () => {
  await initBackend('cpu');
  const corpus = corpusFile();
  const run = await newRun(
    { data: { corpus, seqLen: 20, limit: undefined }, training: { maxSteps: undefined, batchSize: 4 } },
    path.join(work, 'unused'),
  );
  assert.equal(run.settings.training.maxSteps, null);
  assert.equal(run.settings.data.limit, null);
  assert.equal(run.settings.training.batchSize, 4);
  run.model.network.dispose();
  const bad = { data: { corpus, seqLen: 20 }, training: { clipNorm: 'x' as unknown as number } };
  await assert.rejects(
    newRun(bad, path.join(work, 'unused')),
    /Training settings: "clipNorm" must be number or null, got "x" — correct that setting/,
  );
  await assert.rejects(
    newRun({ data: { corpus, mode: 'pages' as unknown as 'lines' } }, path.join(work, 'unused')),
    /Data settings: "mode" must be one of windows, lines, got "pages"/,
  );
});

test(`a run whose corpus changed (same characters, lines \
reordered) is not resumed unless that is accepted`, async () => {
  await initBackend('cpu');
  const corpus = path.join(work, 'reordered.txt');
  const lines = Array.from({ length: 120 }, (_, i) => `line ${i % 7} of the text, number ${i % 10}.`);
  writeFileSync(corpus, lines.join('\n'));
  const dir = path.join(work, 'reordered-run');
  const controller = new AbortController();
  const stopAt3 = { onBatchEnd: (record: { step: number }) => void (record.step === 3 && controller.abort()) };
  const settings = {
    data: { corpus, seqLen: 20, seed: 4 },
    model: { units: 8, seed: 4 },
    training: { batchSize: 4, maxSteps: 6, seed: 4, threads: 1 },
  };
  const first = await runTraining(await newRun(settings, dir), { callbacks: [stopAt3], signal: controller.signal });
  assert.equal(first.result.steps, 3);
  writeFileSync(corpus, [...lines].reverse().join('\n'));
  await assert.rejects(
    resumeRun(dir),
    new RegExp(
      String.raw`changed since the run in ".*reordered-run" started ` +
        String.raw`\(same characters, different text: edited or reordered\).*--accept-changed-corpus`,
    ),
  );
  const accepted = await runTraining(await resumeRun(dir, { acceptChangedCorpus: true }));
  assert.equal(accepted.result.steps, 6);
});

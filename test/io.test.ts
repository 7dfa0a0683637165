import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { loadArtifact, saveArtifact, writeDirAtomically } from '../src/io';
import { buildGenerator, GeneratorModel, resolveModelConfig } from '../src/model';
import { generate } from '../src/sample';
import { CharVocab } from '../src/vocab';

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'gennet-io-'));
}

function model(input: 'onehot' | 'embedding' = 'onehot'): GeneratorModel {
  const vocab = CharVocab.build(['Hello, world! Ünïcödé 👋']);
  const config = resolveModelConfig({ vocabSize: vocab.size, units: 12, layers: 2, input, dropout: 0.1, seed: 4 });
  return { network: buildGenerator(config), vocab, config };
}

test('a saved model loads with the same vocabulary, config and generations', async () => {
  await initBackend('cpu');
  for (const input of ['onehot', 'embedding'] as const) {
    const dir = path.join(await tempDir(), 'model');
    const original = model(input);
    await saveArtifact(dir, original, { notes: { note: 'test' } });
    assert.deepEqual((await fs.readdir(dir)).sort(), ['config.json', 'model.json', 'vocab.json', 'weights.bin']);
    const loaded = await loadArtifact(dir);
    assert.deepEqual(loaded.vocab.tokens, original.vocab.tokens);
    assert.deepEqual(loaded.config, original.config);
    assert.equal(loaded.saved.notes.note, 'test');
    assert.equal(loaded.saved.run, null);
    const opts = { prompt: 'Hel', length: 30, temperature: 1, seed: 5, stopAtEos: false };
    assert.equal(generate(loaded, opts), generate(original, opts));
  }
});

test('a version-1 artifact (flat training record of the old CLI, or a notebook\'s free-form one) still loads, its run read back typed', async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'old');
  await saveArtifact(dir, model());
  const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
  const cliRun = {
    corpus: 'builtin:sotu', columns: ['text'], split: 'none', limit: null, repairMojibake: false, level: 'char', lowercase: false,
    minCount: 1, maxVocab: null, mode: 'windows', seqLen: 64, valFraction: 0.1, seed: 3, unigramEntropy: 3.1,
    engine: 'fast', threads: 2, epochs: 4, batchSize: 16, learningRate: 0.01, clipNorm: 5, maxSteps: null, charsPerToken: 1,
    result: { steps: 12, valLoss: 2.5 }, history: { batches: [{ step: 1, epoch: 1, loss: 3 }], epochs: [] },
  };
  const writeV1 = (training: unknown) => fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...config, version: 1, run: undefined, notes: undefined, training }));
  await writeV1(cliRun);
  const loaded = await loadArtifact(dir);
  assert.equal(loaded.saved.version, 1);
  assert.deepEqual(loaded.saved.run?.data, {
    corpus: 'builtin:sotu', columns: ['text'], split: 'none', limit: null, repairMojibake: false, level: 'char', lowercase: false,
    minCount: 1, maxVocab: null, mode: 'windows', seqLen: 64, valFraction: 0.1, seed: 3,
  });
  assert.equal(loaded.saved.run?.training.batchSize, 16);
  assert.equal(loaded.saved.run?.history.batches.length, 1);
  assert.equal(loaded.saved.run?.summary?.steps, 12);
  await writeV1({ notebook: '01-char-generation', steps: 300 });
  const fromNotebook = await loadArtifact(dir);
  assert.equal(fromNotebook.saved.run, null);
  assert.deepEqual(fromNotebook.saved.notes, { notebook: '01-char-generation', steps: 300 });
  await writeV1({ ...cliRun, batchSize: 'big' });
  await assert.rejects(loadArtifact(dir), /"batchSize" must be number, got "big"/);
});

test('saving over an existing model replaces it; a folder that is not a model is never overwritten', async () => {
  await initBackend('cpu');
  const root = await tempDir();
  const dir = path.join(root, 'model');
  await saveArtifact(dir, model());
  await saveArtifact(dir, model());
  assert.deepEqual((await fs.readdir(root)).filter((f) => f.startsWith('.')), [], 'no temporary folders left');
  const userDir = path.join(root, 'notes');
  await fs.mkdir(userDir);
  await fs.writeFile(path.join(userDir, 'thesis.txt'), 'precious');
  await assert.rejects(saveArtifact(userDir, model()), /exists and is not a model directory/);
  assert.equal(await fs.readFile(path.join(userDir, 'thesis.txt'), 'utf8'), 'precious');
});

test('a failed directory write leaves the previous contents intact', async () => {
  const dir = path.join(await tempDir(), 'out');
  await writeDirAtomically(dir, (tmp) => fs.writeFile(path.join(tmp, 'a.txt'), 'first'));
  await assert.rejects(
    writeDirAtomically(dir, async (tmp) => {
      await fs.writeFile(path.join(tmp, 'a.txt'), 'second');
      throw new Error('disk full');
    }),
    /disk full/,
  );
  assert.equal(await fs.readFile(path.join(dir, 'a.txt'), 'utf8'), 'first');
  assert.deepEqual(await fs.readdir(path.dirname(dir)), ['out']);
});

test('missing, incomplete, truncated, newer or inconsistent model directories give clear errors', async () => {
  await initBackend('cpu');
  const root = await tempDir();
  await assert.rejects(loadArtifact(path.join(root, 'nope')), /does not exist. Train one with `gennet train/);

  const fresh = async (name: string) => {
    const dir = path.join(root, name);
    await saveArtifact(dir, model());
    return dir;
  };
  const noVocab = await fresh('novocab');
  await fs.rm(path.join(noVocab, 'vocab.json'));
  await assert.rejects(loadArtifact(noVocab), /vocab.json is missing/);

  const truncated = await fresh('truncated');
  const weights = path.join(truncated, 'weights.bin');
  await fs.truncate(weights, (await fs.stat(weights)).size - 8);
  await assert.rejects(loadArtifact(truncated), /truncated or corrupted/);

  const newer = await fresh('newer');
  const configFile = path.join(newer, 'config.json');
  const config = JSON.parse(await fs.readFile(configFile, 'utf8'));
  await fs.writeFile(configFile, JSON.stringify({ ...config, version: 99 }));
  await assert.rejects(loadArtifact(newer), /format version 99.*Upgrade/);

  const mismatch = await fresh('mismatch');
  const vocabFile = path.join(mismatch, 'vocab.json');
  const vocab = JSON.parse(await fs.readFile(vocabFile, 'utf8'));
  await fs.writeFile(vocabFile, JSON.stringify({ ...vocab, tokens: vocab.tokens.slice(0, -1) }));
  await assert.rejects(loadArtifact(mismatch), /vocabulary has \d+ tokens but the model expects/);

  const escaping = await fresh('escaping');
  const modelFile = path.join(escaping, 'model.json');
  const modelJson = JSON.parse(await fs.readFile(modelFile, 'utf8'));
  modelJson.weightsManifest[0].paths = ['../truncated/weights.bin'];
  await fs.writeFile(modelFile, JSON.stringify(modelJson));
  await assert.rejects(loadArtifact(escaping), /points outside the model directory/);

  // A topology naming code (a Lambda layer with a function body) is refused, never run.
  const withCode = await fresh('with-code');
  const codeFile = path.join(withCode, 'model.json');
  const codeJson = JSON.parse(await fs.readFile(codeFile, 'utf8'));
  const ran = '__gennetLoadRanCode';
  codeJson.modelTopology.config.layers[1].class_name = 'Lambda';
  codeJson.modelTopology.config.layers[1].config.function = `globalThis.${ran} = true`;
  await fs.writeFile(codeFile, JSON.stringify(codeJson));
  await assert.rejects(loadArtifact(withCode), /Unknown layer: Lambda/);
  assert.equal((globalThis as Record<string, unknown>)[ran], undefined);
});

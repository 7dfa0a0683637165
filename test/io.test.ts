import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { initBackend } from '../src/backend';
import { loadArtifact, lockModelFolder, saveArtifact } from '../src/io';
import {
  buildConditionEncoder,
  buildGenerator,
  conditionState,
  GeneratorModel,
  type ModelConfig,
  resolveModelConfig,
  stateLayout,
} from '../src/model';
import { generate } from '../src/sample';
import { CharVocab } from '../src/vocab';
import { rewriteWithDigest } from './tamper';
import { parseAs } from './cliJson';

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

test(`a conditional model saves its condition encoder beside the network \
(version 3) and loads it back; others stay version 2`, async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'model');
  const original = model();
  const layout = stateLayout(original.config);
  const config = {
    conditions: [
      { column: 'lang', values: ['en', 'fr'] },
      { column: 'year:decade', values: ['1990s', '2000s'] },
    ],
    dim: 3,
    seed: 2,
  };
  const encoder = buildConditionEncoder(config, layout);
  await saveArtifact(dir, original, { conditions: { config, encoder } });
  assert.deepEqual((await fs.readdir(dir)).sort(), [
    'condition-encoder.bin',
    'condition-encoder.json',
    'config.json',
    'model.json',
    'vocab.json',
    'weights.bin',
  ]);
  const loaded = await loadArtifact(dir);
  assert.equal(loaded.saved.version, 3);
  assert.deepEqual(loaded.conditions!.config, config);
  for (const values of [
    ['en', '1990s'],
    ['fr', '2000s'],
  ]) {
    assert.deepEqual(
      conditionState(loaded.conditions!.encoder, config, values),
      conditionState(encoder, config, values),
    );
  }
  const initialState = conditionState(encoder, config, ['fr', '1990s']);
  const opts = { prompt: 'Hel', length: 30, temperature: 1, seed: 5, stopAtEos: false, initialState };
  assert.equal(generate(loaded, opts), generate(original, opts));
  // An encoder that does not fit the recorded conditions, or conditions in an unknown form: refused by name.
  const configFile = path.join(dir, 'config.json');
  const savedConfig = await fs.readFile(configFile, 'utf8');
  const edited = parseAs<{ conditions: { conditions: unknown[] | string } }>(savedConfig);
  (edited.conditions.conditions as unknown[]).push({ column: 'genre', values: ['poem'] });
  await fs.writeFile(configFile, JSON.stringify(edited));
  await assert.rejects(
    loadArtifact(dir),
    /is inconsistent: its condition encoder takes 2 conditions and gives \d+ state values; the model needs 3/,
  );
  edited.conditions = { conditions: 'lang' };
  await fs.writeFile(configFile, JSON.stringify(edited));
  await assert.rejects(loadArtifact(dir), /records its conditions in a form gennet does not know/);
  await fs.writeFile(configFile, savedConfig);
  const cli = spawnSync(
    process.execPath,
    [path.resolve(__dirname, '../../dist/cli.js'), 'generate', '--model', dir, '--condition', 'year=1990s'],
    { encoding: 'utf8' },
  );
  assert.match(cli.stderr, /This model generates under conditions; give lang=VALUE \(one of: en, fr\)\./);
  const weights = path.join(dir, 'condition-encoder.bin');
  const bytes = await fs.readFile(weights);
  await fs.writeFile(
    weights,
    bytes.map((b, i) => (i === 5 ? b ^ 1 : b)),
  );
  await assert.rejects(loadArtifact(dir), /condition-encoder\.bin" does not match what config\.json records for it/);
  await fs.writeFile(weights, bytes);
  // Saved again without conditions: an ordinary model (version 2) whose encoder files are gone.
  await saveArtifact(dir, original);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['config.json', 'model.json', 'vocab.json', 'weights.bin']);
  const plain = await loadArtifact(dir);
  assert.equal(plain.saved.version, 2);
  assert.equal(plain.conditions, null);
  encoder.dispose();
});

test(`a version-1 artifact (flat training record of the old CLI, or a \
notebook's free-form one) still loads, its run read back typed`, async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'old');
  await saveArtifact(dir, model());
  const config = parseAs<Record<string, unknown>>(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
  const cliRun = {
    corpus: 'builtin:sotu',
    columns: ['text'],
    split: 'none',
    limit: null,
    repairMojibake: false,
    level: 'char',
    lowercase: false,
    minCount: 1,
    maxVocab: null,
    mode: 'windows',
    seqLen: 64,
    valFraction: 0.1,
    seed: 3,
    unigramEntropy: 3.1,
    engine: 'fast',
    threads: 2,
    epochs: 4,
    batchSize: 16,
    learningRate: 0.01,
    clipNorm: 5,
    maxSteps: null,
    charsPerToken: 1,
    result: { steps: 12, valLoss: 2.5 },
    history: { batches: [{ step: 1, epoch: 1, loss: 3 }], epochs: [] },
  };
  const writeV1 = (training: unknown) =>
    fs.writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ ...config, version: 1, run: undefined, notes: undefined, training }),
    );
  await writeV1(cliRun);
  const loaded = await loadArtifact(dir);
  assert.equal(loaded.saved.version, 1);
  assert.deepEqual(loaded.saved.run?.data, {
    corpus: 'builtin:sotu',
    format: null,
    columns: ['text'],
    conditions: null,
    sourceColumn: null,
    sourceLevel: 'char',
    split: 'none',
    limit: null,
    repairMojibake: false,
    level: 'char',
    lowercase: false,
    minCount: 1,
    maxVocab: null,
    mode: 'windows',
    seqLen: 64,
    valFraction: 0.1,
    seed: 3,
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

test(`saving over a model replaces only gennet's files: the user's files and the \
folder's permissions stay; files and foreign folders are refused`, async () => {
  await initBackend('cpu');
  const root = await tempDir();
  const dir = path.join(root, 'model');
  await fs.mkdir(dir, { mode: 0o755 });
  await fs.chmod(dir, 0o755);
  await saveArtifact(dir, model());
  await fs.writeFile(path.join(dir, 'README.md'), 'my notes');
  await fs.mkdir(path.join(dir, 'samples'));
  await fs.writeFile(path.join(dir, 'samples', 'best.txt'), 'a sample');
  // A checkpoint's files are gennet's: a finished save removes them.
  await fs.writeFile(path.join(dir, 'run-state.json'), '{}');
  await fs.writeFile(path.join(dir, 'optimizer.bin'), '');
  await saveArtifact(dir, model());
  assert.equal(await fs.readFile(path.join(dir, 'README.md'), 'utf8'), 'my notes');
  assert.equal(await fs.readFile(path.join(dir, 'samples', 'best.txt'), 'utf8'), 'a sample');
  assert.equal((await fs.stat(dir)).mode & 0o777, 0o755);
  assert.deepEqual((await fs.readdir(dir)).sort(), [
    'README.md',
    'config.json',
    'model.json',
    'samples',
    'vocab.json',
    'weights.bin',
  ]);
  assert.deepEqual(
    (await fs.readdir(root)).filter((f) => f.startsWith('.')),
    [],
    'nothing left beside the folder',
  );
  await loadArtifact(dir);

  const userDir = path.join(root, 'notes');
  await fs.mkdir(userDir);
  await fs.writeFile(path.join(userDir, 'thesis.txt'), 'precious');
  await assert.rejects(
    saveArtifact(userDir, model()),
    /"[^"]*notes" is not empty and holds no gennet model; gennet will not write into it. Choose another --out/,
  );
  assert.deepEqual(await fs.readdir(userDir), ['thesis.txt']);
  const file = path.join(root, 'notes.txt');
  await fs.writeFile(file, 'my text');
  await assert.rejects(
    saveArtifact(file, model()),
    /"[^"]*notes.txt" is a file, not a model folder; gennet will not replace it/,
  );
  assert.equal(await fs.readFile(file, 'utf8'), 'my text');
  await assert.rejects(saveArtifact('', model()), /The model folder \(--out\) is empty/);
});

test(`a save that fails while writing (disk full) names the folder and \
the space needed, and leaves the previous model intact`, async (t) => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'model');
  const first = model();
  await saveArtifact(dir, first);
  const before = await fs.readFile(path.join(dir, 'weights.bin'));
  const open = fs.open.bind(fs);
  t.mock.method(fs, 'open', async (file: string, flags: string) => {
    if (String(file).includes('.gennet-tmp-') && String(file).endsWith('vocab.json')) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    return open(file, flags);
  });
  const other = model();
  other.network.setWeights(other.network.getWeights().map((w) => w.mul(2)));
  await assert.rejects(
    saveArtifact(dir, other),
    new RegExp(
      String.raw`No space left to save the model in "[^"]+": the save needs \d+\.\d MB free\. ` +
        String.raw`Free some space or choose another --out; the model saved there before is intact\.`,
    ),
  );
  t.mock.restoreAll();
  assert.deepEqual(await fs.readFile(path.join(dir, 'weights.bin')), before);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['config.json', 'model.json', 'vocab.json', 'weights.bin']);
  await loadArtifact(dir);
});

/**
 * Runs `code` in a child Node process with `io` bound to the compiled io module; resolves to its exit code and stderr.
 */
function childWithIo(code: string, args: string[] = []): ReturnType<typeof spawn> {
  const io = path.resolve(__dirname, '../src/io');
  return spawn(process.execPath, ['-e', `const io = require(${JSON.stringify(io)}); ${code}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test(`one writer per model folder: a second one is refused at once \
with the holder's pid; a dead holder's lock is taken over`, async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'model');
  await saveArtifact(dir, model());
  const lock = await lockModelFolder(dir);
  const refused = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(path.resolve(__dirname, '../src/io'))}).lockModelFolder(process.argv[1]).then(() ` +
        '=> process.exit(0), (e) => { console.error(e.message); process.exit(3); })',
      dir,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(refused.status, 3);
  assert.match(
    refused.stderr,
    new RegExp(
      `is being written by another gennet \\(pid ${process.pid}, since .*\\); wait for it to end or choose ` +
        'another --out',
    ),
  );
  await saveArtifact(dir, model()); // the holder itself saves under its lock
  await lock.release();
  assert.ok(!(await fs.readdir(dir)).includes('.gennet-lock'));
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  await fs.writeFile(
    path.join(dir, '.gennet-lock'),
    JSON.stringify({ pid: Number(gone.stdout), startedAt: 'earlier' }),
  );
  await saveArtifact(dir, model());
  assert.ok(!(await fs.readdir(dir)).includes('.gennet-lock'), "a dead writer's lock is taken over and released");
});

test('a lock file or config.json that is a named pipe: no save or load hangs, a save is refused by name', async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'model');
  await saveArtifact(dir, model());
  for (const name of ['.gennet-lock', 'config.json']) {
    await fs.rm(path.join(dir, name), { force: true });
    assert.equal(spawnSync('mkfifo', [path.join(dir, name)]).status, 0);
    const hung = delay(5000, 'hung', { ref: false });
    const outcome = (work: Promise<unknown>) =>
      Promise.race([
        work.then(
          () => 'done',
          (error: Error) => error.message,
        ),
        hung,
      ]);
    const saved = await outcome(saveArtifact(dir, model()));
    assert.match(saved, new RegExp(`${name}" in the model folder .* is a named pipe \\(FIFO\\), where gennet keeps`));
    const loaded = await outcome(loadArtifact(dir));
    if (name === 'config.json') assert.match(loaded, /config\.json .*named pipe/);
    else assert.equal(loaded, 'done', name);
  }
});

test(`a saver killed at any point leaves a folder that loads one whole \
save; readers never fail or mix saves; the next save cleans up`, async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'model');
  // The saver alternates two networks (seeds 4 and 5): a reader that mixed files of two saves would see weights of one
  // with the other's config, so each load must equal one of them whole.
  const networkWith = (seed: number) =>
    buildGenerator(resolveModelConfig({ vocabSize: model().vocab.size, units: 64, layers: 2, seed }));
  const expected = [4, 5].map((seed) => {
    const network = networkWith(seed);
    const flat = Float32Array.from(network.getWeights().flatMap((w) => Array.from(w.dataSync())));
    network.dispose();
    return flat;
  });
  await saveArtifact(dir, {
    ...model(),
    network: networkWith(4),
    config: resolveModelConfig({ vocabSize: model().vocab.size, units: 64, layers: 2, seed: 4 }),
  });
  const saverCode = `
    const { buildGenerator, resolveModelConfig } = require(${JSON.stringify(path.resolve(__dirname, '../src/model'))});
    const { CharVocab } = require(${JSON.stringify(path.resolve(__dirname, '../src/vocab'))});
    const vocab = CharVocab.build(['Hello, world! Ünïcödé 👋']);
    const models = [4, 5].map((seed) => {
      const config = resolveModelConfig({ vocabSize: vocab.size, units: 64, layers: 2, seed });
      return { network: buildGenerator(config), vocab, config };
    });
    (async () => {
      process.stderr.write('ready');
      for (let k = 0; ; k++) await io.saveArtifact(process.argv[1], models[k % 2]);
    })();`;
  const loadsOneSave = async () => {
    const loaded = await loadArtifact(dir);
    const flat = Float32Array.from(loaded.network.getWeights().flatMap((w) => Array.from(w.dataSync())));
    const which = expected.findIndex((e) => e.every((v, i) => v === flat[i]));
    assert.ok(which >= 0, "the weights are one save's");
    assert.equal(loaded.config.seed, [4, 5][which], "and its config.json the same save's");
    loaded.network.dispose();
  };
  for (let round = 0; round < 4; round++) {
    const saver = childWithIo(saverCode, [dir]);
    const exited = once(saver, 'exit');
    let stderr = '';
    saver.stderr!.on('data', (chunk) => (stderr += chunk));
    while (!stderr.includes('ready'))
      await Promise.race([exited.then(() => assert.fail(`the saver ended: ${stderr}`)), delay(20)]);
    const until = Date.now() + 600 + Math.random() * 900;
    while (Date.now() < until) await loadsOneSave();
    assert.equal(saver.exitCode, null, `the saver ran until killed: ${stderr}`);
    saver.kill('SIGKILL');
    await exited;
    await loadsOneSave();
  }
  await saveArtifact(dir, model());
  assert.deepEqual(
    (await fs.readdir(dir)).sort(),
    ['config.json', 'model.json', 'vocab.json', 'weights.bin'],
    'no temporary files or lock left',
  );
});

test(`a save killed during its renames: readers take the rest from \
its temporary files, the next save completes it first`, async () => {
  await initBackend('cpu');
  const root = await tempDir();
  const [dir, other] = [path.join(root, 'model'), path.join(root, 'other')];
  await saveArtifact(dir, model('onehot'));
  await saveArtifact(other, model('embedding'));
  // What a writer (pid 99999, gone) leaves when killed after renaming weights.bin, before the other files.
  for (const name of ['model.json', 'vocab.json', 'config.json'])
    await fs.copyFile(path.join(other, name), path.join(dir, `.gennet-tmp-99999-${name}`));
  await fs.copyFile(path.join(other, 'weights.bin'), path.join(dir, 'weights.bin'));
  const loaded = await loadArtifact(dir);
  assert.equal((loaded.config as ModelConfig).input, 'embedding', 'the interrupted save, whole');
  loaded.network.dispose();
  await saveArtifact(dir, model('onehot'));
  assert.deepEqual((await fs.readdir(dir)).sort(), ['config.json', 'model.json', 'vocab.json', 'weights.bin']);
  assert.equal(((await loadArtifact(dir)).config as ModelConfig).input, 'onehot');
});

test(`a folder left by a first save killed before its config.json, and \
OS clutter, do not block the next save; file modes stay`, async () => {
  await initBackend('cpu');
  const dir = path.join(await tempDir(), 'model');
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'weights.bin'), 'partial');
  await fs.writeFile(path.join(dir, '.DS_Store'), '');
  await saveArtifact(dir, model());
  await fs.chmod(path.join(dir, 'weights.bin'), 0o600);
  await saveArtifact(dir, model());
  assert.equal((await fs.stat(path.join(dir, 'weights.bin'))).mode & 0o777, 0o600);
  // A lock naming this very process but not held by it is a restarted container's leftover: taken over.
  await fs.writeFile(
    path.join(dir, '.gennet-lock'),
    JSON.stringify({ pid: process.pid, startedAt: 'before a restart' }),
  );
  await saveArtifact(dir, model());
  await loadArtifact(dir);
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

  const tampered = await fresh('tampered');
  const tamperedWeights = await fs.readFile(path.join(tampered, 'weights.bin'));
  tamperedWeights[0] ^= 1;
  await fs.writeFile(path.join(tampered, 'weights.bin'), tamperedWeights);
  await assert.rejects(
    loadArtifact(tampered),
    /weights.bin" does not match what config.json records for it \(damaged, or changed since the save\)/,
  );

  const truncated = await fresh('truncated');
  const weights = path.join(truncated, 'weights.bin');
  await rewriteWithDigest(truncated, 'weights.bin', (await fs.readFile(weights)).subarray(0, -8));
  await assert.rejects(loadArtifact(truncated), /truncated or corrupted/);

  const notFinite = await fresh('nan');
  const nanWeights = new Float32Array(new Uint8Array(await fs.readFile(path.join(notFinite, 'weights.bin'))).buffer);
  nanWeights[3] = NaN;
  await rewriteWithDigest(notFinite, 'weights.bin', Buffer.from(nanWeights.buffer));
  await assert.rejects(
    loadArtifact(notFinite),
    /weights that are not finite numbers \(NaN or infinity: a diverged run\?\)/,
  );

  const noManifest = await fresh('no-manifest');
  const manifestJson = parseAs<Record<string, unknown>>(await fs.readFile(path.join(noManifest, 'model.json'), 'utf8'));
  await rewriteWithDigest(noManifest, 'model.json', JSON.stringify({ ...manifestJson, weightsManifest: null }));
  await assert.rejects(
    loadArtifact(noManifest),
    /does not name weights.bin as its weights .*will not load a model without its trained weights/,
  );

  const linked = await fresh('linked');
  await fs.rm(path.join(linked, 'vocab.json'));
  await fs.symlink(path.join(tampered, 'vocab.json'), path.join(linked, 'vocab.json'));
  await assert.rejects(
    loadArtifact(linked),
    /Model file .*linked\/vocab\.json is a symbolic link, which gennet does not follow here; a model folder holds only/,
  );

  const piped = await fresh('piped');
  await fs.rm(path.join(piped, 'weights.bin'));
  assert.equal(spawnSync('mkfifo', [path.join(piped, 'weights.bin')]).status, 0);
  await assert.rejects(loadArtifact(piped), /weights\.bin is a named pipe \(FIFO\), not a regular file/);

  // Sparse files: nothing is written. Over the limit, or larger than config.json records: refused before reading.
  const huge = await fresh('huge');
  await fs.truncate(path.join(huge, 'config.json'), 300e6);
  await assert.rejects(
    loadArtifact(huge),
    /config\.json is 300 MB; the limit for a model file is 256 MB: no model's JSON is that large/,
  );
  for (const file of ['vocab.json', 'weights.bin']) {
    const larger = await fresh(`larger-${file}`);
    await fs.truncate(path.join(larger, file), 3e9); // more than fs.readFile reads (2 GiB)
    await assert.rejects(loadArtifact(larger), new RegExp(`${file}" does not match what config.json records for it`));
  }

  const newer = await fresh('newer');
  const configFile = path.join(newer, 'config.json');
  const config = parseAs<Record<string, unknown>>(await fs.readFile(configFile, 'utf8'));
  await fs.writeFile(configFile, JSON.stringify({ ...config, version: 99 }));
  await assert.rejects(loadArtifact(newer), /format version 99.*Upgrade/);

  const mismatch = await fresh('mismatch');
  const vocabFile = path.join(mismatch, 'vocab.json');
  const vocab = parseAs<{ tokens: string[] }>(await fs.readFile(vocabFile, 'utf8'));
  await rewriteWithDigest(mismatch, 'vocab.json', JSON.stringify({ ...vocab, tokens: vocab.tokens.slice(0, -1) }));
  await assert.rejects(loadArtifact(mismatch), /vocabulary has \d+ tokens but the model expects/);

  const escaping = await fresh('escaping');
  const modelFile = path.join(escaping, 'model.json');
  const modelJson = parseAs<{ weightsManifest: Array<{ paths: string[] }> }>(await fs.readFile(modelFile, 'utf8'));
  modelJson.weightsManifest[0].paths = ['../truncated/weights.bin'];
  await rewriteWithDigest(escaping, 'model.json', JSON.stringify(modelJson));
  await assert.rejects(loadArtifact(escaping), /does not name weights.bin as its weights/);

  // A topology naming code (a Lambda layer with a function body) is refused, never run.
  const withCode = await fresh('with-code');
  const codeFile = path.join(withCode, 'model.json');
  const codeJson = parseAs<{
    modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
  }>(await fs.readFile(codeFile, 'utf8'));
  const ran = '__gennetLoadRanCode';
  codeJson.modelTopology.config.layers[1].class_name = 'Lambda';
  codeJson.modelTopology.config.layers[1].config.function = `globalThis.${ran} = true`;
  await rewriteWithDigest(withCode, 'model.json', JSON.stringify(codeJson));
  await assert.rejects(loadArtifact(withCode), /Unknown layer: Lambda/);
  assert.equal((globalThis as Record<string, unknown>)[ran], undefined);
});

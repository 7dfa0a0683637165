import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { loadArtifact, saveArtifact } from '../src/io';
import { buildGenerator, resolveModelConfig } from '../src/model';
import { CharVocab } from '../src/vocab';
import { writeWebSite } from '../src/web';
import { parseAs } from './cliJson';

// Writes never follow a link out of the folder gennet writes (sites, model folders), a site's marker is trusted only
// for plain files inside the site, and a model folder's digest list cannot be removed or emptied unnoticed.

const cli = path.resolve(__dirname, '../../dist/cli.js');
const work = () => fs.mkdtemp(path.join(os.tmpdir(), 'gennet-write-'));

/** A small saved model in `dir`. */
async function savedModel(dir: string): Promise<string> {
  await initBackend('cpu');
  const vocab = CharVocab.build(['a small corpus of words and spaces']);
  const config = resolveModelConfig({ vocabSize: vocab.size, cell: 'gru', units: 8, seed: 2 });
  await saveArtifact(dir, { network: buildGenerator(config), vocab, config });
  return dir;
}

/** Every file below `dir` (links not followed) with its SHA-256: what must not change. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex');
  }
  return out;
}

test('export-web never writes or deletes through a link in the site, and a damaged marker is named', async () => {
  const root = await work();
  const model = await savedModel(path.join(root, 'model'));
  const other = await savedModel(path.join(root, 'other'));
  const site = path.join(root, 'site');
  await writeWebSite(model, site);
  const before = await snapshot(other);

  // The site's model/ made a link to another model folder: refused by name, the folder it points to untouched.
  await fs.rm(path.join(site, 'model'), { recursive: true });
  await fs.symlink(other, path.join(site, 'model'));
  await assert.rejects(
    writeWebSite(model, site),
    /site\/model" is a symbolic link inside the site folder .*Remove the/,
  );
  assert.deepEqual(await snapshot(other), before);
  await fs.rm(path.join(site, 'model'));

  // One of the site's files made a link to a file elsewhere: refused, the file untouched.
  await writeWebSite(model, site);
  const outside = path.join(root, 'outside.js');
  await fs.writeFile(outside, 'mine');
  await fs.rm(path.join(site, 'app.js'));
  await fs.symlink(outside, path.join(site, 'app.js'));
  await assert.rejects(writeWebSite(model, site), /app\.js" is a symbolic link inside the site folder/);
  assert.equal(await fs.readFile(outside, 'utf8'), 'mine');
  await fs.rm(path.join(site, 'app.js'));

  // A folder where the marker lists a file: refused in words (not EISDIR), nothing of it lost; moved away, it works.
  const marker = path.join(site, 'gennet-site.json');
  const listed = parseAs<{ files: string[] }>(await fs.readFile(marker, 'utf8')).files;
  await fs.rm(path.join(site, 'style.css'));
  await fs.mkdir(path.join(site, 'style.css'));
  await fs.writeFile(path.join(site, 'style.css', 'notes.txt'), 'keep');
  await assert.rejects(writeWebSite(model, site), /style\.css" in the site folder .* is a folder, where gennet keeps/);
  assert.equal(await fs.readFile(path.join(site, 'style.css', 'notes.txt'), 'utf8'), 'keep');
  assert.deepEqual(parseAs<{ files: string[] }>(await fs.readFile(marker, 'utf8')).files, listed);
  await fs.rename(path.join(site, 'style.css'), path.join(root, 'moved'));
  await writeWebSite(model, site);

  // A marker that is not JSON, or lists what is not a plain file inside the site, is refused by name.
  const intact = await fs.readFile(marker, 'utf8');
  for (const [text, message] of [
    ['{"format": "gennet-web-site", "files": [', /gennet-site\.json is not valid JSON/],
    [JSON.stringify({ format: 'gennet-web-site', version: 1, files: ['../model/weights.bin'] }), /not a file inside/],
    [JSON.stringify({ format: 'gennet-web-site', version: 1, files: ['model/./x.json'] }), /not a file inside/],
    [JSON.stringify({ format: 'gennet-web-site', version: 1, files: ['/etc/hostname'] }), /not a file inside/],
  ] as const) {
    await fs.writeFile(marker, text);
    await assert.rejects(writeWebSite(model, site), message);
  }
  await fs.writeFile(marker, intact);

  // A marker edited to list the user's own files (CNAME, .git/config) does not make gennet delete them.
  await fs.writeFile(path.join(site, 'CNAME'), 'class.example.org');
  await fs.mkdir(path.join(site, '.git'));
  await fs.writeFile(path.join(site, '.git', 'config'), '[core]');
  const edited = parseAs<{ files: string[] }>(intact);
  await fs.writeFile(marker, JSON.stringify({ ...edited, files: [...edited.files, 'CNAME', '.git/config'] }));
  await writeWebSite(other, site);
  assert.equal(await fs.readFile(path.join(site, 'CNAME'), 'utf8'), 'class.example.org');
  assert.equal(await fs.readFile(path.join(site, '.git', 'config'), 'utf8'), '[core]');
  assert.deepEqual(parseAs<{ files: string[] }>(await fs.readFile(marker, 'utf8')).files.sort(), [...listed].sort());
  await fs.rm(root, { recursive: true });
});

test('a folder to write that is a link to nothing is named, not met with a raw error', async () => {
  const root = await work();
  const model = await savedModel(path.join(root, 'model'));
  await fs.symlink(path.join(root, 'nowhere'), path.join(root, 'dangling'));
  for (const write of [
    () => writeWebSite(model, path.join(root, 'dangling')),
    () => savedModel(path.join(root, 'dangling')),
  ])
    await assert.rejects(
      write(),
      /Cannot create the folder ".*dangling": it is a symbolic link to a folder that does not/,
    );
  await fs.rm(root, { recursive: true });
});

test('a site folder reached through a link into the model folder is refused before anything is written', async () => {
  const root = await work();
  const model = await savedModel(path.join(root, 'model'));
  await fs.symlink(model, path.join(root, 'link'));
  const before = await snapshot(model);
  await assert.rejects(
    writeWebSite(model, path.join(root, 'link', 'site')),
    /must not hold one another \(".*link\/site" leads to ".*model\/site"\)/,
  );
  await assert.rejects(writeWebSite(path.join(root, 'link'), path.join(model, 'site')), /must not hold one another/);
  assert.deepEqual(await snapshot(model), before);
  await fs.rm(root, { recursive: true });
});

test("a save refuses a model folder where one of gennet's files is a link, and leaves what it points to", async () => {
  const root = await work();
  const model = await savedModel(path.join(root, 'model'));
  const outside = path.join(root, 'precious.bin');
  await fs.writeFile(outside, 'precious');
  await fs.rm(path.join(model, 'weights.bin'));
  await fs.symlink(outside, path.join(model, 'weights.bin'));
  await assert.rejects(savedModel(model), /model\/weights\.bin" is a symbolic link inside the model folder/);
  assert.equal(await fs.readFile(outside, 'utf8'), 'precious');
  await fs.rm(root, { recursive: true });
});

test('a model folder that cannot be made (under /proc) is refused in words, at once', () => {
  const run = spawnSync(
    process.execPath,
    [cli, 'train', '--corpus', 'names', '--max-steps', '1', '--out', '/proc/x/y'],
    {
      encoding: 'utf8',
      timeout: 60_000, // Node's recursive mkdir loops forever there
      env: { ...process.env, GN_BACKEND: 'cpu' },
    },
  );
  assert.equal(run.signal, null, 'gennet ended by itself');
  assert.equal(run.status, 1);
  assert.match(
    run.stderr,
    /Cannot create the folder "\/proc\/x\/y" \("\/proc\/x" cannot be made\): .* Choose a folder you can write to\./,
  );
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});

test('a digest list removed, emptied or stripped of the vocabulary is refused; a folder from before digests loads', async () => {
  const root = await work();
  const model = await savedModel(path.join(root, 'model'));
  const configFile = path.join(model, 'config.json');
  const config = parseAs<Record<string, unknown>>(await fs.readFile(configFile, 'utf8'));
  const files = config.files as Record<string, unknown>;
  const withoutVocab = Object.fromEntries(Object.entries(files).filter(([name]) => name !== 'vocab.json'));
  for (const [edited, message] of [
    [{ ...config, files: undefined }, /has no digest list \("files"\), yet the gennet that saved it .* always writes/],
    [{ ...config, files: [] }, /its digest list \("files"\) is damaged/],
    [{ ...config, files: { 'vocab.json': { bytes: 1, sha256: 'x' } } }, /is damaged/],
    [{ ...config, files: withoutVocab }, /does not name vocab\.json, which every saved model has/],
  ] as const) {
    await fs.writeFile(configFile, JSON.stringify(edited));
    await assert.rejects(loadArtifact(model), message);
  }
  // Saved before digests (and before gennetVersion was recorded): read as it is.
  await fs.writeFile(configFile, JSON.stringify({ ...config, files: undefined, gennetVersion: undefined }));
  await loadArtifact(model);
  await fs.rm(root, { recursive: true });
});

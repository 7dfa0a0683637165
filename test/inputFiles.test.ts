import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpus } from '../src/corpus';
import { describeBytes, InputFileError, type InputPolicy, readInputFile } from '../src/files';
import { parseAs, type GenerateOutput } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');

/**
 * Runs `gennet` and says how long it took. `timeout` ends a run that hangs (a named pipe read without a writer) or
 * reads without end (/dev/zero): such a run fails the test instead of stopping the suite.
 */
function gennet(args: string[], timeout = 30_000) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, seconds: (Date.now() - started) / 1000 };
}

const work = path.join(os.tmpdir(), `gn-input-${process.pid}`);
after(() => fs.rm(work, { recursive: true, force: true }));

/** A fresh path inside the test's folder. */
async function place(name: string): Promise<string> {
  await fs.mkdir(work, { recursive: true });
  return path.join(work, name);
}

/** A named pipe nobody writes to: reading it blocks for ever. */
async function fifo(name: string): Promise<string> {
  const file = await place(name);
  assert.equal(spawnSync('mkfifo', [file]).status, 0);
  return file;
}

/** A sparse file of `bytes` bytes: as large as that to `stat`, yet nothing is written to disk. */
async function sparse(name: string, bytes: number): Promise<string> {
  const file = await place(name);
  await fs.writeFile(file, '');
  await fs.truncate(file, bytes);
  return file;
}

const POLICY: InputPolicy = {
  what: 'Test file',
  maxBytes: 1_000_000,
  tooBig: 'pass a smaller one',
  instead: 'pass a regular file',
};

/** Asserts that reading `file` by `policy` is refused for `problem` with a message matching every pattern. */
async function refused(file: string, problem: string, patterns: RegExp[], policy = POLICY): Promise<void> {
  await assert.rejects(readInputFile(file, policy), (error: Error) => {
    assert.ok(error instanceof InputFileError, String(error));
    assert.equal(error.problem, problem);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('readInputFile', () => {
  it('reads a regular file whole, up to its limit', async () => {
    const file = await place('exact.txt');
    await fs.writeFile(file, 'x'.repeat(POLICY.maxBytes));
    assert.equal((await readInputFile(file, POLICY)).length, POLICY.maxBytes);
    await fs.appendFile(file, 'y');
    await refused(file, 'too-large', [
      /Test file .*exact\.txt is 1,000,001 bytes; the limit for a test file is 1,000,000 bytes: pass a smaller one\.$/,
    ]);
  });

  it('refuses a named pipe, /dev/zero, /dev/urandom and a folder at once, naming what they are', async () => {
    const pipe = await fifo('pipe.txt');
    await refused(pipe, 'not-a-file', [new RegExp(`${escape(pipe)} is a named pipe \\(FIFO\\), not a regular file`)]);
    for (const device of ['/dev/zero', '/dev/urandom'])
      await refused(device, 'not-a-file', [
        new RegExp(`Test file ${device} is a character device, not a regular file`),
      ]);
    await refused(work, 'not-a-file', [/is a folder, not a regular file; pass a regular file\./]);
  });

  it('refuses a file over its limit before reading it, naming its size and the limit', async () => {
    const file = await sparse('huge.txt', 3e9); // over 2 GiB: fs.readFile would refuse it with a raw error code
    const started = Date.now();
    await refused(file, 'too-large', [/huge\.txt is 3 GB; the limit for a test file is 1 MB: pass a smaller one\.$/]);
    assert.ok(Date.now() - started < 1000, `refused in ${Date.now() - started} ms`);
  });

  it('reads a file whose size says 0 (/proc) within the limit, and refuses it past the limit', async () => {
    assert.match((await readInputFile('/proc/self/status', POLICY)).toString(), /^Name:/);
    await refused('/proc/self/status', 'too-large', [/status gave more than 16 bytes when read .*limit .* 16 bytes/], {
      ...POLICY,
      maxBytes: 16,
    });
  });

  it('explains a missing file, a link where links are refused, and an unreadable file', async (t) => {
    await refused(await place('nothing.txt'), 'missing', [/nothing\.txt not found; check the path \(relative paths/]);
    const target = await place('target.txt');
    await fs.writeFile(target, 'text');
    const link = await place('link.txt');
    await fs.symlink(target, link);
    assert.equal((await readInputFile(link, POLICY)).toString(), 'text');
    await refused(link, 'link', [/link\.txt is a symbolic link, which gennet does not follow here; pass a regular/], {
      ...POLICY,
      refuseLinks: true,
    });
    if (process.getuid?.() === 0) return t.skip('root reads every file');
    await fs.chmod(target, 0o000);
    await refused(target, 'unreadable', [/target\.txt cannot be read: permission denied\. Allow your user to read/]);
  });

  it('describes sizes in decimal units to three digits', () => {
    assert.deepEqual([1, 999, 1000, 1_049_000, 314_572_800, 999_600, 4e9].map(describeBytes), [
      '1 byte',
      '999 bytes',
      '1 kB',
      '1.05 MB',
      '315 MB',
      '1 MB',
      '4 GB',
    ]);
  });
});

describe('corpus files', () => {
  it('refuses a named pipe, /dev/zero and /dev/urandom at once', async () => {
    for (const source of [await fifo('pipe-corpus.txt'), '/dev/zero', '/dev/urandom'])
      await assert.rejects(loadCorpus(source, { format: 'txt' }), /Corpus file .* not a regular file; save the text/);
  });

  it('refuses a corpus over the limit quickly, with its size and the limit', async () => {
    const file = await sparse('huge-corpus.txt', 600e6);
    const started = Date.now();
    await assert.rejects(
      loadCorpus(file),
      /huge-corpus\.txt is 600 MB; the limit for a corpus file is \d+ MB: train on a part of it/,
    );
    assert.ok(Date.now() - started < 1000, `refused in ${Date.now() - started} ms`);
  });
});

describe('gennet and the files it reads', () => {
  const generate = (promptFile: string) => [
    'generate',
    '--model',
    path.join(work, 'no-model'),
    '--prompt-file',
    promptFile,
  ];

  it('refuses a named pipe, /dev/zero and /dev/urandom as a prompt file at once', async () => {
    const pipe = await fifo('pipe-prompt.txt');
    for (const [file, kind] of [
      [pipe, 'a named pipe \\(FIFO\\)'],
      ['/dev/zero', 'a character device'],
      ['/dev/urandom', 'a character device'],
    ]) {
      const run = gennet(generate(file), 15_000);
      assert.equal(run.status, 1, `${file}: ${run.stderr} (killed after ${run.seconds} s?)`);
      assert.match(
        run.stderr,
        new RegExp(`Prompt file ${escape(file)} is ${kind}, not a regular file; save the prompt`),
      );
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('refuses a 200 MB prompt file at once, with its size, the limit and what to do', async () => {
    const run = gennet(generate(await sparse('long-prompt.txt', 200e6)), 15_000);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /long-prompt\.txt is 200 MB; the limit for a prompt file is 1 MB: pass a shorter excerpt/);
  });

  it('refuses a corpus over the limit before training', async () => {
    const run = gennet(['train', '--corpus', await sparse('big.csv', 2e9), '--out', path.join(work, 'never')]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /big\.csv is 2 GB; the limit for a corpus file is \d+ MB/);
  });

  it('trains on a one-column CSV with old Mac line ends as on \\n; no \\r in vocabulary or prompt', async () => {
    const rows = (end: string) => ['text', 'the quick fox', `"jumps,${end}high"`, 'over the dog', 'and so on'];
    const models: string[] = [];
    for (const [name, end] of [
      ['unix', '\n'],
      ['mac', '\r'],
    ]) {
      const corpus = await place(`${name}.csv`);
      await fs.writeFile(corpus, rows(end).join(end) + end);
      const model = await place(`model-${name}`);
      const args = ['train', '--corpus', corpus, '--units', '8', '--max-steps', '2'];
      const run = gennet([...args, '--batch', '2', '--seq-len', '8', '--val', '0', '--out', model, '--json']);
      assert.equal(run.status, 0, run.stderr);
      models.push(model);
    }
    const vocabs = await Promise.all(models.map((dir) => fs.readFile(path.join(dir, 'vocab.json'), 'utf8')));
    assert.equal(vocabs[1], vocabs[0]);
    assert.ok(!vocabs[1].includes('\\r'), vocabs[1]);
    const prompts = [await place('prompt-lf.txt'), await place('prompt-crlf.txt')];
    await fs.writeFile(prompts[0], 'the fox\nover\n');
    await fs.writeFile(prompts[1], 'the fox\r\nover\r');
    const texts = prompts.map((prompt) => {
      const run = gennet(['generate', '--model', models[1], '--prompt-file', prompt, '--length', '5', '--json']);
      assert.equal(run.status, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /never saw/);
      return parseAs<GenerateOutput>(run.stdout).text;
    });
    assert.equal(texts[1], texts[0]);
    // `--prompt-file -` reads standard input as a file, within the same limit
    const piped = (input: string) =>
      spawnSync(
        process.execPath,
        [cli, 'generate', '--model', models[1], '--prompt-file', '-', '--length', '5', '--json'],
        {
          input,
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, GN_BACKEND: 'wasm' },
        },
      );
    const fromStdin = piped('the fox\r\nover\r');
    assert.equal(fromStdin.status, 0, fromStdin.stderr);
    assert.equal(parseAs<GenerateOutput>(fromStdin.stdout).text, texts[0]);
    const tooLong = piped('the fox '.repeat(200_000));
    assert.equal(tooLong.status, 1, tooLong.stderr);
    assert.match(tooLong.stderr, /Standard input gave more than 1 MB, the limit for a prompt file: pass a shorter/);
  });
});

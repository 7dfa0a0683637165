import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockModelFolder } from '../src/io';
import { createRng } from '../src/random';
import { tokenizeWords } from '../src/vocab';
import { type BeamOutput, type GenerateOutput, parseAs, type SavedConfig, type TrainOutput } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');

function gennet(...args: string[]) {
  // NODEPLOTLIB_PORT=0: `--plot` serves on any free port and does not try to open a desktop browser.
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GN_BACKEND: 'wasm', NODEPLOTLIB_PORT: '0' },
  });
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
  const run = gennet(
    'train',
    '--corpus',
    corpusFile,
    '--seq-len',
    '40',
    '--batch',
    '16',
    '--units',
    '48',
    '--epochs',
    '3',
    '--max-steps',
    '60',
    '--lr',
    '0.01',
    '--seed',
    '3',
    '--out',
    modelDir,
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  const summary = parseAs<TrainOutput>(run.stdout);
  for (const key of [
    'backend',
    'steps',
    'charsPerSecond',
    'trainLoss',
    'valLoss',
    'valBitsPerChar',
    'vocabSize',
    'params',
    'seconds',
  ]) {
    assert.ok(key in summary, `summary has ${key}`);
  }
  assert.equal(summary.backend, 'wasm');
  assert.equal(summary.engine, 'native', 'auto takes the native engine (built by npm run setup)');
  assert.equal(summary.steps, 60);
  assert.ok(summary.charsPerSecond > 0);
  assert.ok(
    summary.valLoss < Math.log(summary.vocabSize) - 0.5,
    `val loss ${summary.valLoss} vs log V ${Math.log(summary.vocabSize)}`,
  );
  assert.match(run.stderr, /backend: wasm/);
});

test('gennet train --engine fast and --engine layers report their engine and reach the same losses', () => {
  const runs = (['fast', 'layers'] as const).map((engine) => {
    const run = gennet(
      'train',
      '--corpus',
      corpusFile,
      '--seq-len',
      '30',
      '--batch',
      '8',
      '--units',
      '16',
      '--cell',
      'gru',
      '--max-steps',
      '15',
      '--lr',
      '0.01',
      '--seed',
      '5',
      '--no-samples',
      '--engine',
      engine,
      '--out',
      path.join(work, `engine-${engine}`),
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    return parseAs<TrainOutput>(run.stdout);
  });
  assert.deepEqual(
    runs.map((r) => r.engine),
    ['fast', 'layers'],
  );
  assert.ok(
    Math.abs(runs[0].trainLoss - runs[1].trainLoss) < 1e-3 * runs[1].trainLoss,
    `train loss ${runs[0].trainLoss} vs ${runs[1].trainLoss}`,
  );
  assert.ok(
    Math.abs(runs[0].valLoss - runs[1].valLoss) < 1e-3 * runs[1].valLoss,
    `val loss ${runs[0].valLoss} vs ${runs[1].valLoss}`,
  );
  const bad = gennet('train', '--corpus', corpusFile, '--engine', 'turbo', '--out', path.join(work, 'never'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--engine.*turbo.*fast, layers/);
});

test('gennet train --plot serves a live loss page, keeps stdout pure JSON and exits when training ends', () => {
  const run = gennet(
    'train',
    '--corpus',
    corpusFile,
    '--seq-len',
    '32',
    '--units',
    '8',
    '--max-steps',
    '12',
    '--no-samples',
    '--plot',
    '--out',
    path.join(work, 'plotted'),
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(parseAs<TrainOutput>(run.stdout).steps, 12);
  assert.match(run.stderr, /live loss plot: http:\/\/localhost:\d+/);
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
  const json = parseAs<GenerateOutput>(
    gennet('generate', '--model', modelDir, '--prompt', 'The ', '--length', '120', '--seed', '1', '--json').stdout,
  );
  assert.equal(json.text, a);
});

test(`gennet generate --prompt-file primes from a file (as \
written, UTF-16 by its mark), like --prompt with that text`, () => {
  const prime = 'Zorbly quenti malfo.\nThe vask of ';
  const file = path.join(work, 'prime.txt');
  writeFileSync(file, prime);
  const args = ['--model', modelDir, '--length', '60', '--seed', '3', '--json'];
  const fromFile = gennet('generate', ...args, '--prompt-file', file);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  const expected = parseAs<GenerateOutput>(gennet('generate', ...args, '--prompt', prime).stdout).text;
  assert.equal(parseAs<GenerateOutput>(fromFile.stdout).text, expected);
  assert.ok(expected.startsWith(prime));
  const utf16 = path.join(work, 'prime-utf16.txt');
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(prime, 'utf16le')]));
  assert.equal(parseAs<GenerateOutput>(gennet('generate', ...args, '--prompt-file', utf16).stdout).text, expected);
  const beam = gennet(
    'generate',
    '--model',
    modelDir,
    '--length',
    '20',
    '--beam',
    '2',
    '--prompt-file',
    file,
    '--json',
  );
  assert.ok(parseAs<BeamOutput>(beam.stdout).text.startsWith(prime), beam.stderr);
  assert.match(
    gennet('generate', ...args, '--prompt-file', path.join(work, 'nothing.txt')).stderr,
    /Prompt file .*nothing\.txt not found; check the path/,
  );
  assert.match(
    gennet('generate', ...args, '--prompt', 'a', '--prompt-file', file).stderr,
    /Give the prompt with --prompt or with --prompt-file, not both/,
  );
});

test(`gennet generate and temperatures: --engine layers, fast \
and native give the same text; auto says which it took`, () => {
  const generate = (engine: string) => {
    const run = gennet(
      'generate',
      '--model',
      modelDir,
      '--prompt',
      'The ',
      '--length',
      '150',
      '--temperature',
      '0.9',
      '--seed',
      '3',
      '--engine',
      engine,
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { text: string; engine: string };
  };
  const [auto, native, fast, layers] = ['auto', 'native', 'fast', 'layers'].map(generate);
  assert.deepEqual([auto.engine, native.engine, fast.engine, layers.engine], ['native', 'native', 'fast', 'layers']);
  assert.equal(fast.text, layers.text);
  assert.equal(native.text, layers.text);
  assert.equal(auto.text, native.text);
  const temperatures = (engine: string) =>
    gennet(
      'temperatures',
      '--model',
      modelDir,
      '--prompts',
      'The ',
      '--temps',
      '0.5,1.5',
      '--length',
      '60',
      '--engine',
      engine,
      '--json',
    );
  const [tFast, tLayers] = [temperatures('fast'), temperatures('layers')];
  assert.equal(tLayers.status, 0, tLayers.stderr);
  assert.match(tLayers.stderr, /engine layers/);
  assert.deepEqual(
    parseAs<Array<{ text: string }>>(tLayers.stdout).map((r) => r.text),
    parseAs<Array<{ text: string }>>(tFast.stdout).map((r) => r.text),
  );
});

test('gennet engines lists every engine with its availability; --json for scripts', () => {
  const run = gennet('engines', '--json');
  assert.equal(run.status, 0, run.stderr);
  const engines = JSON.parse(run.stdout) as Array<{
    name: string;
    available: boolean;
    reason: string | null;
    description: string;
  }>;
  assert.deepEqual(
    engines.map((e) => e.name),
    ['native', 'fast', 'layers'],
  );
  for (const engine of engines) {
    assert.equal(engine.available, engine.reason === null, `${engine.name}: a reason exactly when unavailable`);
    assert.ok(engine.description.length > 20);
  }
  assert.match(gennet('engines').stdout, /^fast\s+available/m);
  assert.match(gennet('engines').stdout, /^native\s+available/m);
});

test('gennet generate --top-k 1 is greedy, --count N samples seeds N in a row', () => {
  const out = (...extra: string[]) => {
    const run = gennet('generate', '--model', modelDir, '--prompt', 'Vask ', '--length', '80', ...extra);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  };
  assert.equal(out('--temperature', '1.5', '--top-k', '1', '--seed', '5'), out('--temperature', '0'));
  const batch = parseAs<GenerateOutput>(
    out('--temperature', '1', '--top-p', '0.9', '--seed', '7', '--count', '3', '--json'),
  );
  assert.deepEqual(
    batch.samples.map((s) => s.seed),
    [7, 8, 9],
  );
  batch.samples.forEach((sample) => {
    assert.equal(
      sample.text,
      out('--temperature', '1', '--top-p', '0.9', '--seed', String(sample.seed)).replace(/\n$/, ''),
    );
  });
  assert.equal(new Set(batch.samples.map((s) => s.text)).size, 3);
});

test(`gennet generate --beam: --beam 1 is greedy, wider beams are \
at least as probable, --count lists the best distinct ones`, () => {
  const out = (...extra: string[]) => {
    const run = gennet('generate', '--model', modelDir, '--prompt', 'Vask ', '--length', '60', ...extra);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  };
  assert.equal(out('--beam', '1'), out('--temperature', '0'));
  const [one, four] = ['1', '4'].map(
    (beam) => parseAs<BeamOutput>(out('--beam', beam, '--length-penalty', '0', '--json')).hypotheses[0],
  );
  assert.ok(four.totalLogProb >= one.totalLogProb - 1e-9, `beam 4 ${four.totalLogProb} < beam 1 ${one.totalLogProb}`);
  const listed = parseAs<BeamOutput>(out('--beam', '4', '--count', '3', '--json'));
  assert.equal(listed.hypotheses.length, 3);
  assert.equal(new Set(listed.hypotheses.map((h) => h.text)).size, 3);
  assert.equal(listed.text, listed.hypotheses[0].text);
  assert.equal(out('--beam', '4', '--count', '3', '--json'), JSON.stringify(listed, null, 2) + '\n', 'deterministic');
  for (const [extra, message] of [
    [
      ['--beam', '3', '--temperature', '0.7', '--seed', '2'],
      /--beam searches for the most probable text, with no randomness; drop --temperature, --seed/,
    ],
    [['--beam', '2', '--count', '3'], /--count 3 asks for more hypotheses than --beam 2 keeps/],
    [['--length-penalty', '1'], /--length-penalty ranks beam-search hypotheses; add --beam K/],
    [['--beam', '0'], /--beam.*whole number/],
  ] as Array<[string[], RegExp]>) {
    const run = gennet('generate', '--model', modelDir, ...extra);
    assert.notEqual(run.status, 0, extra.join(' '));
    assert.match(run.stderr, message, extra.join(' '));
  }
});

test(`gennet temperatures --json: prompts × temperatures, T = 0 \
equals generate, diversity rises with T, --plot writes SVG`, () => {
  const svg = path.join(work, 'figures', 'temps.svg');
  const run = gennet(
    'temperatures',
    '--model',
    modelDir,
    '--prompts',
    'The |Malfo ',
    '--temps',
    '0,0.8,1.8',
    '--length',
    '150',
    '--seed',
    '4',
    '--json',
    '--plot',
    svg,
  );
  assert.equal(run.status, 0, run.stderr);
  const rows = parseAs<
    Array<{ prompt: string; temperature: number; text: string; metrics: Record<string, number | null> }>
  >(run.stdout);
  assert.deepEqual(
    rows.map((r) => `${r.prompt}@${r.temperature}`),
    ['The @0', 'The @0.8', 'The @1.8', 'Malfo @0', 'Malfo @0.8', 'Malfo @1.8'],
  );
  const greedy = gennet('generate', '--model', modelDir, '--prompt', 'The ', '--length', '150', '--temperature', '0');
  assert.equal(rows[0].text, greedy.stdout.replace(/\n$/, ''));
  const mean = (t: number, metric: string) => {
    const values = rows.filter((r) => r.temperature === t).map((r) => r.metrics[metric] as number);
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  assert.ok(
    mean(1.8, 'distinct2') > mean(0, 'distinct2'),
    `distinct-2 ${mean(0, 'distinct2')} → ${mean(1.8, 'distinct2')}`,
  );
  assert.ok(mean(1.8, 'logLikelihood') < mean(0, 'logLikelihood'));
  assert.ok(
    mean(0, 'knownWords') > mean(1.8, 'knownWords'),
    'the model records its corpus, so known words are measured',
  );
  assert.match(readFileSync(svg, 'utf8'), /^<svg[\s\S]*distinct word pairs[\s\S]*<\/svg>$/);
});

test('gennet train --level word: an embedding model trains on wasm and generates only words of the corpus', () => {
  const dir = path.join(work, 'words');
  const run = gennet(
    'train',
    '--corpus',
    corpusFile,
    '--level',
    'word',
    '--seq-len',
    '12',
    '--batch',
    '16',
    '--units',
    '48',
    '--embedding-dim',
    '16',
    '--epochs',
    '20',
    '--max-steps',
    '80',
    '--lr',
    '0.01',
    '--seed',
    '3',
    '--no-samples',
    '--out',
    dir,
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  const summary = parseAs<TrainOutput>(run.stdout);
  assert.equal(summary.backend, 'wasm');
  assert.equal(summary.engine, 'native', 'auto takes the native engine (built by npm run setup)');
  assert.equal(summary.level, 'word');
  assert.equal(parseAs<SavedConfig>(readFileSync(path.join(dir, 'config.json'), 'utf8')).model.input, 'embedding');
  assert.ok(summary.charsPerToken > 3 && summary.charsPerToken < 8, `chars per token ${summary.charsPerToken}`);
  assert.ok(Math.abs(summary.valBitsPerChar - summary.valLoss / Math.LN2 / summary.charsPerToken) < 1e-9);
  assert.ok(
    summary.valPerplexity < summary.vocabSize / 2,
    `perplexity ${summary.valPerplexity} of ${summary.vocabSize} tokens`,
  );
  const known = new Set(tokenizeWords(corpusText));
  for (const seed of ['1', '2']) {
    const text = gennet(
      'generate',
      '--model',
      dir,
      '--prompt',
      'The',
      '--length',
      '60',
      '--temperature',
      '1.5',
      '--seed',
      seed,
    );
    assert.equal(text.status, 0, text.stderr);
    const words = tokenizeWords(text.stdout);
    assert.ok(words.length > 20, text.stdout);
    assert.doesNotMatch(text.stdout, /<unk>/);
    for (const word of words) assert.ok(known.has(word), `generated word ${JSON.stringify(word)} is not in the corpus`);
  }
});

test('a prompt with characters the model never saw generates, with a warning naming them', () => {
  const run = gennet('generate', '--model', modelDir, '--prompt', 'Vask 🐋 ', '--length', '40');
  assert.equal(run.status, 0, run.stderr);
  assert.ok(run.stdout.startsWith('Vask 🐋 '));
  assert.match(
    run.stderr,
    /warning: The prompt "Vask 🐋 " contains characters the model never saw: "🐋"; they become <unk>/,
  );
});

test("gennet --version and -V print package.json's version; train --json and the saved config.json carry it", () => {
  const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-V']) {
    const run = gennet(flag);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${version}\n`);
  }
  // A network (trained by the first test) and a counted model: the summary and config.json say which gennet made them.
  assert.equal(parseAs<SavedConfig>(readFileSync(path.join(modelDir, 'config.json'), 'utf8')).gennetVersion, version);
  const network = gennet(
    'train',
    '--corpus',
    corpusFile,
    '--seq-len',
    '20',
    '--batch',
    '8',
    '--units',
    '8',
    '--max-steps',
    '2',
    '--no-samples',
    '--out',
    path.join(work, 'versioned'),
    '--json',
  );
  assert.equal(network.status, 0, network.stderr);
  assert.equal(parseAs<TrainOutput>(network.stdout).gennetVersion, version);
  const countedDir = path.join(work, 'versioned-ngram');
  const counted = gennet('train', '--corpus', corpusFile, '--model', 'ngram:3', '--out', countedDir, '--json');
  assert.equal(counted.status, 0, counted.stderr);
  assert.equal(parseAs<TrainOutput>(counted.stdout).gennetVersion, version);
  assert.equal(parseAs<SavedConfig>(readFileSync(path.join(countedDir, 'config.json'), 'utf8')).gennetVersion, version);
});

test('gennet corpora lists the built-in corpora', () => {
  const run = gennet('corpora', '--json');
  assert.equal(run.status, 0, run.stderr);
  const names = parseAs<Array<{ name: string }>>(run.stdout).map((c) => c.name);
  assert.ok(names.includes('sotu') && names.includes('moby-dick'), names.join(','));
});

test('bad input gives a one-line error, no stack trace, and a non-zero exit', () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', '--corpus', path.join(work, 'missing.txt'), '--out', path.join(work, 'x')], /missing\.txt/],
    [['train', '--corpus', corpusFile, '--batch', 'abc', '--out', path.join(work, 'x')], /--batch.*whole number/],
    [['generate', '--model', path.join(work, 'nowhere')], /does not exist/],
    [['generate', '--model', modelDir, '--temperature', '-1'], /--temperature.*between 0 and 100/],
    [['generate', '--model', modelDir, '--length', '-5'], /--length.*whole number/],
    [
      ['train', '--corpus', corpusFile, '--out', work],
      /is not empty and holds no gennet model; gennet will not write into it/,
    ],
    [['generate', '--model', modelDir, '--top-k', '0'], /--top-k.*whole number ≥ 1/],
    [['generate', '--model', modelDir, '--top-p', '1.5'], /--top-p.*in \(0, 1\]/],
    [['generate', '--model', modelDir, '--count', 'two'], /--count.*whole number/],
    [['temperatures', '--model', modelDir, '--temps', '0.3,abc'], /--temps.*"abc"/],
    [['temperatures', '--model', modelDir, '--prompts', 'a||b'], /--prompts.*none empty/],
    [
      ['generate', '--model', modelDir, '--prompt', 'Жук ', '--strict'],
      /never saw: "Ж", "у", "к"\. Remove or replace them/,
    ],
  ];
  for (const [args, message] of cases) {
    const run = gennet(...args);
    assert.notEqual(run.status, 0, args.join(' '));
    assert.match(run.stderr, message, args.join(' '));
    assert.doesNotMatch(run.stderr, /^\s+at /m, `no stack trace for ${args.join(' ')}`);
  }
});

test('bad corpora and damaged model directories: each a one-line error that says what to do, no stack trace', () => {
  const file = (name: string, text: string) => {
    writeFileSync(path.join(work, name), text);
    return path.join(work, name);
  };
  mkdirSync(path.join(work, 'a-folder'), { recursive: true });
  const damaged = (name: string, damage: (dir: string) => void) => {
    const dir = path.join(work, name);
    rmSync(dir, { recursive: true, force: true });
    cpSync(modelDir, dir, { recursive: true });
    damage(dir);
    return dir;
  };
  const editJson = (file: string, edit: (json: Record<string, unknown>) => void) => {
    const json = parseAs<Record<string, unknown>>(readFileSync(file, 'utf8'));
    edit(json);
    writeFileSync(file, JSON.stringify(json));
  };
  const fifo = (name: string) => {
    assert.equal(spawnSync('mkfifo', [path.join(work, name)]).status, 0);
    return path.join(work, name);
  };
  const train = (corpus: string, ...more: string[]) => [
    'train',
    '--corpus',
    corpus,
    '--out',
    path.join(work, 'never-written'),
    ...more,
  ];
  const cases: Array<[string[], RegExp]> = [
    [train(file('empty.txt', '')), /empty\.txt has no text/],
    [train(fifo('pipe.txt')), /pipe\.txt is a named pipe \(FIFO\), not a regular file; save the text to a regular/],
    [
      train(file('no-extension', 'some text')),
      /Cannot tell the format of corpus file .*no-extension.*give the format with --format csv\|json\|jsonl\|txt/,
    ],
    [
      train(
        file('wide.csv', `${Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',')}\n${'x,'.repeat(9_999)}x\n`),
      ),
      /available columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, … and 9,990 more\.$/m,
    ],
    [
      train(file('deep.json', `[${'{"text":'.repeat(20_000)}"x"${'}'.repeat(20_000)}]`)),
      /deep\.json nests its values too deeply to read/,
    ],
    [
      train(corpusFile, '--units', '100000'),
      /--units <n>' argument '100000' is invalid\. expected a whole number from 1 to 4096 \(an LSTM layer/,
    ],
    [
      train(corpusFile, '--threads', '64'),
      /--threads <n>' argument '64' is invalid\. expected a whole number from 1 to \d+ \(this machine's cores/,
    ],
    [
      train(corpusFile, '--seed', '9007199254740993'),
      /--seed <n>' argument '9007199254740993' is invalid\. expected a whole number ≥ 0 \(and below 2\^53\)/,
    ],
    [
      [
        'train',
        '--corpus',
        file('notes.txt', 'my notes, not to be lost. '.repeat(50)),
        '--out',
        path.join(work, 'notes.txt'),
      ],
      /notes\.txt" is a file, not a model folder; gennet will not replace it/,
    ],
    [['train', '--corpus', path.join(work, 'notes.txt'), '--out', ''], /The model folder \(--out\) is empty/],
    [train(path.join(work, 'notes.txt'), '--accept-changed-corpus'), /--accept-changed-corpus goes with --resume DIR/],
    [
      ['train', '--corpus', path.join(work, 'notes.txt'), '--out', '.'],
      /"\." is not empty and holds no gennet model; gennet will not write into it/,
    ],
    [
      train(file('short.txt', 'a short text'), '--seq-len', '100'),
      /fewer than one window of 101\. Use a larger --val, a shorter --seq-len or a larger corpus/,
    ],
    [
      train(file('broken.csv', 'id,text\n1,"fine"\n2,"broken\n3,"x"y"\n')),
      /broken\.csv is malformed at line \d+.*quote/,
    ],
    [
      train(file('columns.csv', 'id,body\n1,some text\n'), '--column', 'text'),
      /Unknown column 'text'\. Available columns: id, body/,
    ],
    [train(file('notes.docx', 'x')), /Cannot tell the format .*\.docx.*Supported extensions/],
    [train(path.join(work, 'a-folder')), /a-folder is a folder, not a regular file; save the text to a regular file/],
    [
      train(
        file('few-windows.txt', 'some text that makes a few windows. '.repeat(8)),
        '--seq-len',
        '10',
        '--batch',
        '64',
      ),
      /fewer than one batch of 64\. Use a smaller batch size \(--batch\), a shorter sequence length \(--seq-len\)/,
    ],
    [
      ['generate', '--model', damaged('no-weights', (dir) => rmSync(path.join(dir, 'weights.bin')))],
      /is not a complete model folder: weights\.bin is missing/,
    ],
    [
      ['generate', '--model', damaged('cut-weights', (dir) => truncateSync(path.join(dir, 'weights.bin'), 100))],
      /weights\.bin" does not match what config\.json records for it \(damaged, or changed since the save\)/,
    ],
    [
      [
        'generate',
        '--model',
        damaged('newer', (dir) => editJson(path.join(dir, 'config.json'), (c) => (c.version = 99))),
      ],
      /format version 99 by a newer gennet; this one reads versions 1 to \d+\. Upgrade/,
    ],
    [
      [
        'generate',
        '--model',
        damaged('fewer-tokens', (dir) =>
          editJson(path.join(dir, 'vocab.json'), (v) => (v.tokens = (v.tokens as string[]).slice(0, -2))),
        ),
      ],
      /vocab\.json" does not match what config\.json records for it/,
    ],
    [
      [
        'generate',
        '--model',
        damaged('bad-json', (dir) => writeFileSync(path.join(dir, 'model.json'), '{"modelTopology":')),
      ],
      /model\.json" does not match what config\.json records for it/,
    ],
    [['generate', '--model', modelDir, '--temperature', 'NaN'], /--temperature.*between 0 and 100, got "NaN"/],
    [['generate', '--model', modelDir, '--temperature', '1000'], /--temperature.*between 0 and 100, got "1000"/],
    [['train', '--resume', path.join(work, 'nowhere')], /Model directory ".*nowhere" does not exist/],
  ];
  for (const [args, message] of cases) {
    const run = gennet(...args);
    assert.equal(run.status, 1, args.join(' '));
    assert.match(run.stderr, message, args.join(' '));
    assert.doesNotMatch(run.stderr, /^\s+at /m, `no stack trace for ${args.join(' ')}`);
  }
  assert.equal(
    readFileSync(path.join(work, 'notes.txt'), 'utf8'),
    'my notes, not to be lost. '.repeat(50),
    'the text given as --out is untouched',
  );
  // The good model beside the damaged ones still loads.
  assert.equal(gennet('generate', '--model', modelDir, '--length', '5').status, 0);
});

test('a corpus with invalid UTF-8 bytes and mojibake trains, with both reported; --fix-mojibake repairs it', () => {
  const mojibake = (text: string) => Buffer.from(text).toString('latin1'); // UTF-8 misread as Latin-1, saved again
  const text = corpusText.slice(0, 6_000).replace(/the/g, 'the’s café');
  const bytes = Buffer.concat([
    Buffer.from(mojibake(text.slice(0, 3_000))),
    Buffer.from([0xff, 0xfe, 0x80]),
    Buffer.from(text.slice(3_000)),
  ]);
  const file = path.join(work, 'messy.txt');
  writeFileSync(file, bytes);
  const run = (...more: string[]) =>
    gennet(
      'train',
      '--corpus',
      file,
      '--seq-len',
      '30',
      '--units',
      '8',
      '--max-steps',
      '5',
      '--no-samples',
      '--json',
      '--out',
      path.join(work, 'messy'),
      ...more,
    );
  const plain = run();
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stderr, /corpus: warning: messy\.txt: 3 invalid UTF-8 sequences \(first at byte \d+\) replaced/);
  assert.match(
    plain.stderr,
    new RegExp(
      String.raw`corpus: warning: messy\.txt: \d+ runs of mojibake \(UTF-8 text once read as Windows-1252 or ` +
        String.raw`Latin-1\), e\.g\. "â\\x80\\x99" → "’".*--fix-mojibake`,
    ),
  );
  const fixed = run('--fix-mojibake');
  assert.equal(fixed.status, 0, fixed.stderr);
  assert.match(fixed.stderr, /runs of mojibake .*; repaired\./);
  assert.ok(
    parseAs<TrainOutput>(fixed.stdout).vocabSize < parseAs<TrainOutput>(plain.stdout).vocabSize,
    'the repaired text has fewer distinct characters',
  );
});

test(`a second gennet writing into a model folder is refused before \
it trains, naming the writer; the folder is unchanged`, async () => {
  const dir = path.join(work, 'locked');
  const lock = await lockModelFolder(dir);
  try {
    const run = gennet(
      'train',
      '--corpus',
      corpusFile,
      '--units',
      '8',
      '--seq-len',
      '20',
      '--max-steps',
      '2',
      '--no-samples',
      '--out',
      dir,
    );
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `is being written by another gennet \\(pid ${process.pid}, since .*\\); wait for it to end or choose ` +
          'another --out',
      ),
    );
    assert.doesNotMatch(run.stderr, /^\s+at /m);
  } finally {
    await lock.release();
  }
  assert.throws(() => readFileSync(path.join(dir, 'config.json')), /ENOENT/, 'nothing was saved');
});

test('gennet generate into a pipe its reader closes (| head) ends quietly with the SIGPIPE status', () => {
  // A 100 kB prompt (echoed first) outgrows the pipe's buffer whatever the model samples.
  const command =
    `set -o pipefail; "${process.execPath}" "${cli}" generate --model "${modelDir}" --prompt ` +
    `"${'the '.repeat(25_000)}" --length 10 | head -c 100 > /dev/null`;
  const run = spawnSync('bash', ['-c', command], { encoding: 'utf8', env: { ...process.env, GN_BACKEND: 'wasm' } });
  assert.equal(run.status, 141, run.stderr);
  assert.doesNotMatch(run.stderr, /EPIPE|^\s+at /m);
});

test('gennet train reads UTF-16 text by its byte-order mark, and a file without extension with --format', () => {
  const text = 'Grüße aus Köln, und viele Grüße zurück. '.repeat(40);
  const utf16 = path.join(work, 'utf16.txt');
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  const out = path.join(work, 'utf16-model');
  const run = gennet(
    'train',
    '--corpus',
    utf16,
    '--units',
    '8',
    '--seq-len',
    '20',
    '--max-steps',
    '1',
    '--no-samples',
    '--out',
    out,
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /utf16\.txt: read as UTF-16LE, as its byte-order mark says/);
  const { tokens } = parseAs<{ tokens: string[] }>(readFileSync(path.join(out, 'vocab.json'), 'utf8'));
  assert.deepEqual(
    tokens.filter((t) => !t.startsWith('<')).sort(),
    [...new Set(text)].sort(),
    'the characters of the text, no NUL bytes',
  );
  const bare = path.join(work, 'bare');
  writeFileSync(bare, text);
  const formatted = gennet(
    'train',
    '--corpus',
    bare,
    '--format',
    'txt',
    '--units',
    '8',
    '--seq-len',
    '20',
    '--max-steps',
    '1',
    '--no-samples',
    '--out',
    path.join(work, 'bare-model'),
  );
  assert.equal(formatted.status, 0, formatted.stderr);
});

test('no TensorFlow.js banner: training on the cpu backend with a worker thread prints none, on stdout or stderr', () => {
  const run = spawnSync(
    process.execPath,
    [
      cli,
      'train',
      '--corpus',
      corpusFile,
      '--engine',
      'fast',
      '--threads',
      '2',
      '--max-steps',
      '2',
      '--units',
      '8',
      '--no-samples',
      '--out',
      path.join(work, 'quiet'),
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, GN_BACKEND: 'cpu' } },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /backend: cpu/);
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /looks like you are running TensorFlow\.js in Node\.js/);
});

// Resource guards and the messages users meet (#25, item 4): a network that cannot fit in memory is refused before it
// is built, with the estimate; nothing from a corpus reaches the terminal as a control character; long lists are cut
// with a count; condition values, format versions and empty sources are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { familyNamed, type NetworkFamily, parseModelSpec } from '../src/families';
import { loadGenerator } from '../src/io';
import { listSome, printable, printableJson, quoted } from '../src/messages';
import { checkPrompts } from '../src/sample';
import { CharVocab } from '../src/vocab';
import { conditionValues } from '../src/model';
import { checkTrainingFits, type MemorySettings, trainingMemory } from '../src/train';
import { type GenerateOutput, parseAs, type TrainOutput } from './cliJson';
import { FIXTURE_DIR } from './savedModels';
import { copyModel, editConfig } from './tamper';

const cli = path.resolve(__dirname, '../../dist/cli.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-guards-'));

/** Runs `gennet` on the wasm backend, with `node` options before the script (e.g. a `--require`). */
function gennet(args: string[], nodeOptions: string[] = []) {
  const started = performance.now();
  const run = spawnSync(process.execPath, [...nodeOptions, cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, seconds: (performance.now() - started) / 1000 };
}

/** A text of made-up words, `lines` lines long. */
function wordsText(lines: number): string {
  const words = ['zorbly', 'quenti', 'malfo', 'the', 'vask', 'of', 'tirrin', 'and', 'plume', 'goss'];
  return Array.from({ length: lines }, (_, i) =>
    Array.from({ length: 6 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' '),
  ).join('\n');
}
const textFile = path.join(work, 'words.txt');
writeFileSync(textFile, wordsText(600));

// Raw bytes a terminal acts on: C0 controls but line feed and tab, DEL, C1, line/paragraph separators, bidi controls.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('printable escapes what a terminal acts on, one way; printableJson keeps the JSON value', () => {
  assert.equal(printable('a\x1b[2Jb\x1b]0;title\x07c\rd\x00e'), 'a\\x1b[2Jb\\x1b]0;title\\x07c\\rd\\x00e');
  assert.equal(printable('x\u202ey\u2066z\u2028\x9b\x7f'), 'x\\u202ey\\u2066z\\u2028\\x9b\\x7f');
  assert.equal(printable('two\nlines\tand a tab'), 'two\nlines\tand a tab', 'a multi-line text keeps its lines');
  assert.equal(printable('two\nlines\t', 'inline'), 'two\\nlines\\t');
  assert.equal(printable('naïve — 🐋 ok'), 'naïve — 🐋 ok', 'printable characters stay as they are');
  const value = { text: 'a\x1b\x9b\u202e\u2028b', n: 1 };
  const json = printableJson(JSON.stringify(value, null, 2));
  assert.doesNotMatch(json.replace(/\n/g, ''), RAW_CONTROL);
  assert.deepEqual(JSON.parse(json), value);
});

test('listSome lists at most ten and counts the rest; quoted cuts a long value', () => {
  assert.equal(listSome(['a', 'b']), 'a, b');
  assert.equal(listSome(['a\x1bb']), 'a\\x1bb');
  const many = Array.from({ length: 10_000 }, (_, i) => `value${i}`);
  assert.equal(listSome(many, String, 3), 'value0, value1, value2, … and 9,997 more');
  assert.equal(quoted('x\ny'), '"x\\ny"');
  assert.equal(quoted('abcdefghij'.repeat(1000), 4), '"abcd…" (10,000 characters)');
  const warnings: string[] = [];
  const unseen = Array.from({ length: 5000 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
  checkPrompts(CharVocab.build(['abc']), [unseen], false, (line) => warnings.push(line));
  assert.ok(warnings[0].length < 500, warnings[0].slice(0, 300));
  assert.ok(warnings[0].includes(`"${unseen.slice(0, 60)}…" (5,000 characters) contains characters`), warnings[0]);
  assert.match(warnings[0], /never saw: "一", "丁", "丂", .*, … and 4,990 more; they become <unk>/);
});

test("a 10,000-value condition's errors are short and say how many values there are", () => {
  const values = Array.from({ length: 10_000 }, (_, i) => `language-${i}`);
  const config = { conditions: [{ column: 'lang', values }], dim: 4, seed: 1 };
  for (const given of [{}, { lang: 'klingon' }, { lang: '  ' }] as Record<string, string>[]) {
    assert.throws(
      () => conditionValues(config, given),
      (error: Error) => {
        assert.ok(error.message.length < 500, `${error.message.length} characters: ${error.message.slice(0, 200)}…`);
        assert.match(error.message, /language-0, language-1, .*, … and 9,990 more/);
        return true;
      },
    );
  }
});

test('condition values are trimmed at generate as at train; a blank one is refused', () => {
  const config = { conditions: [{ column: 'lang', values: ['ab', 'mn'] }], dim: 4, seed: 1 };
  assert.deepEqual(conditionValues(config, { lang: ' ab ' }), ['ab']);
  assert.throws(() => conditionValues(config, { lang: ' ' }), /Condition "lang" is given an empty value; give one/);
  const trimmed = gennet(['generate', '--model', path.join(FIXTURE_DIR, 'conditional'), '--condition', 'lang= ab ']);
  assert.equal(trimmed.status, 0, trimmed.stderr);
});

test('a format version that is not a whole number from 1 to the latest is refused, saying which', async () => {
  const cases: [unknown, RegExp][] = [
    ['2', /records the format version "2"; gennet writes a whole number from 1 to \d+ there\. The file was edited/],
    [-1, /records the format version -1; gennet writes a whole number from 1/],
    [0, /records the format version 0;/],
    [2.5, /records the format version 2\.5;/],
    [null, /records the format version null;/],
    [undefined, /records no format version;/],
    [99, /saved in format version 99 by a newer gennet; this one reads versions 1 to \d+\. Upgrade/],
  ];
  for (const [version, message] of cases) {
    const dir = copyModel(path.join(FIXTURE_DIR, 'char-rnn'), path.join(work, `version-${String(version)}`));
    editConfig(dir, (config) => (config.version = version));
    await assert.rejects(loadGenerator(dir), message, `version ${JSON.stringify(version)}`);
  }
});

test('generate --source refuses an empty or blank source', () => {
  const model = path.join(FIXTURE_DIR, 'seq2seq');
  for (const source of ['', '   ']) {
    const run = gennet(['generate', '--model', model, '--source', source]);
    assert.equal(run.status, 1, `--source ${JSON.stringify(source)} was decoded: ${run.stdout}`);
    assert.match(
      run.stderr,
      /The source to decode is empty; .* translates a text of chars: give one \(--source TEXT\)/,
    );
  }
});

/** A table whose text, condition values and condition column's name hold terminal escape codes. */
function escapingTable(): { file: string; column: string } {
  const column = 'lang\x1b]0;pwned\x07';
  const values = ['ab\x1b[2J', '"x\ry"', 'm\x00n', 'c\x9bd\u202e'];
  const rows = Array.from({ length: 120 }, (_, i) => {
    const text = `${'abe xyo mni'.slice(i % 4, (i % 4) + 6)} \x1b[31mred\x1b[0m bell\x07 ${'cab'.repeat(1 + (i % 3))}`;
    return `${text},${values[i % values.length]}`;
  });
  const file = path.join(work, 'escapes.csv');
  writeFileSync(file, [`text,${column}`, ...rows].join('\n'));
  return { file, column };
}

test('escape codes in a corpus, its condition values and a CSV header reach stderr escaped', () => {
  const { file, column } = escapingTable();
  const model = path.join(work, 'escapes-model');
  const train = (...more: string[]) =>
    gennet(['train', '--corpus', file, '--mode', 'lines', '--seq-len', '24', '--batch', '8', ...more]);
  const trained = train('--condition', column, '--model', 'lstm:1x8', '--max-steps', '2', '--out', model);
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stderr, /column text\)/);
  assert.match(trained.stderr, /sample \(lang\\x1b\]0;pwned\\x07=/);
  const runs = [
    trained,
    train('--condition', 'colour', '--out', path.join(work, 'never')),
    gennet(['generate', '--model', model, '--condition', `${column}=zz`]),
    gennet(['generate', '--model', model]),
    gennet(['generate', '--model', model, '--condition', `${column}=ab\x1b[2J`, '--prompt', 'a\x9bb\u202e']),
  ];
  for (const run of runs) assert.doesNotMatch(run.stderr, RAW_CONTROL, run.stderr);
  // (the value's \r is a line end, read as \n like every line end of a corpus)
  for (const shown of [/ab\\x1b\[2J/, /c\\x9bd\\u202e/, /m\\x00n/, /x\\ny/]) assert.match(runs[2].stderr, shown);
  const json = gennet(['generate', '--model', model, '--condition', `${column}=c\x9bd\u202e`, '--json']);
  assert.equal(json.status, 0, json.stderr);
  assert.doesNotMatch(json.stdout, RAW_CONTROL, 'JSON on stdout escapes them too');
  assert.deepEqual(parseAs<GenerateOutput & { conditions: object }>(json.stdout).conditions, {
    [column]: 'c\x9bd\u202e',
  });
});

test('lstm:4x4096 is refused by train and compare within seconds, with the estimate', () => {
  // train chooses a batch of 16 for a small text; compare trains every model on batches of 32
  const estimate = (batch: number) =>
    new RegExp(
      String.raw`lstm:4x4096 has 47\d M parameters; training it on the \w+ engine needs about \d+ GB \(weights, ` +
        String.raw`gradients, Adam state, checkpoint copies, activations for batch ${batch} × 100 steps\), but .*` +
        String.raw`(available|can address \d\.\d GB)\. Choose fewer units or layers`,
    );
  const runs = [
    {
      batch: 16,
      run: gennet(['train', '--corpus', textFile, '--model', 'lstm:4x4096', '--out', path.join(work, 'huge')]),
    },
    {
      batch: 32,
      run: gennet(['compare', '--corpus', textFile, '--models', 'ngram:2,lstm:1x16,lstm:4x4096', '--max-steps', '2']),
    },
  ];
  for (const { batch, run } of runs) {
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, estimate(batch));
    assert.doesNotMatch(run.stderr, /compare: training/, 'refused before the first model trains');
    assert.ok(run.seconds < 20, `refused after ${run.seconds.toFixed(1)} s`);
  }
});

/** The network of `spec` for a char vocabulary of `vocabSize`, and the estimate of its run with `settings`. */
function estimate(spec: string, vocabSize: number, settings: Omit<MemorySettings, 'engine' | 'backend'>) {
  const { family: name, settings: given } = parseModelSpec(spec);
  const family = familyNamed(name) as NetworkFamily;
  const config = family.resolveConfig(given, { size: vocabSize, unit: 'char' });
  return { family, config, memory: trainingMemory(family, config, { engine: 'auto', backend: 'wasm', ...settings }) };
}

test('the estimate counts the parameters of the network it would build; a normal model passes', () => {
  for (const spec of ['lstm:2x32', 'gru:3x16', 'rnn:1x8', 'mlp:4x32', 'mlp:1x8']) {
    const { family, config, memory } = estimate(spec, 50, { batchSize: 32, seqLen: 100, threads: 1 });
    const network = family.build(config);
    assert.equal(memory.params, network.countParams(), spec);
    network.dispose();
  }
  const lesson = estimate('lstm', 80, { batchSize: 32, seqLen: 100, threads: 2 });
  checkTrainingFits('lstm', lesson.family, lesson.config, { batchSize: 32, seqLen: 100, engine: 'auto', threads: 2 });
});

test("the estimate of an MLP's run is within 1.5× of its measured peak memory", (t) => {
  // The peak resident memory of a run, less that of the same run of a tiny model: what the estimate stands for.
  const preload = path.join(work, 'peak.js');
  writeFileSync(
    preload,
    "process.on('exit', () => process.stderr.write(`maxRSS=${process.resourceUsage().maxRSS}\\n`));",
  );
  const peak = (spec: string) => {
    const run = gennet(
      [
        ...['train', '--corpus', textFile, '--model', spec, '--batch', '16', '--seq-len', '100', '--threads', '1'],
        ...['--max-steps', '2', '--val-max', '1600', '--no-samples', '--json', '--out', path.join(work, spec)],
      ],
      ['--require', preload],
    );
    assert.equal(run.status, 0, run.stderr);
    return { kilobytes: Number(/maxRSS=(\d+)/.exec(run.stderr)![1]), summary: parseAs<TrainOutput>(run.stdout) };
  };
  const tiny = peak('mlp:1x8');
  const measured = peak('mlp:16x512');
  const bytes = (measured.kilobytes - tiny.kilobytes) * 1024;
  const { memory } = estimate('mlp:16x512', measured.summary.vocabSize, { batchSize: 16, seqLen: 100, threads: 1 });
  const ratio = memory.bytes / bytes;
  t.diagnostic(
    `mlp:16x512: estimate ${(memory.bytes / 2 ** 20).toFixed(0)} MiB, measured ${(bytes / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.ok(ratio > 1 / 1.5 && ratio < 1.5, `estimate ${memory.bytes / 2 ** 20} MiB, measured ${bytes / 2 ** 20} MiB`);
});

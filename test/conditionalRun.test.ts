import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { engineNamed } from '../src/engines';
import { loadArtifact } from '../src/io';
import { conditionValues, conditionVectors } from '../src/model';
import { createRng } from '../src/random';
import { newRun, resumeRun, runTraining, type NewRunSettings } from '../src/session';
import { parseAs } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-conditional-'));

function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * A table no fixture holds: short random "words" whose letters only the `lang` column tells (a, b, e for `abe`;
 * x, y, z for `xyz`; the two share the space), with a `year` column to group by decade.
 */
function languageTable(rows: number, seed: number): string {
  const rng = createRng(seed);
  const alphabets = { abe: 'abe', xyz: 'xyz' };
  const lines = ['lang,year,text'];
  for (let i = 0; i < rows; i++) {
    const lang = rng() < 0.5 ? 'abe' : 'xyz';
    const letters = alphabets[lang];
    const word = () => Array.from({ length: 2 + Math.floor(rng() * 4) }, () => letters[Math.floor(rng() * 3)]).join('');
    lines.push(
      `${lang},${1900 + Math.floor(rng() * 30)},${Array.from({ length: 1 + Math.floor(rng() * 2) }, word).join(' ')}`,
    );
  }
  return lines.join('\n');
}

const table = path.join(work, 'languages.csv');
writeFileSync(table, languageTable(600, 31));
const model = path.join(work, 'model');

test(`gennet train --condition: valLoss well below the shuffled-conditions \
loss; generate --condition follows the condition`, (t) => {
  const run = gennet(
    'train',
    '--corpus',
    table,
    '--condition',
    'lang',
    '--mode',
    'lines',
    '--seq-len',
    '16',
    '--units',
    '24',
    '--batch',
    '16',
    '--epochs',
    '20',
    '--max-steps',
    '300',
    '--lr',
    '0.01',
    '--seed',
    '3',
    '--out',
    model,
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  const summary = parseAs<{
    conditions: Record<string, string[]>;
    valLoss: number;
    valLossShuffledConditions: number;
    steps: number;
  }>(run.stdout);
  assert.deepEqual(summary.conditions, { lang: ['abe', 'xyz'] });
  t.diagnostic(
    `val loss ${summary.valLoss.toFixed(3)}, ` +
      `with shuffled conditions ${summary.valLossShuffledConditions.toFixed(3)} (${summary.steps} steps)`,
  );
  assert.ok(
    summary.valLossShuffledConditions > summary.valLoss + 0.1,
    `val loss ${summary.valLoss}, shuffled ${summary.valLossShuffledConditions}`,
  );
  assert.match(run.stderr, /conditions lang \(2 values\)/);
  assert.match(run.stderr, /sample \(lang=(abe|xyz)\): /);

  for (const [lang, letters] of [
    ['abe', /^[abe ]+$/],
    ['xyz', /^[xyz ]+$/],
  ] as const) {
    for (const extra of [
      ['--temperature', '0'],
      ['--beam', '3'],
    ]) {
      const generated = gennet(
        'generate',
        '--model',
        model,
        '--condition',
        `lang=${lang}`,
        '--length',
        '8',
        ...extra,
        '--json',
      );
      assert.equal(generated.status, 0, generated.stderr);
      const output = parseAs<{ conditions: Record<string, string>; text: string }>(generated.stdout);
      assert.deepEqual(output.conditions, { lang });
      assert.match(output.text.trim(), letters, `lang=${lang} ${extra.join(' ')}: "${output.text}"`);
    }
  }
  const temperatures = gennet(
    'temperatures',
    '--model',
    model,
    '--condition',
    'lang=xyz',
    '--prompts',
    ' ',
    '--temps',
    '0,0.5',
    '--length',
    '8',
    '--json',
  );
  assert.equal(temperatures.status, 0, temperatures.stderr);
  for (const row of parseAs<Array<{ text: string }>>(temperatures.stdout))
    assert.match(row.text.trim(), /^[xyz ]*$/, `temperatures: "${row.text}"`);
});

test('gennet and the library name what is missing or unknown in conditions, with the known values', async () => {
  const missing = gennet('generate', '--model', model);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /This model generates under conditions; give lang=VALUE \(one of: abe, xyz\)/);
  const unknown = gennet('generate', '--model', model, '--condition', 'lang=fr');
  assert.match(unknown.stderr, /Unknown value "fr" for condition "lang"; the model knows: abe, xyz/);
  const other = gennet('generate', '--model', model, '--condition', 'party=Whig');
  assert.match(other.stderr, /The model has no condition "party"; its conditions: lang/);
  const twice = gennet('generate', '--model', model, '--condition', 'lang=abe', '--condition', 'lang=xyz');
  assert.match(twice.stderr, /condition "lang" is given twice/);
  const malformed = gennet('generate', '--model', model, '--condition', 'lang');
  assert.match(malformed.stderr, /expected COLUMN=VALUE \(e\.g\. party=Whig\), got "lang"/);
  const dimAlone = gennet('train', '--corpus', table, '--condition-dim', '8', '--out', path.join(work, 'unused'));
  assert.match(dimAlone.stderr, /--condition-dim sizes the vectors of a conditional model; add --condition COLUMN/);
  const noColumn = gennet('train', '--corpus', table, '--condition', 'party', '--out', path.join(work, 'unused'));
  assert.match(noColumn.stderr, /Condition column "party" is not in the corpus \(columns: lang, year, text\)/);

  const plain = path.join(work, 'plain');
  assert.equal(
    gennet(
      'train',
      '--corpus',
      table,
      '--seq-len',
      '16',
      '--units',
      '8',
      '--max-steps',
      '3',
      '--no-samples',
      '--out',
      plain,
    ).status,
    0,
  );
  assert.match(
    gennet('generate', '--model', plain, '--condition', 'lang=abe').stderr,
    /is not a conditional model; drop --condition/,
  );

  await initBackend('wasm');
  const loaded = await loadArtifact(model);
  const config = loaded.conditions!.config;
  assert.deepEqual(conditionValues(config, { lang: 'xyz' }), ['xyz']);
  const twoYears = {
    conditions: [
      { column: 'year:decade', values: ['1990s'] },
      { column: 'year:century', values: ['1900s'] },
      { column: 'year', values: ['1995'] },
    ],
    dim: 2,
    seed: 1,
  };
  assert.deepEqual(conditionValues(twoYears, { year: '1995', 'year:decade': '1990s', 'year:century': '1900s' }), [
    '1990s',
    '1900s',
    '1995',
  ]);
  const grouped = { ...twoYears, conditions: twoYears.conditions.slice(0, 2) };
  assert.throws(
    () => conditionValues(grouped, { year: '1990s' }),
    /"year" names year:decade and year:century; give the full name/,
  );
  const repeated = gennet(
    'train',
    '--corpus',
    table,
    '--condition',
    'lang',
    'lang',
    '--out',
    path.join(work, 'unused'),
  );
  assert.match(repeated.stderr, /Condition "lang" is given twice; give each condition once/);
  const vectors = conditionVectors(loaded.conditions!.encoder, config);
  assert.deepEqual(
    vectors.map((v) => `${v.column}=${v.value}`),
    ['lang=abe', 'lang=xyz'],
  );
  assert.ok(vectors.every((v) => v.vector.length === config.dim));
  loaded.network.dispose();
  loaded.conditions!.encoder.dispose();
});

test(`a conditional run (two conditions, one grouped by decade) interrupted and resumed ends as an uninterrupted \
run, on the fast engine (TensorFlow.js's Adam) and on the native one (its whole conditional steps)`, async (t) => {
  await initBackend('wasm');
  for (const engine of ['fast', 'native']) {
    if (engine === 'native' && engineNamed('native').unavailableReason() !== null) {
      t.diagnostic(`native: ${engineNamed('native').unavailableReason()}`);
      continue;
    }
    const settings: NewRunSettings = {
      data: { corpus: table, conditions: ['lang', 'year:decade'], mode: 'lines', seqLen: 16 },
      model: { layers: 2, units: 12, dropout: 0.2, seed: 2 }, // dropout: each engine's masks go on where they were
      training: { engine, threads: 1, batchSize: 16, epochs: 3, maxSteps: 70, learningRate: 0.01, seed: 5 },
      conditionDim: 5,
    };
    const dir = (name: string) => path.join(work, `${engine}-${name}`);
    const whole = await newRun(settings, dir('whole'));
    assert.deepEqual(whole.conditions!.config.conditions, [
      { column: 'lang', values: ['abe', 'xyz'] },
      { column: 'year:decade', values: ['1900s', '1910s', '1920s'] },
    ]);
    const expected = await runTraining(whole);

    const first = await newRun(settings, dir('stopped'));
    const controller = new AbortController();
    // in epoch 2
    const stop = { onBatchEnd: (record: { step: number }) => void (record.step === 40 && controller.abort()) };
    const interrupted = await runTraining(first, { callbacks: [stop], signal: controller.signal });
    assert.equal(interrupted.summary, null);
    const resumed = await resumeRun(dir('stopped'));
    assert.equal(resumed.resume?.step, 40);
    const outcome = await runTraining(resumed);
    assert.equal(outcome.summary?.engine, engine);
    assert.equal(outcome.summary?.steps, expected.summary?.steps);
    assert.deepEqual(
      outcome.result.history.batches.map((b) => b.loss),
      expected.result.history.batches.map((b) => b.loss),
      `${engine}: the same losses`,
    );
    assert.equal(outcome.summary?.valLoss, expected.summary?.valLoss);
    assert.equal(outcome.summary?.valLossShuffledConditions, expected.summary?.valLossShuffledConditions);
    assert.deepEqual(outcome.summary?.conditions, {
      lang: ['abe', 'xyz'],
      'year:decade': ['1900s', '1910s', '1920s'],
    });
    for (const file of ['weights.bin', 'condition-encoder.bin']) {
      assert.deepEqual(
        readFileSync(path.join(dir('stopped'), file)),
        readFileSync(path.join(dir('whole'), file)),
        file,
      );
    }
    for (const run of [whole, first, resumed]) {
      run.model.network.dispose();
      run.conditions?.encoder.dispose();
    }
  }
  tf.disposeVariables();
});

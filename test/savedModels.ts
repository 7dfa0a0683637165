// Saved models as users' data: small model folders of every kind, saved by an earlier build, and what they
// generated then (greedy, seeded sampling, beam search) on every engine that runs them; and short training commands
// with the losses and weight digests they gave. `makeSavedModels.ts` writes them once; `savedModels.test.ts` checks
// that the current build loads them and generates, and trains, exactly the same.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../src/random';
import { type BeamOutput, type GenerateOutput, parseAs } from './cliJson';

/** Where the fixtures live (in the source tree, not the build). */
export const FIXTURE_DIR = path.resolve(__dirname, '../../test/fixtures/models');
/** The corpus the fixtures were trained on (written once by `makeSavedModels.ts`, then committed). */
export const FIXTURE_CORPUS = path.join(FIXTURE_DIR, 'corpus.csv');
/** The expected generations and training results. */
export const EXPECTED_FILE = path.join(FIXTURE_DIR, 'expected.json');

const cli = path.resolve(__dirname, '../../dist/cli.js');

/** Runs `gennet` on the wasm backend; throws with its stderr when it fails. */
export function gennet(...args: string[]): string {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  if (run.status !== 0) throw new Error(`gennet ${args.join(' ')} failed (${run.status}):\n${run.stderr}`);
  return run.stdout;
}

/** A corpus table no other fixture holds: made-up sentences whose letters depend on a `lang` column. */
export function fixtureCorpus(): string {
  const rng = createRng(77);
  const alphabets: Record<string, string> = { ab: 'abe', xy: 'xyo', mn: 'mni' };
  const rows = ['text,lang'];
  for (let i = 0; i < 240; i++) {
    const lang = Object.keys(alphabets)[i % 3];
    const letters = alphabets[lang];
    const words = Array.from({ length: 2 + Math.floor(rng() * 4) }, () =>
      Array.from({ length: 1 + Math.floor(rng() * 5) }, () => letters[Math.floor(rng() * letters.length)]).join(''),
    );
    rows.push(`${words.join(' ')}.,${lang}`);
  }
  return `${rows.join('\n')}\n`;
}

/** One saved model: how it was trained and what to ask of it. */
export interface SavedModelCase {
  name: string;
  /** `gennet train` arguments (with `--out` added). */
  train: string[];
  /** Engines that run it (n-gram: none). */
  engines: string[];
  prompt: string;
  /** `--condition` values, for a conditional model. */
  condition?: Record<string, string>;
  /** `--source`, for a sequence-to-sequence model. */
  source?: string;
}

// The fixtures were trained before runs chose a schedule, decay, validations and patience: these flags keep the
// training of those days (see the README's "Training to quality").
const earlierDefaults = [
  '--epochs',
  '3',
  '--lr-schedule',
  'constant',
  '--warmup',
  '0',
  '--weight-decay',
  '0',
  '--eval-every',
  '0',
  '--patience',
  '0',
];
const common = [
  ...earlierDefaults,
  '--seq-len',
  '24',
  '--batch',
  '8',
  '--max-steps',
  '60',
  '--lr',
  '0.02',
  '--seed',
  '3',
  '--threads',
  '1',
  '--no-samples',
  '--val',
  '0.1',
];
const NETWORK_ENGINES = ['layers', 'fast', 'native'];
/** The sequence-to-sequence fixtures' data: 400 CMUdict words and their phonemes. */
const cmudictPairs = [
  '--corpus',
  'cmudict',
  '--limit',
  '400',
  '--task',
  'seq2seq',
  '--source-column',
  'word',
  '--target-column',
  'phonemes',
  '--level',
  'word',
];

/** The saved models: one of every kind. */
export const SAVED_MODELS: SavedModelCase[] = [
  {
    name: 'char-lstm-dropout',
    prompt: 'ab',
    train: [
      '--corpus',
      FIXTURE_CORPUS,
      '--column',
      'text',
      '--cell',
      'lstm',
      '--layers',
      '2',
      '--units',
      '12',
      '--dropout',
      '0.2',
      ...common,
    ],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'word-gru-embedding',
    prompt: 'xy',
    train: [
      '--corpus',
      FIXTURE_CORPUS,
      '--column',
      'text',
      '--level',
      'word',
      '--cell',
      'gru',
      '--units',
      '12',
      '--input',
      'embedding',
      '--embedding-dim',
      '6',
      ...common,
    ],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'char-rnn',
    prompt: 'm',
    train: ['--corpus', FIXTURE_CORPUS, '--column', 'text', '--cell', 'rnn', '--units', '10', ...common],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'ngram',
    prompt: 'ab',
    train: [
      '--corpus',
      FIXTURE_CORPUS,
      '--column',
      'text',
      '--cell',
      'ngram',
      '--order',
      '3',
      '--seed',
      '3',
      '--val',
      '0.1',
    ],
    engines: [],
  },
  {
    name: 'conditional',
    prompt: '',
    condition: { lang: 'xy' },
    train: [
      '--corpus',
      FIXTURE_CORPUS,
      '--column',
      'text',
      '--condition',
      'lang',
      '--condition-dim',
      '4',
      '--cell',
      'lstm',
      '--units',
      '12',
      '--mode',
      'lines',
      ...common,
    ],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'seq2seq',
    prompt: '',
    source: 'water',
    train: [...cmudictPairs, '--cell', 'lstm', '--units', '12', ...common],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'seq2seq-attention',
    prompt: '',
    source: 'water',
    train: [...cmudictPairs, '--model', 'gru:12', '--attention', 'luong', '--bidirectional', ...common],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'seq2seq-bahdanau',
    prompt: '',
    source: 'water',
    train: [...cmudictPairs, '--model', 'lstm:8', '--attention', 'bahdanau', ...common],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'seq2seq-dropout',
    prompt: '',
    source: 'water',
    train: [
      ...cmudictPairs,
      '--model',
      'lstm:2x8',
      '--attention',
      'luong',
      '--bidirectional',
      '--dropout',
      '0.3',
      '--encoder-dropout',
      '0.2',
      ...common,
    ],
    engines: NETWORK_ENGINES,
  },
  {
    name: 'mlp',
    prompt: 'ab',
    train: ['--corpus', FIXTURE_CORPUS, '--column', 'text', '--model', 'mlp:4x16', '--embedding-dim', '6', ...common],
    engines: ['layers'],
  },
  {
    name: 'gpt',
    prompt: 'xy',
    train: [
      '--corpus',
      FIXTURE_CORPUS,
      '--column',
      'text',
      '--model',
      'gpt:2x16:h2:ctx24',
      '--dropout',
      '0.1',
      ...common,
    ],
    engines: ['layers'],
  },
];

/** The models whose training is re-run per engine (`--max-steps 4` of the same command). */
export const RETRAINED = [
  'char-lstm-dropout',
  'word-gru-embedding',
  'conditional',
  'seq2seq',
  'seq2seq-attention',
  'seq2seq-bahdanau',
  'seq2seq-dropout',
  'gpt',
];

/** What one generation gave. */
export interface GenerationResult {
  text: string;
}

/** What a short training command gave: its losses and its weights' digests. */
export interface TrainingResult {
  trainLoss: number;
  valLoss: number | null;
  /** SHA-256 of each weights file the model folder holds. */
  digests: Record<string, string>;
}

/** The whole expectation: per model, per engine (`default` for an n-gram), per case. */
export interface Expected {
  generations: Record<string, Record<string, Record<string, GenerationResult>>>;
  training: Record<string, Record<string, TrainingResult>>;
}

/** The generation cases: greedy, seeded sampling with top-k, beam search, and two samples in one batch. */
export function generationCases(model: SavedModelCase): Record<string, string[]> {
  const given = [
    '--prompt',
    model.prompt,
    '--length',
    '30',
    ...(model.condition === undefined
      ? []
      : Object.entries(model.condition).flatMap(([k, v]) => ['--condition', `${k}=${v}`])),
    ...(model.source === undefined ? [] : ['--source', model.source]),
  ];
  return {
    greedy: [...given, '--temperature', '0'],
    sampled: [...given, '--temperature', '0.9', '--top-k', '5', '--seed', '11'],
    batch: [...given, '--temperature', '1.2', '--seed', '5', '--count', '2'],
    beam: [...given, '--beam', '3', '--count', '2'],
  };
}

/** Runs every generation case of `model` (in `dir`) on `engine` (null: the n-gram's own). */
export function runGenerations(
  model: SavedModelCase,
  dir: string,
  engine: string | null,
): Record<string, GenerationResult> {
  const out: Record<string, GenerationResult> = {};
  for (const [name, args] of Object.entries(generationCases(model))) {
    const printed = parseAs<GenerateOutput | BeamOutput>(
      gennet('generate', '--model', dir, ...args, ...(engine === null ? [] : ['--engine', engine]), '--json'),
    );
    const texts = ('samples' in printed ? printed.samples : printed.hypotheses).map((s) => s.text);
    out[name] = { text: texts.join('\n---\n') };
  }
  return out;
}

/** Trains `model`'s command for 4 steps on `engine` into `dir` and reads what it gave. */
export function runTraining(model: SavedModelCase, dir: string, engine: string): TrainingResult {
  const args = model.train.map((arg, i) => (model.train[i - 1] === '--max-steps' ? '4' : arg));
  const summary = parseAs<Pick<TrainingResult, 'trainLoss' | 'valLoss'>>(
    gennet('train', ...args, '--engine', engine, '--out', dir, '--json'),
  );
  const files = ['weights.bin', 'condition-encoder.bin', 'source-encoder.bin'];
  const digests: Record<string, string> = {};
  for (const file of files) {
    try {
      digests[file] = createHash('sha256')
        .update(readFileSync(path.join(dir, file)))
        .digest('hex');
    } catch {
      // not a file of this kind of model
    }
  }
  return { trainLoss: summary.trainLoss, valLoss: summary.valLoss, digests };
}

/** Reads the expectations. */
export const readExpected = (): Expected => parseAs<Expected>(readFileSync(EXPECTED_FILE, 'utf8'));
/** Writes the expectations. */
export const writeExpected = (expected: Expected) =>
  writeFileSync(EXPECTED_FILE, `${JSON.stringify(expected, null, 1)}\n`);

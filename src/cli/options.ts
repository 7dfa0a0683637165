import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  CORPUS_FORMATS,
  type CorpusFormat,
  decodeText,
  describeTextIssues,
  normaliseNewlines,
  SPLIT_MODES,
  type SplitMode,
} from '../corpus';
import { BACKENDS, type BackendName } from '../backend';
import { type InputPolicy, readInputFile, readStandardInput } from '../files';
import { DATA_MODES, type DataMode, type DataSettings, DEFAULT_DATA_SETTINGS, LEVELS } from '../data';
import { type EngineChoice, ENGINES } from '../engines';
import { checkTemperature, type SamplingOptions } from '../sample';
import { DEFAULT_TRAIN_CONFIG } from '../train';
import type { VocabularyUnit } from '../vocab';

/** Flags every model command has. */
export interface CommonFlags {
  backend?: BackendName | 'auto';
  engine: EngineChoice;
  json?: boolean;
}

/** Flags that choose and cut a corpus (see `addDataOptions`). */
export interface DataFlags extends CommonFlags {
  corpus?: string;
  format?: CorpusFormat;
  column?: string[];
  split: SplitMode;
  limit?: number;
  fixMojibake?: boolean;
  level: VocabularyUnit;
  lowercase?: boolean;
  minCount: number;
  maxVocab?: number;
  mode: DataMode;
  seqLen: number;
  val: number;
  valMax: number;
  seed: number;
}

/** The data settings that data flags give (`mode` left to the run's default unless typed: it depends on the task). */
export function dataSettingsOf(flags: DataFlags, command: Command): Omit<Partial<DataSettings>, 'corpus'> {
  return {
    format: flags.format ?? null,
    columns: flags.column ?? null,
    split: flags.split,
    limit: flags.limit ?? null,
    repairMojibake: flags.fixMojibake ?? false,
    level: flags.level,
    lowercase: flags.lowercase ?? false,
    minCount: flags.minCount,
    maxVocab: flags.maxVocab ?? null,
    mode: command.getOptionValueSource('mode') === 'cli' ? flags.mode : undefined,
    // untyped, a run takes its model's length (a GPT's context) or the default
    seqLen: command.getOptionValueSource('seqLen') === 'cli' ? flags.seqLen : undefined,
    valFraction: flags.val,
    seed: flags.seed,
  };
}

/** The validation cap of `--val-max` (0: every token, null). */
export const valMaxOf = (flags: DataFlags) => (flags.valMax > 0 ? flags.valMax : null);

/** A flag's name as typed (`--source-column`) from its key (`sourceColumn`). */
export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * A parser of whole numbers from `min` to `max` (`why` says what the upper limit protects) for a flag's value;
 * never beyond the integers a double holds exactly (2^53 − 1), where two different seeds would become one.
 */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER, why = '') {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min} (and below 2^53)` : `from ${min} to ${max}${why}`;
      throw new InvalidArgumentError(`expected a whole number ${range}, got "${value}".`);
    }
    return n;
  };
}

/** A parser of a comma-separated list of different whole numbers from `min` to `max` (e.g. beam widths `1,4,8`). */
export function integerList(min: number, max: number) {
  const one = integer(min, max);
  return (value: string): number[] => {
    const list = value.split(',').map((item) => one(item.trim()));
    const twice = list.find((n, i) => list.indexOf(n) !== i);
    if (twice !== undefined) throw new InvalidArgumentError(`${twice} comes twice in "${value}"; give each once.`);
    return list;
  };
}

/** A parser of finite numbers for which `check` holds (`range` describes them) for a flag's value. */
export function decimal(check: (n: number) => boolean, range: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n))
      throw new InvalidArgumentError(`expected a number ${range}, got "${value}".`);
    return n;
  };
}

/** Parses a comma-separated list of temperatures, each 0 (greedy) or a positive number up to 100. */
export function temperatureList(value: string): number[] {
  return value.split(',').map((item) => {
    const t = Number(item);
    if (item.trim() === '' || !Number.isFinite(t) || t < 0 || t > 100) {
      throw new InvalidArgumentError(
        `expected temperatures between 0 and 100 separated by commas (e.g. 0.3,0.8,1), got "${item}" in "${value}".`,
      );
    }
    return checkTemperature(t);
  });
}

/** Parses a "|"-separated list of prompts (spaces are kept: "Today |On Sunday "). */
export function promptList(value: string): string[] {
  const prompts = value.split('|');
  if (prompts.some((prompt) => prompt === ''))
    throw new InvalidArgumentError(`expected prompts separated by "|" with none empty, got "${value}".`);
  return prompts;
}

/** Collects repeated `--condition COLUMN=VALUE` flags into one record (a value may itself hold `=`). */
export function conditionAssignment(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1)
    throw new InvalidArgumentError(`expected COLUMN=VALUE (e.g. party=Whig), got "${value}".`);
  const column = value.slice(0, at);
  if (Object.hasOwn(previous, column)) throw new InvalidArgumentError(`condition "${column}" is given twice.`);
  return { ...previous, [column]: value.slice(at + 1) };
}

/**
 * Adds the options that choose and cut a corpus (`train` and `compare` read them alike; see {@link dataSettingsOf}).
 */
export function addDataOptions(command: Command): Command {
  const data = DEFAULT_DATA_SETTINGS;
  return command
    .option('--corpus <name|path>', 'built-in corpus name (see `gennet corpora`) or a .csv/.json/.jsonl/.txt file')
    .option('--column <name...>', 'text column(s) of a table corpus')
    .addOption(
      new Option('--split <how>', 'cut documents into lines, paragraphs or sentences')
        .choices(SPLIT_MODES)
        .default(data.split),
    )
    .option('--limit <n>', 'use only the first n documents', integer(1))
    .addOption(
      new Option('--format <format>', 'corpus file format (default: from the file extension)').choices(CORPUS_FORMATS),
    )
    .option(
      '--fix-mojibake',
      'repair mojibake in the corpus (UTF-8 text once read as Windows-1252 or Mac Roman, e.g. â€™ for ’)',
    )
    .addOption(
      new Option('--level <level>', 'tokens: characters, or words and punctuation (the lab)')
        .choices(LEVELS)
        .default(data.level),
    )
    .option('--lowercase', 'with --level word: lower-case all words')
    .option('--min-count <n>', 'tokens seen fewer times become <unk>', integer(1), data.minCount)
    .option('--max-vocab <n>', 'largest vocabulary (specials included); the rarest tokens become <unk>', integer(4))
    .addOption(
      new Option('--mode <mode>', 'windows over the text, or one padded example per document')
        .choices(DATA_MODES)
        .default(data.mode),
    )
    .option(
      '--seq-len <n>',
      'tokens (characters or words) per training window (a GPT: its context unless given)',
      integer(1),
      data.seqLen,
    )
    .option(
      '--val <fraction>',
      'share of the text held out for validation',
      decimal((n) => n >= 0 && n < 1, 'in [0, 1)'),
      data.valFraction,
    )
    .option(
      '--val-max <n>',
      'score at most about n validation tokens, spread over the split (0 = all of it)',
      integer(0),
      DEFAULT_TRAIN_CONFIG.valMaxTokens!,
    )
    .option('--seed <n>', 'seed for weights, batch order, the split of lines and samples', integer(0), 42);
}

/** Adds the options every model command has: --engine, --backend, --json. */
export function addRunOptions(command: Command, json: string): Command {
  return command
    .addOption(
      new Option(
        '--engine <engine>',
        'auto: the fastest engine that can run the model; or one by name (see `gennet engines`)',
      )
        .choices(['auto', ...ENGINES])
        .default('auto'),
    )
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend (default: GN_BACKEND or auto)').choices([
        'auto',
        ...BACKENDS,
      ]),
    )
    .option('--json', json);
}

/** Flags shared by `generate` and `temperatures`: how to sample, and how strictly to read prompts. */
export interface SamplingFlags extends CommonFlags {
  model: string;
  length: number;
  seed: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  strict?: boolean;
  condition?: Record<string, string>;
  source?: string;
}

export function samplingOf(flags: SamplingFlags): Omit<SamplingOptions, 'temperature'> {
  return { topK: flags.topK, topP: flags.topP, repetitionPenalty: flags.repetitionPenalty };
}

/** Adds the options of `generate` and `temperatures`: the model, length, seed and how to sample. */
export function addSamplingOptions(command: Command, seed: string): Command {
  return command
    .requiredOption('--model <dir>', 'model directory written by `gennet train`')
    .option('--length <n>', 'tokens (characters or words) to generate', integer(0), 300)
    .option('--seed <n>', seed, integer(0), 42)
    .option('--top-k <k>', 'sample only among the k most likely tokens', integer(1))
    .option(
      '--top-p <p>',
      'sample only among the most likely tokens that make up probability p',
      decimal((n) => n > 0 && n <= 1, 'in (0, 1]'),
    )
    .option(
      '--repetition-penalty <x>',
      'make recent tokens less likely (1 = off, 1.2 = mild)',
      decimal((n) => n > 0 && n <= 100, 'in (0, 100]'),
    )
    .option(
      '--strict',
      'refuse prompts with characters or words the model never saw (default: warn, they become <unk>)',
    )
    .option(
      '--condition <column=value>',
      'a conditional model: generate under this value of a condition, spaces around it trimmed as at training ' +
        '(repeat for each condition)',
      conditionAssignment,
    )
    .option('--source <text>', 'a sequence-to-sequence model: the source to decode');
}

/** How prompt files are read (see `readInputFile`): a prompt is text a model continues, not a corpus. */
const PROMPT_POLICY: InputPolicy = {
  what: 'Prompt file',
  maxBytes: 1_000_000,
  tooBig: 'pass a shorter excerpt (the end of the text you want continued)',
  instead: 'save the prompt to a regular file and pass that, or give it with --prompt',
};

/**
 * The text of a prompt file (UTF-8, or UTF-16/32 by its byte-order mark) as written — a final line break included —
 * with its line ends read as `\n` (the corpora a model learns from are read so); `log` hears about invalid bytes.
 * Only a regular file of at most 1 MB is read; anything else is refused naming the file and what to do. `-` reads
 * standard input, up to the same size.
 */
export async function readPromptFile(file: string, log: (line: string) => void): Promise<string> {
  const bytes = file === '-' ? await readStandardInput(PROMPT_POLICY) : await readInputFile(file, PROMPT_POLICY);
  const { text, issues } = decodeText(bytes);
  for (const line of describeTextIssues(issues, file === '-' ? 'standard input' : file)) log(`prompt: ${line}`);
  return normaliseNewlines(text);
}

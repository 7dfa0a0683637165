#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import { format } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendName, describeBackend, initBackend } from './backend';
import { builtinCorpora, describeCorpus, loadCorpus, SPLIT_MODES, SplitMode } from './corpus';
import { LoadedArtifact, loadArtifact, loadRunState, saveArtifact } from './io/artifact';
import { writeFileAtomically } from './io/atomicFile';
import { buildGenerator, CELLS, InputEncoding, INPUTS, ModelConfig, resolveModelConfig } from './model/generator';
import type { TrainedModel } from './model/trainedModel';
import { diversityFigure } from './plot/comparisonFigures';
import { figureToSvg } from './plot/figureToSvg';
import { formatComparison } from './sample/comparisonTable';
import { generateBatch } from './sample/generate';
import { checkTemperature, SamplingOptions } from './sample/sampler';
import { compareTemperatures, LESSON_PROMPTS, LESSON_TEMPERATURES } from './sample/temperatureComparison';
import { wordSet } from './sample/textMetrics';
import { unknownTokens, Vocabulary, VocabularyUnit } from './vocab';
import { createLivePage } from './plot/livePage';
import { lossFigure } from './plot/lossFigure';
import { checkpointEachEpoch, liveLossPlot, progressBar, sampleEachEpoch } from './train/callbacks';
import { DATA_MODES, DataMode, LEVELS, prepareCharData, prepareWordData, TokenData } from './train/prepare';
import { ENGINES, TrainingEngine } from './train/batchLoss';
import type { RunState } from './train/runState';
import { DEFAULT_TRAIN_CONFIG, train, TrainCallback, TrainConfig } from './train/trainer';

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}".`);
    return n;
  };
}

function decimal(check: (n: number) => boolean, range: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`expected a number ${range}, got "${value}".`);
    return n;
  };
}

/** Parses a comma-separated list of temperatures, each 0 (greedy) or a positive number up to 100. */
function temperatureList(value: string): number[] {
  return value.split(',').map((item) => {
    const t = Number(item);
    if (item.trim() === '' || !Number.isFinite(t) || t < 0 || t > 100) {
      throw new InvalidArgumentError(`expected temperatures between 0 and 100 separated by commas (e.g. 0.3,0.8,1), got "${item}" in "${value}".`);
    }
    return checkTemperature(t);
  });
}

/** Parses a "|"-separated list of prompts (spaces are kept: "Today |On Sunday "). */
function promptList(value: string): string[] {
  const prompts = value.split('|');
  if (prompts.some((prompt) => prompt === '')) throw new InvalidArgumentError(`expected prompts separated by "|" with none empty, got "${value}".`);
  return prompts;
}

/** Default of `gennet train --threads`: every core, up to 2 (more threads split a batch into parts too small to pay). */
const DEFAULT_THREADS = Math.min(2, availableParallelism());

const backendOption = () => new Option('--backend <name>', 'TensorFlow.js backend (default: GN_BACKEND or auto)').choices(['auto', ...BACKENDS]);

/** Prints one JSON document on stdout (machine-readable output of --json). */
function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Flags of `gennet train`: the model's settings (but the vocabulary size, known from the corpus) and the run's. */
type TrainFlags = Omit<ModelConfig, 'vocabSize' | 'input'> & {
  input?: InputEncoding;
  corpus?: string;
  resume?: string;
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
  batch: number;
  epochs: number;
  maxSteps?: number;
  lr: number;
  clip: number;
  val: number;
  out?: string;
  json?: boolean;
  samples: boolean;
  plot?: boolean;
  engine: TrainingEngine;
  threads: number;
  backend?: BackendName | 'auto';
};

/** What a training run works on, from the flags of a new run or from the directory of an interrupted one. */
interface TrainingJob {
  out: string;
  trained: TrainedModel;
  data: TokenData;
  level: VocabularyUnit;
  trainConfig: TrainConfig;
  /** Saved in config.json: enough to prepare the same data again and to continue the run. */
  settings: SavedTrainingSettings;
  resume?: RunState;
}

/** The training settings an artifact records (config.json `training`). */
type SavedTrainingSettings = TrainConfig & {
  corpus: string; columns: string[]; split: SplitMode; limit: number | null; repairMojibake: boolean; level: VocabularyUnit; lowercase: boolean;
  minCount: number; maxVocab: number | null; mode: DataMode; seqLen: number; valFraction: number; unigramEntropy: number;
};

/** Corpus and data settings: what `prepareData` needs to rebuild the same batches. */
type DataSettings = Omit<SavedTrainingSettings, keyof TrainConfig | 'unigramEntropy' | 'columns'> & { columns?: string[]; seed: number };

async function prepareData(settings: DataSettings, log: (line: string) => void) {
  const corpus = await loadCorpus(settings.corpus, {
    column: settings.columns, split: settings.split, limit: settings.limit ?? undefined, repairMojibake: settings.repairMojibake,
  });
  const stats = describeCorpus(corpus);
  log(`corpus: ${corpus.name} (${stats.documents} documents, ${stats.characters} characters, column ${corpus.columns.join('+')})`);
  for (const warning of corpus.warnings) log(`corpus: warning: ${warning}`);
  const options = { mode: settings.mode, seqLen: settings.seqLen, valFraction: settings.valFraction, seed: settings.seed, minCount: settings.minCount, maxVocab: settings.maxVocab ?? undefined };
  const data: TokenData = settings.level === 'word'
    ? prepareWordData(corpus.texts, { ...options, lowercase: settings.lowercase })
    : prepareCharData(corpus.texts, options);
  return { corpus, data };
}

async function newJob(flags: TrainFlags, log: (line: string) => void): Promise<TrainingJob> {
  if (flags.corpus === undefined) throw new Error("required option '--corpus <name|path>' not specified (or continue a run with --resume DIR).");
  if (flags.out === undefined) throw new Error("required option '--out <dir>' not specified.");
  const partial = {
    corpus: flags.corpus, columns: flags.column, split: flags.split, limit: flags.limit ?? null, repairMojibake: flags.fixMojibake ?? false,
    level: flags.level, lowercase: flags.lowercase ?? false,
    minCount: flags.minCount, maxVocab: flags.maxVocab ?? null, mode: flags.mode, seqLen: flags.seqLen, valFraction: flags.val, seed: flags.seed,
  };
  const { corpus, data } = await prepareData(partial, log);
  const config = resolveModelConfig({
    vocabSize: data.vocab.size, cell: flags.cell, layers: flags.layers, units: flags.units,
    input: flags.input ?? (flags.level === 'word' ? 'embedding' : 'onehot'),
    embeddingDim: flags.embeddingDim, dropout: flags.dropout, seed: flags.seed,
  });
  const trainConfig: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: flags.epochs, batchSize: flags.batch, learningRate: flags.lr, clipNorm: flags.clip > 0 ? flags.clip : null,
    seed: flags.seed, maxSteps: flags.maxSteps ?? null, charsPerToken: data.charsPerToken, engine: flags.engine, threads: flags.threads,
  };
  return {
    out: flags.out, data, level: flags.level, trainConfig,
    trained: { network: buildGenerator(config), vocab: data.vocab, config },
    settings: { ...partial, corpus: corpus.source, columns: corpus.columns, unigramEntropy: data.unigramEntropy, ...trainConfig },
  };
}

/** Options that `--resume` accepts: they change how the run is shown or computed, not what it computes. */
const RESUME_OPTIONS = ['resume', 'out', 'json', 'samples', 'plot', 'threads', 'backend'];

async function resumedJob(flags: TrainFlags, command: Command, log: (line: string) => void): Promise<TrainingJob> {
  const dir = flags.resume!;
  const conflicting = Object.keys(flags).filter((key) => command.getOptionValueSource(key) === 'cli' && !RESUME_OPTIONS.includes(key));
  if (conflicting.length > 0) {
    const names = conflicting.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new Error(`--resume continues the run in "${dir}" with its saved settings; drop ${names.join(', ')} (allowed with --resume: --json, --no-samples, --plot, --threads, --backend, --out).`);
  }
  const artifact = await loadArtifact(dir);
  const resume = await loadRunState(dir);
  const settings = artifact.saved.training as unknown as SavedTrainingSettings;
  const { data } = await prepareData(settings, log);
  if (JSON.stringify(data.vocab.toJSON()) !== JSON.stringify(artifact.vocab.toJSON())) {
    throw new Error(`The corpus "${settings.corpus}" is not the text the run in "${dir}" started on (its vocabulary differs); resuming needs the same corpus.`);
  }
  const threads = command.getOptionValueSource('threads') === 'cli' ? flags.threads : settings.threads;
  const trainConfig: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...pickTrainConfig(settings), threads };
  log(`resuming ${dir} at step ${resume.step} (epoch ${resume.epoch}, batch ${resume.batchInEpoch})`);
  return { out: flags.out ?? dir, data, level: settings.level, trainConfig, trained: artifact, settings: { ...settings, threads }, resume };
}

/** The training-loop settings among an artifact's saved settings. */
function pickTrainConfig(settings: SavedTrainingSettings): TrainConfig {
  const keys = Object.keys(DEFAULT_TRAIN_CONFIG) as (keyof TrainConfig)[];
  return Object.fromEntries(keys.map((key) => [key, settings[key] ?? DEFAULT_TRAIN_CONFIG[key]])) as unknown as TrainConfig;
}

/** Exit status of a process stopped by a signal (128 + its number), the shell convention. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Turns the first SIGINT/SIGTERM into an abort of `controller` (training stops after its current step and saves a
 * resumable checkpoint); a second one exits at once — the last complete checkpoint stays intact. Returns the
 * signal received (if any) and a function that removes the handlers.
 */
function stopOnSignals(controller: AbortController, log: (line: string) => void, out: string) {
  let received: keyof typeof SIGNAL_EXIT | null = null;
  const handler = (signal: keyof typeof SIGNAL_EXIT) => {
    if (received !== null) process.exit(SIGNAL_EXIT[signal]);
    received = signal;
    log(`\n${signal}: stopping after this step and saving a resumable checkpoint to ${out} (again to quit without saving)`);
    controller.abort();
  };
  const names = Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[];
  names.forEach((name) => process.on(name, handler));
  return { received: () => received, remove: () => names.forEach((name) => process.off(name, handler)) };
}

async function trainCommand(flags: TrainFlags, command: Command): Promise<void> {
  const backend = await initBackend(flags.backend);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`backend: ${describeBackend()}`);
  const job = flags.resume !== undefined ? await resumedJob(flags, command, log) : await newJob(flags, log);
  const { out, trained, data, level, trainConfig, settings } = job;
  const callbacks: TrainCallback[] = [
    progressBar(),
    checkpointEachEpoch(out, trained, (record) => ({ ...settings, lastEpoch: record })),
  ];
  if (flags.samples) callbacks.push(sampleEachEpoch(trained, { temperature: 0.8, seed: trainConfig.seed, log }));
  const page = flags.plot ? createLivePage({ layout: lossFigure({ batches: [], epochs: [] }).layout }) : null;
  if (page) {
    callbacks.push(liveLossPlot(page, 5));
    log(`live loss plot: ${await page.url} (the page fetches plotly.js from cdn.plot.ly)`);
  }
  const { config } = trained;
  log(`training ${config.cell} ${config.layers}×${config.units} (${trained.network.countParams()} parameters), ${level} vocabulary ${data.vocab.size}` +
    (level === 'word' ? ` (${data.charsPerToken.toFixed(2)} characters per token)` : ''));
  const controller = new AbortController();
  const signals = stopOnSignals(controller, log, out);
  const result = await train(trained.network, data, trainConfig, callbacks, { resume: job.resume, signal: controller.signal })
    .finally(() => page?.close());
  if (result.interrupted !== null) {
    await saveArtifact(out, trained, { ...settings, history: result.history }, result.interrupted);
    signals.remove();
    log(`Interrupted at step ${result.steps}: saved a resumable checkpoint to ${out}. Continue with: gennet train --resume ${out}`);
    process.exitCode = SIGNAL_EXIT[signals.received()!];
    return;
  }
  signals.remove();
  const summary = {
    backend,
    engine: trainConfig.engine,
    threads: trainConfig.threads,
    steps: result.steps,
    charsPerSecond: Math.round(result.charsPerSecond),
    trainLoss: result.trainLoss,
    valLoss: result.valLoss,
    valBitsPerChar: result.valBitsPerChar,
    valPerplexity: result.valLoss === null ? null : Math.exp(result.valLoss),
    unigramEntropy: data.unigramEntropy,
    level,
    charsPerToken: data.charsPerToken,
    vocabSize: data.vocab.size,
    params: trained.network.countParams(),
    seconds: result.seconds,
    out,
  };
  await saveArtifact(out, trained, { ...settings, result: summary, history: result.history });
  if (flags.json) printJson(summary);
  else {
    const val = result.valLoss === null ? '' : `, val loss ${result.valLoss.toFixed(3)} nats/${level} ` +
      `(perplexity ${summary.valPerplexity!.toFixed(1)}, ${result.valBitsPerChar!.toFixed(2)} bits/char)`;
    process.stdout.write(`Saved ${out}: ${result.steps} steps, train loss ${result.trainLoss.toFixed(3)}${val}, ${summary.charsPerSecond} chars/s\n`);
  }
}

/** Flags shared by `generate` and `temperatures`: how to sample, and how strictly to read prompts. */
interface SamplingFlags {
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  strict?: boolean;
}

/**
 * Warns (on stderr) about prompt tokens the model never saw, which it reads as `<unk>`; with `--strict` that is an
 * error instead.
 */
function checkPrompts(vocab: Vocabulary, prompts: readonly string[], strict: boolean | undefined, log: (line: string) => void): void {
  for (const prompt of prompts) {
    const unknown = unknownTokens(vocab, prompt);
    if (unknown.length === 0) continue;
    const what = `The prompt ${JSON.stringify(prompt)} contains ${vocab.unit === 'char' ? 'characters' : 'words'} the model never saw: ` +
      `${unknown.map((token) => JSON.stringify(token)).join(', ')}`;
    if (strict) throw new Error(`${what}. Remove or replace them, or drop --strict to let them become <unk>.`);
    log(`warning: ${what}; they become <unk>.`);
  }
}

function samplingOf(flags: SamplingFlags): Omit<SamplingOptions, 'temperature'> {
  return { topK: flags.topK, topP: flags.topP, repetitionPenalty: flags.repetitionPenalty };
}

interface GenerateFlags extends SamplingFlags {
  model: string;
  prompt: string;
  length: number;
  temperature: number;
  seed: number;
  count: number;
  json?: boolean;
  backend?: BackendName | 'auto';
}

async function generateCommand(flags: GenerateFlags): Promise<void> {
  const backend = await initBackend(flags.backend);
  const loaded = await loadArtifact(flags.model);
  checkPrompts(loaded.vocab, [flags.prompt], flags.strict, (line) => process.stderr.write(`${line}\n`));
  const request = { prompt: flags.prompt, temperature: flags.temperature, ...samplingOf(flags) };
  const seeds = Array.from({ length: flags.count }, (_, i) => flags.seed + i);
  const stream = flags.count === 1 && !flags.json;
  if (stream) process.stdout.write(flags.prompt);
  const generations = generateBatch(loaded, seeds.map((seed) => ({ ...request, seed })), {
    length: flags.length,
    onToken: stream ? (event) => process.stdout.write(event.text) : undefined,
  });
  if (stream) process.stdout.write('\n');
  else if (flags.json) {
    const samples = generations.map((g, i) => ({ seed: seeds[i], text: g.text, logLikelihood: g.logLikelihood, entropy: g.entropy }));
    printJson({ ...request, length: flags.length, seed: flags.seed, backend, text: samples[0].text, samples });
  } else {
    process.stdout.write(generations.map((g, i) => `--- seed ${seeds[i]}\n${g.text}\n`).join('\n'));
  }
}

interface TemperaturesFlags extends SamplingFlags {
  model: string;
  prompts: string[];
  temps: number[];
  length: number;
  seed: number;
  corpus?: string;
  json?: boolean;
  plot?: string;
  backend?: BackendName | 'auto';
}

/**
 * The words of the corpus the model was trained on (or of `--corpus`), for the "known words" metric;
 * null with a warning when that corpus cannot be loaded any more.
 */
async function trainingWords(loaded: LoadedArtifact, corpusFlag: string | undefined, log: (line: string) => void): Promise<Set<string> | null> {
  const training = loaded.saved.training as { corpus?: string; columns?: string[]; split?: SplitMode; limit?: number | null };
  const source = corpusFlag ?? training.corpus;
  if (source === undefined) {
    log('note: the model does not record its corpus; pass --corpus to measure the share of known words.');
    return null;
  }
  try {
    const options = corpusFlag === undefined ? { column: training.columns, split: training.split, limit: training.limit ?? undefined } : {};
    return wordSet((await loadCorpus(source, options)).texts);
  } catch (error) {
    if (corpusFlag !== undefined) throw error;
    log(`note: cannot reload the training corpus "${source}" (${error instanceof Error ? error.message : error}); pass --corpus to measure known words.`);
    return null;
  }
}

async function temperaturesCommand(flags: TemperaturesFlags): Promise<void> {
  const backend = await initBackend(flags.backend);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const loaded = await loadArtifact(flags.model);
  checkPrompts(loaded.vocab, flags.prompts, flags.strict, log);
  const knownWords = await trainingWords(loaded, flags.corpus, log);
  log(`backend: ${describeBackend()}; ${flags.prompts.length} prompts × ${flags.temps.length} temperatures × ${flags.length} tokens`);
  const rows = compareTemperatures(loaded, {
    prompts: flags.prompts, temperatures: flags.temps, length: flags.length, seed: flags.seed, knownWords: knownWords ?? undefined,
    ...samplingOf(flags),
  });
  if (flags.plot !== undefined) {
    await writeFileAtomically(flags.plot, await figureToSvg(diversityFigure(rows)));
    log(`figure written to ${flags.plot}`);
  }
  if (flags.json) printJson(rows);
  else process.stdout.write(`${formatComparison(rows)}\n(backend ${backend})\n`);
}

function corporaCommand(flags: { json?: boolean }): void {
  const list = builtinCorpora();
  if (flags.json) return printJson(list);
  for (const c of list) {
    process.stdout.write(`${c.name.padEnd(10)} ${c.offline ? 'built in ' : 'download '} ${c.description}\n`);
  }
}

/** Adds --top-k, --top-p, --repetition-penalty and --strict to a command. */
function addSamplingOptions(command: Command): Command {
  return command
    .option('--top-k <k>', 'sample only among the k most likely tokens', integer(1))
    .option('--top-p <p>', 'sample only among the most likely tokens that make up probability p', decimal((n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--repetition-penalty <x>', 'make recent tokens less likely (1 = off, 1.2 = mild)', decimal((n) => n > 0 && n <= 100, 'in (0, 100]'))
    .option('--strict', 'refuse prompts with characters or words the model never saw (default: warn, they become <unk>)');
}

/** The `gennet` command line: train, generate, temperatures, corpora. */
export function buildCli(): Command {
  const program = new Command('gennet').description('Character- and word-level RNN/GRU/LSTM text generators with TensorFlow.js').showHelpAfterError();
  program
    .command('train')
    .description('train a generator on a corpus and save it to a model directory (Ctrl-C saves a resumable checkpoint)')
    .option('--resume <dir>', 'continue the interrupted run saved in <dir> with its own settings')
    .option('--corpus <name|path>', 'built-in corpus name (see `gennet corpora`) or a .csv/.json/.jsonl/.txt file')
    .option('--column <name...>', 'text column(s) of a table corpus')
    .addOption(new Option('--split <how>', 'cut documents into lines, paragraphs or sentences').choices(SPLIT_MODES).default('none'))
    .option('--limit <n>', 'use only the first n documents', integer(1))
    .option('--fix-mojibake', 'repair mojibake in the corpus (UTF-8 text once read as Windows-1252 or Mac Roman, e.g. â€™ for ’)')
    .addOption(new Option('--level <level>', 'tokens: characters, or words and punctuation (the lab)').choices(LEVELS).default('char'))
    .option('--lowercase', 'with --level word: lower-case all words')
    .option('--min-count <n>', 'tokens seen fewer times become <unk>', integer(1), 1)
    .option('--max-vocab <n>', 'largest vocabulary (specials included); the rarest tokens become <unk>', integer(4))
    .addOption(new Option('--mode <mode>', 'windows over the text, or one padded example per document').choices(DATA_MODES).default('windows'))
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(CELLS).default('lstm'))
    .option('--layers <n>', 'recurrent layers', integer(1), 1)
    .option('--units <n>', 'units per layer', integer(1), 128)
    .addOption(new Option('--input <kind>', 'input encoding (default: onehot for characters, embedding for words)').choices(INPUTS))
    .option('--embedding-dim <n>', 'embedding size (with --input embedding)', integer(1), 64)
    .option('--dropout <rate>', 'dropout between layers', decimal((n) => n >= 0 && n < 1, 'in [0, 1)'), 0)
    .option('--seq-len <n>', 'tokens (characters or words) per training window', integer(1), 100)
    .option('--batch <n>', 'batch size', integer(1), DEFAULT_TRAIN_CONFIG.batchSize)
    .option('--epochs <n>', 'epochs', integer(1), DEFAULT_TRAIN_CONFIG.epochs)
    .option('--max-steps <n>', 'stop after n steps in total', integer(1))
    .option('--lr <x>', 'Adam learning rate', decimal((n) => n > 0, '> 0'), DEFAULT_TRAIN_CONFIG.learningRate)
    .option('--clip <x>', 'clip gradients to this global norm (0 = off)', decimal((n) => n >= 0, '≥ 0'), DEFAULT_TRAIN_CONFIG.clipNorm!)
    .option('--val <fraction>', 'share of the text held out for validation', decimal((n) => n >= 0 && n < 1, 'in [0, 1)'), 0.1)
    .option('--seed <n>', 'seed for weights, batch order and samples', integer(0), 42)
    .option('--out <dir>', 'model directory to write (checkpointed at every epoch end; with --resume: default <dir>)')
    .option('--no-samples', 'do not print a sample after each epoch')
    .option('--plot', 'stream a live loss curve to a local web page (nodeplotlib; the tab keeps the final curve)')
    .option('--json', 'print a JSON summary on stdout (progress stays on stderr)')
    .option('--threads <n>', 'threads computing each step (n − 1 worker threads share the batch rows)', integer(1), DEFAULT_THREADS)
    .addOption(new Option('--engine <engine>', 'fast: our recurrent kernels; layers: tfjs-layers cells (the reference)').choices(ENGINES).default(DEFAULT_TRAIN_CONFIG.engine))
    .addOption(backendOption())
    .action(trainCommand);
  const generateCmd = program
    .command('generate')
    .description('generate text from a trained model directory')
    .requiredOption('--model <dir>', 'model directory written by `gennet train`')
    .option('--prompt <text>', 'text to continue', '')
    .option('--length <n>', 'tokens (characters or words) to generate', integer(0), 300)
    .option('--temperature <t>', '0 = greedy; higher = more random', decimal((n) => n >= 0 && n <= 100, 'between 0 and 100'), 1)
    .option('--seed <n>', 'sampling seed (with --count, sample i uses seed + i)', integer(0), 42)
    .option('--count <n>', 'number of samples, generated together in one batch', integer(1), 1);
  addSamplingOptions(generateCmd)
    .option('--json', 'print a JSON document on stdout')
    .addOption(backendOption())
    .action(generateCommand);
  const temperaturesCmd = program
    .command('temperatures')
    .description("the lesson's comparison: every prompt continued at every temperature, with metrics per sample")
    .requiredOption('--model <dir>', 'model directory written by `gennet train`')
    .option('--prompts <list>', 'prompts separated by "|"', promptList, [...LESSON_PROMPTS])
    .option('--temps <list>', 'temperatures separated by commas (0 = greedy)', temperatureList, [...LESSON_TEMPERATURES])
    .option('--length <n>', 'tokens per sample', integer(0), 300)
    .option('--seed <n>', 'sampling seed of the first prompt (prompt i uses seed + i)', integer(0), 42)
    .option('--corpus <name|path>', 'corpus whose words count as known (default: the one the model was trained on)');
  addSamplingOptions(temperaturesCmd)
    .option('--json', 'print one JSON array of {prompt, temperature, text, metrics} rows on stdout')
    .option('--plot <file.svg>', 'also write the metrics-by-temperature figure as SVG')
    .addOption(backendOption())
    .action(temperaturesCommand);
  program.command('corpora').description('list the built-in corpora').option('--json', 'print JSON').action(corporaCommand);
  return program;
}

/**
 * Runs the CLI; a user error is printed as one line without a stack trace and exits with status 1.
 * stdout carries only the command's output (text or JSON): libraries' console.log chatter (e.g. nodeplotlib's
 * server messages) goes to stderr.
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  console.log = (...args: unknown[]) => process.stderr.write(`${format(...args)}\n`);
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`gennet: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    tf.disposeVariables();
  }
}

if (require.main === module) void main();

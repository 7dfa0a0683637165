#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendName, describeBackend, initBackend } from './backend';
import { builtinCorpora, describeCorpus, loadCorpus, SPLIT_MODES, SplitMode } from './corpus';
import { loadArtifact, saveArtifact } from './io/artifact';
import { buildGenerator, CELLS, INPUTS, ModelConfig, resolveModelConfig } from './model/generator';
import type { TrainedModel } from './model/trainedModel';
import { generate } from './sample/generate';
import { checkpointEachEpoch, progressBar, sampleEachEpoch } from './train/callbacks';
import { DATA_MODES, DataMode, prepareCharData } from './train/prepare';
import { DEFAULT_TRAIN_CONFIG, train, TrainCallback } from './train/trainer';

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

const backendOption = () => new Option('--backend <name>', 'TensorFlow.js backend (default: GN_BACKEND or auto)').choices(['auto', ...BACKENDS]);

/** Prints one JSON document on stdout (machine-readable output of --json). */
function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Flags of `gennet train`: the model's settings (but the vocabulary size, known from the corpus) and the run's. */
type TrainFlags = Omit<ModelConfig, 'vocabSize'> & {
  corpus: string;
  column?: string[];
  split: SplitMode;
  limit?: number;
  level: 'char';
  mode: DataMode;
  seqLen: number;
  batch: number;
  epochs: number;
  maxSteps?: number;
  lr: number;
  clip: number;
  val: number;
  out: string;
  json?: boolean;
  samples: boolean;
  backend?: BackendName | 'auto';
};

async function trainCommand(flags: TrainFlags): Promise<void> {
  const backend = await initBackend(flags.backend);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`backend: ${describeBackend()}`);
  const corpus = await loadCorpus(flags.corpus, { column: flags.column, split: flags.split, limit: flags.limit });
  const stats = describeCorpus(corpus);
  log(`corpus: ${corpus.name} (${stats.documents} documents, ${stats.characters} characters, column ${corpus.columns.join('+')})`);
  const data = prepareCharData(corpus.texts, { mode: flags.mode, seqLen: flags.seqLen, valFraction: flags.val, seed: flags.seed });
  const config = resolveModelConfig({
    vocabSize: data.vocab.size, cell: flags.cell, layers: flags.layers, units: flags.units, input: flags.input,
    embeddingDim: flags.embeddingDim, dropout: flags.dropout, seed: flags.seed,
  });
  const trained: TrainedModel = { network: buildGenerator(config), vocab: data.vocab, config };
  const trainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: flags.epochs, batchSize: flags.batch, learningRate: flags.lr, clipNorm: flags.clip > 0 ? flags.clip : null,
    seed: flags.seed, maxSteps: flags.maxSteps ?? null,
  };
  const settings = {
    corpus: corpus.source, columns: corpus.columns, split: flags.split, limit: flags.limit ?? null, level: flags.level,
    mode: flags.mode, seqLen: flags.seqLen, valFraction: flags.val, unigramEntropy: data.unigramEntropy, ...trainConfig,
  };
  const callbacks: TrainCallback[] = [
    progressBar(),
    checkpointEachEpoch(flags.out, trained, (record) => ({ ...settings, lastEpoch: record })),
  ];
  if (flags.samples) callbacks.push(sampleEachEpoch(trained, { temperature: 0.8, seed: flags.seed, log }));
  log(`training ${config.cell} ${config.layers}×${config.units} (${trained.network.countParams()} parameters), vocabulary ${data.vocab.size}`);
  const result = await train(trained.network, data, trainConfig, callbacks);
  const summary = {
    backend,
    steps: result.steps,
    charsPerSecond: Math.round(result.charsPerSecond),
    trainLoss: result.trainLoss,
    valLoss: result.valLoss,
    valBitsPerChar: result.valBitsPerChar,
    unigramEntropy: data.unigramEntropy,
    vocabSize: data.vocab.size,
    params: trained.network.countParams(),
    seconds: result.seconds,
    out: flags.out,
  };
  await saveArtifact(flags.out, trained, { ...settings, result: summary, history: result.history });
  if (flags.json) printJson(summary);
  else {
    const val = result.valLoss === null ? '' : `, val loss ${result.valLoss.toFixed(3)} (${result.valBitsPerChar!.toFixed(2)} bits/char)`;
    process.stdout.write(`Saved ${flags.out}: ${result.steps} steps, train loss ${result.trainLoss.toFixed(3)}${val}, ${summary.charsPerSecond} chars/s\n`);
  }
}

interface GenerateFlags {
  model: string;
  prompt: string;
  length: number;
  temperature: number;
  seed: number;
  json?: boolean;
  backend?: BackendName | 'auto';
}

async function generateCommand(flags: GenerateFlags): Promise<void> {
  const backend = await initBackend(flags.backend);
  const loaded = await loadArtifact(flags.model);
  const text = generate(loaded, { prompt: flags.prompt, length: flags.length, temperature: flags.temperature, seed: flags.seed });
  if (flags.json) printJson({ text, prompt: flags.prompt, length: flags.length, temperature: flags.temperature, seed: flags.seed, backend });
  else process.stdout.write(`${text}\n`);
}

function corporaCommand(flags: { json?: boolean }): void {
  const list = builtinCorpora();
  if (flags.json) return printJson(list);
  for (const c of list) {
    process.stdout.write(`${c.name.padEnd(10)} ${c.offline ? 'built in ' : 'download '} ${c.description}\n`);
  }
}

/** The `gennet` command line: train, generate, corpora. */
export function buildCli(): Command {
  const program = new Command('gennet').description('Character-level RNN/GRU/LSTM text generators with TensorFlow.js').showHelpAfterError();
  program
    .command('train')
    .description('train a generator on a corpus and save it to a model directory')
    .requiredOption('--corpus <name|path>', 'built-in corpus name (see `gennet corpora`) or a .csv/.json/.jsonl/.txt file')
    .option('--column <name...>', 'text column(s) of a table corpus')
    .addOption(new Option('--split <how>', 'cut documents into lines, paragraphs or sentences').choices(SPLIT_MODES).default('none'))
    .option('--limit <n>', 'use only the first n documents', integer(1))
    .addOption(new Option('--level <level>', 'token level').choices(['char']).default('char'))
    .addOption(new Option('--mode <mode>', 'windows over the text, or one padded example per document').choices(DATA_MODES).default('windows'))
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(CELLS).default('lstm'))
    .option('--layers <n>', 'recurrent layers', integer(1), 1)
    .option('--units <n>', 'units per layer', integer(1), 128)
    .addOption(new Option('--input <kind>', 'input encoding').choices(INPUTS).default('onehot'))
    .option('--embedding-dim <n>', 'embedding size (with --input embedding)', integer(1), 64)
    .option('--dropout <rate>', 'dropout between layers', decimal((n) => n >= 0 && n < 1, 'in [0, 1)'), 0)
    .option('--seq-len <n>', 'characters per training window', integer(1), 100)
    .option('--batch <n>', 'batch size', integer(1), DEFAULT_TRAIN_CONFIG.batchSize)
    .option('--epochs <n>', 'epochs', integer(1), DEFAULT_TRAIN_CONFIG.epochs)
    .option('--max-steps <n>', 'stop after n steps in total', integer(1))
    .option('--lr <x>', 'Adam learning rate', decimal((n) => n > 0, '> 0'), DEFAULT_TRAIN_CONFIG.learningRate)
    .option('--clip <x>', 'clip gradients to this global norm (0 = off)', decimal((n) => n >= 0, '≥ 0'), DEFAULT_TRAIN_CONFIG.clipNorm!)
    .option('--val <fraction>', 'share of the text held out for validation', decimal((n) => n >= 0 && n < 1, 'in [0, 1)'), 0.1)
    .option('--seed <n>', 'seed for weights, batch order and samples', integer(0), 42)
    .requiredOption('--out <dir>', 'model directory to write (checkpointed at every epoch end)')
    .option('--no-samples', 'do not print a sample after each epoch')
    .option('--json', 'print a JSON summary on stdout (progress stays on stderr)')
    .addOption(backendOption())
    .action(trainCommand);
  program
    .command('generate')
    .description('generate text from a trained model directory')
    .requiredOption('--model <dir>', 'model directory written by `gennet train`')
    .option('--prompt <text>', 'text to continue', '')
    .option('--length <n>', 'characters to generate', integer(0), 300)
    .option('--temperature <t>', '0 = greedy; higher = more random', decimal((n) => n >= 0 && n <= 100, 'between 0 and 100'), 1)
    .option('--seed <n>', 'sampling seed', integer(0), 42)
    .option('--json', 'print a JSON document on stdout')
    .addOption(backendOption())
    .action(generateCommand);
  program.command('corpora').description('list the built-in corpora').option('--json', 'print JSON').action(corporaCommand);
  return program;
}

/** Runs the CLI; a user error is printed as one line without a stack trace and exits with status 1. */
export async function main(argv: string[] = process.argv): Promise<void> {
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

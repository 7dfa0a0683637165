#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import { format } from 'node:util';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { BackendName, describeBackend, initBackend } from './backend';
import { addRunOptions, addSamplingOptions, decimal, integer, promptList, readPromptFile, temperatureList } from './cli/options';
import { exitQuietlyOnClosedPipe, SIGNAL_EXIT, stopOnSignals } from './cli/signals';
import { addWebCommands } from './cli/webCommands';
import { builtinCorpora, CORPUS_FORMATS, CorpusFormat, SPLIT_MODES, SplitMode } from './corpus';
import { DATA_MODES, DataMode, type DataSettings, DEFAULT_DATA_SETTINGS, LEVELS } from './data';
import { describeEngines, EngineChoice, selectEngine } from './engines';
import { describeFamilies, describeModel, engineOf, familyNamed, familyOf, type ModelSpec, parseModelSpec, parseModelSpecs, specFromFlags } from './families';
import { loadArtifact, loadGenerator, writeFileAtomically } from './io';
import { CELLS, conditionState, conditionValues, DEFAULT_MODEL_CONFIG, InputEncoding, INPUTS, sourceStates } from './model';
import { diversityFigure, figureToSvg, createLivePage, lossFigure, modelComparisonFigure } from './plot';
import {
  beamSearch, checkPrompts, compareTemperatures, evaluateTranslations, formatComparison, generateBatch, LESSON_PROMPTS, LESSON_TEMPERATURES, SamplingOptions,
} from './sample';
import {
  compareModels, type CompareRow, trainCountedRun, DEFAULT_CONDITION_DIM, evaluationPairs, generationProgressBar, liveLossPlot, newRun, progressBar, resumeRun, runTraining, sampleEachEpoch, sampleStart,
  trainingWords, TrainingRun,
} from './session';
import { DEFAULT_TRAIN_CONFIG, TrainCallback } from './train';
import type { VocabularyUnit } from './vocab';

const log = (line: string) => process.stderr.write(`${line}\n`);
/** Prints one JSON document on stdout (machine-readable output of --json). */
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Flags every model command has. */
interface CommonFlags {
  backend?: BackendName | 'auto';
  engine: EngineChoice;
  json?: boolean;
}

/** Flags that choose and cut a corpus (see `addDataOptions`), and of the training steps (`addStepOptions`). */
interface DataFlags extends CommonFlags {
  corpus?: string; format?: CorpusFormat; column?: string[]; split: SplitMode; limit?: number; fixMojibake?: boolean;
  level: VocabularyUnit; lowercase?: boolean; minCount: number; maxVocab?: number; mode: DataMode; seqLen: number; val: number; valMax: number; seed: number;
  batch: number; maxSteps?: number; lr: number; threads: number;
}

/** The data settings that data flags give (`mode` left to the run's default unless typed: it depends on the task). */
function dataSettingsOf(flags: DataFlags, command: Command): Omit<Partial<DataSettings>, 'corpus'> {
  return {
    format: flags.format ?? null, columns: flags.column ?? null, split: flags.split, limit: flags.limit ?? null, repairMojibake: flags.fixMojibake ?? false,
    level: flags.level, lowercase: flags.lowercase ?? false, minCount: flags.minCount, maxVocab: flags.maxVocab ?? null,
    mode: command.getOptionValueSource('mode') === 'cli' ? flags.mode : undefined, seqLen: flags.seqLen, valFraction: flags.val, seed: flags.seed,
  };
}

/** The validation cap of `--val-max` (0: every token, null). */
const valMaxOf = (flags: DataFlags) => (flags.valMax > 0 ? flags.valMax : null);

/** Flags of `gennet train`. */
interface TrainFlags extends DataFlags {
  resume?: string; out?: string; condition?: string[]; conditionDim: number; task: Task; sourceColumn?: string; targetColumn?: string; sourceLevel?: VocabularyUnit;
  model?: ModelSpec; cell: string; order: number; layers: number; units: number; input?: InputEncoding; embeddingDim: number; dropout: number;
  epochs: number; clip: number; samples: boolean; plot?: boolean; acceptChangedCorpus?: boolean;
}

/** A flag's name as typed (`--source-column`) from its key (`sourceColumn`). */
const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** What `gennet train` builds: a language model (plain or conditional), or a sequence-to-sequence model. */
const TASKS = ['lm', 'seq2seq'] as const;
type Task = (typeof TASKS)[number];

/** The source column, target columns and source level of `train` flags, checked against `--task`. */
function pairColumnsOf(flags: TrainFlags): { sourceColumn: string | null; columns: string[] | null; sourceLevel: VocabularyUnit } {
  if (flags.task === 'lm') {
    const given = (['sourceColumn', 'targetColumn', 'sourceLevel'] as const).filter((key) => flags[key] !== undefined);
    if (given.length > 0) throw new Error(`${given.map(flagName).join(', ')} go with --task seq2seq.`);
    return { sourceColumn: null, columns: flags.column ?? null, sourceLevel: DEFAULT_DATA_SETTINGS.sourceLevel };
  }
  if (flags.sourceColumn === undefined) throw new Error('--task seq2seq needs --source-column S (the column to read) and --target-column T (the column to write).');
  if (flags.targetColumn !== undefined && flags.column !== undefined) throw new Error('--target-column and --column both name the target; give one.');
  const target = flags.targetColumn ?? flags.column;
  if (target === undefined) throw new Error('--task seq2seq needs --target-column T (the column the model learns to write).');
  if ((typeof target === 'string' ? [target] : target).includes(flags.sourceColumn)) throw new Error(`The source column "${flags.sourceColumn}" is also the target; a model that copies its input learns nothing. Name two columns.`);
  return { sourceColumn: flags.sourceColumn, columns: typeof target === 'string' ? [target] : target, sourceLevel: flags.sourceLevel ?? DEFAULT_DATA_SETTINGS.sourceLevel };
}

/** Options that `--resume` accepts: they change how the run is shown or computed, not what it computes. */
const RESUME_OPTIONS = ['resume', 'out', 'json', 'samples', 'plot', 'threads', 'backend', 'engine', 'acceptChangedCorpus'];

/** The run that `gennet train` flags describe: a new one, or the interrupted one in `--resume DIR`. */
async function runOf(flags: TrainFlags, command: Command, spec: ModelSpec): Promise<TrainingRun> {
  const fromCli = (key: string) => command.getOptionValueSource(key) === 'cli';
  if (flags.resume !== undefined) {
    const conflicting = Object.keys(flags).filter((key) => fromCli(key) && !RESUME_OPTIONS.includes(key));
    if (conflicting.length > 0) {
      const names = conflicting.map(flagName);
      throw new Error(`--resume continues the run in "${flags.resume}" with its saved settings; drop ${names.join(', ')} (allowed with --resume: --json, --no-samples, --plot, --threads, --engine, --backend, --out, --accept-changed-corpus).`);
    }
    const changed = {
      threads: fromCli('threads') ? flags.threads : undefined,
      engine: fromCli('engine') ? flags.engine : undefined,
      acceptChangedCorpus: flags.acceptChangedCorpus,
    };
    return resumeRun(flags.resume, { out: flags.out, ...changed }, log);
  }
  if (flags.corpus === undefined) throw new Error("required option '--corpus <name|path>' not specified (or continue a run with --resume DIR).");
  if (flags.out === undefined) throw new Error("required option '--out <dir>' not specified.");
  if (flags.acceptChangedCorpus) throw new Error('--accept-changed-corpus goes with --resume DIR (a new run has no earlier text to compare).');
  if (fromCli('conditionDim') && flags.condition === undefined) throw new Error('--condition-dim sizes the vectors of a conditional model; add --condition COLUMN, or drop it.');
  return newRun({
    data: { ...dataSettingsOf(flags, command), corpus: flags.corpus, ...pairColumnsOf(flags), conditions: flags.condition ?? null },
    // The spec, and only the model settings typed (each family has its own defaults and refuses what it does not have).
    model: { spec: spec.label, seed: flags.seed, ...Object.fromEntries(MODEL_FLAGS.filter((key) => fromCli(key)).map((key) => [key, flags[key]])) },
    training: {
      engine: flags.engine, threads: flags.threads, epochs: flags.epochs, batchSize: flags.batch, learningRate: flags.lr,
      clipNorm: flags.clip > 0 ? flags.clip : null, seed: flags.seed, maxSteps: flags.maxSteps ?? null, valMaxTokens: valMaxOf(flags),
    },
    conditionDim: flags.conditionDim,
  }, flags.out, log);
}

/** `train` options that set a network's settings beside its spec (each family takes those it has). */
const MODEL_FLAGS = ['input', 'embeddingDim', 'dropout'] as const;
/** The older flags that give the model's spec (`--model` replaces them). */
const SPEC_FLAGS = ['cell', 'layers', 'units', 'order'] as const;

/**
 * The model `gennet train` flags ask for: `--model SPEC`, or the spec the older flags give (`--cell`, `--layers`,
 * `--units`, `--order`); a flag the spec does not use is refused.
 */
function modelSpecOf(flags: TrainFlags, command: Command): ModelSpec {
  const typed = SPEC_FLAGS.filter((key) => command.getOptionValueSource(key) === 'cli');
  if (flags.model !== undefined) {
    if (typed.length > 0) throw new Error(`--model ${flags.model.label} gives the model; drop ${typed.map(flagName).join(', ')}.`);
    return flags.model;
  }
  const spec = specFromFlags({ cell: flags.cell, layers: flags.layers, units: flags.units, order: flags.order });
  const unused = typed.filter((key) => key !== 'cell' && !(key in spec.settings)); // --cell chooses the family
  if (unused.length > 0) throw new Error(`${unused.map(flagName).join(', ')} ${unused.length === 1 ? 'does' : 'do'} not apply to ${spec.label} (a model of the ${spec.family} family); drop ${unused.length === 1 ? 'it' : 'them'}, or see gennet models.`);
  return spec;
}

/** `train` options that only networks have: refused for a counted model. */
const NETWORK_ONLY = [
  'resume', 'condition', 'conditionDim', 'sourceColumn', 'targetColumn', 'sourceLevel', 'layers', 'units', 'input', 'embeddingDim', 'dropout',
  'epochs', 'maxSteps', 'lr', 'clip', 'plot', 'threads', 'engine', 'backend', 'samples', 'acceptChangedCorpus',
];

/** `gennet train` of a counted family (`ngram:5`): counts the model in seconds, scores it as a network, saves it. */
async function countedTrainCommand(flags: TrainFlags, command: Command, spec: ModelSpec): Promise<void> {
  const refused: string[] = NETWORK_ONLY.filter((key) => command.getOptionValueSource(key) === 'cli');
  if (flags.task !== 'lm') refused.push('task');
  const names = refused.map((key) => (key === 'samples' ? '--no-samples' : flagName(key)));
  if (refused.length > 0) throw new Error(`${names.join(', ')} ${refused.length === 1 ? 'does' : 'do'} not apply to ${spec.label}, a counted model; drop ${refused.length === 1 ? 'it' : 'them'}.`);
  if (flags.corpus === undefined) throw new Error("required option '--corpus <name|path>' not specified.");
  if (flags.out === undefined) throw new Error("required option '--out <dir>' not specified.");
  const { model, summary } = await trainCountedRun({
    data: { ...dataSettingsOf(flags, command), corpus: flags.corpus }, spec, batchSize: flags.batch, valMaxTokens: valMaxOf(flags),
  }, flags.out, log);
  if (flags.json) return void printJson(summary);
  const val = summary.valLoss === null ? '' : `, val loss ${summary.valLoss.toFixed(3)} nats/${summary.level} (${summary.valBitsPerChar!.toFixed(2)} bits/char)`;
  process.stdout.write(`Saved ${flags.out}: ${describeModel(model).shape}, ${summary.params} counts, train loss ${summary.trainLoss.toFixed(3)}${val}, ${summary.seconds.toFixed(2)} s\n`);
}

async function trainCommand(flags: TrainFlags, command: Command): Promise<void> {
  const spec = flags.resume === undefined ? modelSpecOf(flags, command) : null;
  if (spec !== null && familyNamed(spec.family).training === 'counts') return countedTrainCommand(flags, command, spec);
  await initBackend(flags.backend);
  log(`backend: ${describeBackend()}`);
  const run = await runOf(flags, command, spec!);
  const { model, data, out, settings, conditions, source } = run;
  // Once the steps are over, Ctrl-C quits at once again: the model is saved atomically, the last checkpoint stays whole.
  const callbacks: TrainCallback[] = [progressBar(), { onTrainEnd: () => signals.remove() }];
  if (flags.samples) {
    // A sequence-to-sequence model shows its greedy translation of one source; others a sample at T = 0.8.
    const temperature = source === null ? 0.8 : 0;
    callbacks.push(sampleEachEpoch(model, { temperature, seed: settings.training.seed, engine: settings.training.engine, log, from: sampleStart(run) }));
  }
  const page = flags.plot ? createLivePage({ layout: lossFigure({ batches: [], epochs: [] }).layout }) : null;
  if (page) {
    callbacks.push(liveLossPlot(page, 5, { unit: data.vocab.unit }));
    log(`live loss plot: ${await page.url}`);
  }
  const encoderParams = (conditions ?? source)?.encoder.countParams() ?? 0;
  log(`training ${describeModel(model).shape} (${model.network.countParams() + encoderParams} parameters${encoderParams > 0 ? `, ${encoderParams} of them the encoder's` : ''}), ${data.vocab.unit} vocabulary ${data.vocab.size}` +
    (data.vocab.unit === 'word' ? ` (${data.charsPerToken.toFixed(2)} characters per token)` : '') +
    `, engine ${selectEngine(settings.training.engine, model.network).name}` +
    (conditions === null ? '' : `; conditions ${conditions.config.conditions.map((c) => `${c.column} (${c.values.length} values)`).join(', ')}`) +
    (source === null ? '' : `; encoder of ${settings.data.sourceColumn} (${source.vocab.unit} vocabulary ${source.vocab.size}, sources up to ${source.config.maxLen} tokens)`));
  const controller = new AbortController();
  const signals = stopOnSignals(controller, out);
  const { result, summary } = await runTraining(run, { callbacks, signal: controller.signal }).finally(() => {
    page?.close();
    signals.remove();
  });
  if (summary === null) {
    log(`Interrupted at step ${result.steps}: saved a resumable checkpoint to ${out}. Continue with: gennet train --resume ${out}`);
    process.exitCode = SIGNAL_EXIT[signals.received() ?? 'SIGINT'];
  } else if (flags.json) printJson(summary);
  else {
    const shuffledLoss = summary.valLossShuffledConditions ?? summary.valLossShuffledSources;
    const shuffled = shuffledLoss == null ? '' : `; with shuffled ${summary.source === undefined ? 'conditions' : 'sources'} ${shuffledLoss.toFixed(3)}`;
    const val = summary.valLoss === null ? '' : `, val loss ${summary.valLoss.toFixed(3)} nats/${summary.level} ` +
      `(perplexity ${summary.valPerplexity!.toFixed(1)}, ${summary.valBitsPerChar!.toFixed(2)} bits/char${shuffled})`;
    process.stdout.write(`Saved ${out}: ${summary.steps} steps, train loss ${summary.trainLoss.toFixed(3)}${val}, ${summary.charsPerSecond} chars/s\n`);
  }
}

/** Flags shared by `generate` and `temperatures`: how to sample, and how strictly to read prompts. */
interface SamplingFlags extends CommonFlags {
  model: string; length: number; seed: number; topK?: number; topP?: number; repetitionPenalty?: number; strict?: boolean; condition?: Record<string, string>;
  source?: string;
}

function samplingOf(flags: SamplingFlags): Omit<SamplingOptions, 'temperature'> {
  return { topK: flags.topK, topP: flags.topP, repetitionPenalty: flags.repetitionPenalty };
}

/**
 * Loads `--model` on the chosen backend and picks the engine that will run it; for a conditional model, the state
 * its encoder gives the `--condition` values (all of them required), for a sequence-to-sequence model the state its
 * encoder gives `--source`: every generation starts from it.
 */
async function loadForSampling(flags: SamplingFlags, prompts: readonly string[]) {
  const backend = await initBackend(flags.backend);
  const loaded = await loadGenerator(flags.model);
  const family = familyOf(loaded);
  if (family.engines.length === 0 && (flags.engine !== 'auto' || flags.backend !== undefined)) {
    throw new Error(`"${flags.model}" holds a model of the ${family.name} family, which runs on its own (no engine, no backend); drop --engine and --backend.`);
  }
  const { conditions, source } = loaded;
  if (conditions === null && flags.condition !== undefined) throw new Error(`"${flags.model}" is not a conditional model; drop --condition.`);
  if (source === null && flags.source !== undefined) throw new Error(`"${flags.model}" is not a sequence-to-sequence model; drop --source.`);
  if (source !== null && flags.source === undefined) throw new Error(`"${flags.model}" is a sequence-to-sequence model (it reads ${source.vocab.unit}s); give --source TEXT to decode.`);
  const values = conditions === null ? null : conditionValues(conditions.config, flags.condition ?? {});
  if (source !== null) checkPrompts(source.vocab, [flags.source!], flags.strict ?? false, log);
  const initialState = conditions !== null ? conditionState(conditions.encoder, conditions.config, values!)
    : source !== null ? sourceStates(source, [flags.source!])[0] : undefined;
  checkPrompts(loaded.vocab, prompts, flags.strict ?? false, log);
  const given = conditions === null ? undefined : Object.fromEntries(conditions.config.conditions.map((c, j) => [c.column, values![j]]));
  return { backend, loaded, engine: engineOf(loaded, flags.engine) ?? family.name, initialState, conditions: given, seq2seq: source !== null };
}

/** Flags of `gennet generate`. */
type GenerateFlags = SamplingFlags & { prompt: string; promptFile?: string; temperature: number; count: number; beam?: number; lengthPenalty: number };

async function generateCommand(flags: GenerateFlags, command: Command): Promise<void> {
  if (command.getOptionValueSource('lengthPenalty') === 'cli') throw new Error('--length-penalty ranks beam-search hypotheses; add --beam K, or drop it.');
  const { backend, loaded, engine, initialState, conditions, seq2seq } = await loadForSampling(flags, [flags.prompt]);
  // A sequence-to-sequence model decodes greedily unless a temperature is asked for: its target has one right answer.
  const temperature = seq2seq && command.getOptionValueSource('temperature') !== 'cli' ? 0 : flags.temperature;
  const request = { prompt: flags.prompt, temperature, ...samplingOf(flags) };
  const seeds = Array.from({ length: flags.count }, (_, i) => flags.seed + i);
  const stream = flags.count === 1 && !flags.json;
  if (stream) process.stdout.write(flags.prompt);
  const bar = stream ? null : generationProgressBar(flags.count * flags.length); // samples printed at the end: show the wait
  const generations = generateBatch(loaded, seeds.map((seed) => ({ ...request, seed, initialState })), {
    length: flags.length, engine, onToken: stream ? (event) => process.stdout.write(event.text) : () => bar!.tick(),
  });
  bar?.stop();
  if (stream) process.stdout.write('\n');
  else if (flags.json) {
    const samples = generations.map((g, i) => ({ seed: seeds[i], text: g.text, logLikelihood: g.logLikelihood, entropy: g.entropy }));
    printJson({ ...request, conditions, length: flags.length, seed: flags.seed, backend, engine, text: samples[0].text, samples });
  } else process.stdout.write(generations.map((g, i) => `--- seed ${seeds[i]}\n${g.text}\n`).join('\n'));
}

/** Sampling flags that mean nothing to beam search, which always takes the most probable tokens. */
const SAMPLING_ONLY = { temperature: '--temperature', topK: '--top-k', topP: '--top-p', repetitionPenalty: '--repetition-penalty', seed: '--seed' };

async function beamCommand(flags: GenerateFlags & { beam: number }, command: Command): Promise<void> {
  const given = Object.entries(SAMPLING_ONLY).filter(([key]) => command.getOptionValueSource(key) === 'cli').map(([, name]) => name);
  if (given.length > 0) throw new Error(`--beam searches for the most probable text, with no randomness; drop ${given.join(', ')} (or drop --beam to sample).`);
  if (flags.count > flags.beam) throw new Error(`--count ${flags.count} asks for more hypotheses than --beam ${flags.beam} keeps; use --count ≤ ${flags.beam}.`);
  const { backend, loaded, engine, initialState, conditions } = await loadForSampling(flags, [flags.prompt]);
  const hypotheses = beamSearch(loaded, {
    prompt: flags.prompt, beam: flags.beam, length: flags.length, lengthPenalty: flags.lengthPenalty, count: flags.count, engine, initialState,
  });
  if (flags.json) {
    const rows = hypotheses.map(({ text, score, totalLogProb, logLikelihood, entropy, endedAtEos }) => ({ text, score, totalLogProb, logLikelihood, entropy, endedAtEos }));
    printJson({ prompt: flags.prompt, conditions, beam: flags.beam, lengthPenalty: flags.lengthPenalty, length: flags.length, backend, engine, text: rows[0].text, hypotheses: rows });
  } else if (hypotheses.length === 1) process.stdout.write(`${hypotheses[0].text}\n`);
  else process.stdout.write(hypotheses.map((h, i) => `--- hypothesis ${i + 1}, score ${h.score.toFixed(3)}\n${h.text}\n`).join('\n'));
}

/** Flags of `gennet evaluate`. */
interface EvaluateFlags extends CommonFlags {
  model: string; corpus?: string; beam: number; lengthPenalty: number; length: number; limit?: number;
}

async function evaluateCommand(flags: EvaluateFlags, command: Command): Promise<void> {
  if (command.getOptionValueSource('lengthPenalty') === 'cli' && flags.beam === 1) throw new Error('--length-penalty ranks beam-search hypotheses; add --beam K, or drop it.');
  const backend = await initBackend(flags.backend);
  const loaded = await loadArtifact(flags.model);
  const pairs = (await evaluationPairs(loaded, flags.corpus, log)).slice(0, flags.limit);
  const engine = selectEngine(flags.engine, loaded.network).name;
  log(`decoding ${pairs.length} sources (${flags.beam === 1 ? 'greedy' : `beam ${flags.beam}`}), engine ${engine}`);
  const scores = evaluateTranslations(loaded, loaded.source!, pairs, { beam: flags.beam, lengthPenalty: flags.lengthPenalty, length: flags.length, engine });
  if (scores.skipped > 0) log(`evaluate: left out ${scores.skipped} pairs whose source is longer than the model reads (${loaded.source!.config.maxLen} tokens)`);
  if (flags.json) return void printJson({ ...scores, beam: flags.beam, backend, engine });
  const shown = scores.results.filter((r) => !r.exact).slice(0, 10);
  process.stdout.write(`exact match ${(100 * scores.exactMatch).toFixed(1)}% of ${scores.pairs} pairs, token error rate ${(100 * scores.tokenErrorRate).toFixed(1)}%\n` +
    (shown.length === 0 ? '' : `some misses (source → output / target):\n${shown.map((r) => `  ${r.source} → ${r.output} / ${r.target}`).join('\n')}\n`));
}

async function temperaturesCommand(flags: SamplingFlags & { prompts: string[]; temps: number[]; corpus?: string; plot?: string }): Promise<void> {
  const { backend, loaded, engine, initialState } = await loadForSampling(flags, flags.prompts);
  const knownWords = await trainingWords(loaded, flags.corpus, log);
  log(`backend: ${describeBackend()}, engine ${engine}; ${flags.prompts.length} prompts × ${flags.temps.length} temperatures × ${flags.length} tokens`);
  const rows = compareTemperatures(loaded, {
    prompts: flags.prompts, temperatures: flags.temps, length: flags.length, seed: flags.seed, knownWords: knownWords ?? undefined, engine, initialState,
    ...samplingOf(flags),
  });
  if (flags.plot !== undefined) {
    await writeFileAtomically(flags.plot, await figureToSvg(diversityFigure(rows)));
    log(`figure written to ${flags.plot}`);
  }
  if (flags.json) printJson(rows);
  else process.stdout.write(`${formatComparison(rows)}\n(backend ${backend})\n`);
}

/** Flags of `gennet compare`. */
interface CompareFlags extends DataFlags {
  models: ModelSpec[]; seconds?: number; sampleLength: number; temperature: number; plot?: string;
}

async function compareCommand(flags: CompareFlags, command: Command): Promise<void> {
  if (flags.corpus === undefined) throw new Error("required option '--corpus <name|path>' not specified.");
  await initBackend(flags.backend);
  log(`backend: ${describeBackend()}`);
  const rows = await compareModels({
    data: { ...dataSettingsOf(flags, command), corpus: flags.corpus }, models: flags.models, maxSteps: flags.maxSteps ?? null, seconds: flags.seconds ?? null,
    seed: flags.seed, batchSize: flags.batch, learningRate: flags.lr, engine: flags.engine, threads: flags.threads,
    valMaxTokens: valMaxOf(flags), sampleLength: flags.sampleLength, temperature: flags.temperature,
  }, log);
  if (flags.plot !== undefined) {
    await writeFileAtomically(flags.plot, await figureToSvg(modelComparisonFigure(rows)));
    log(`figure written to ${flags.plot}`);
  }
  if (flags.json) printJson(rows);
  else process.stdout.write(`${comparisonTable(rows)}\n`);
}

/** The comparison as a plain-text table, one model a line, its sample on one line cut to 60 characters. */
function comparisonTable(rows: readonly CompareRow[]): string {
  const lines = [['model', 'params', 'steps', 'seconds', 'chars/s', 'val bits/char', 'sample'], ...rows.map((r) => [
    r.model, String(r.params), String(r.steps), r.seconds.toFixed(1), String(r.charsPerSecond), r.valBitsPerChar.toFixed(3),
    JSON.stringify(r.sample.length > 60 ? `${r.sample.slice(0, 60)}…` : r.sample),
  ])];
  const widths = lines[0].map((_, c) => Math.max(...lines.map((line) => line[c].length)));
  return lines.map((line) => line.map((cell, c) => (c === line.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

function corporaCommand(flags: { json?: boolean }): void {
  const list = builtinCorpora();
  if (flags.json) return void printJson(list);
  for (const c of list) process.stdout.write(`${c.name.padEnd(10)} ${c.offline ? 'built in ' : 'download '} ${c.description}\n`);
}

function modelsCommand(flags: { json?: boolean }): void {
  const list = describeFamilies();
  if (flags.json) return void printJson(list);
  for (const f of list) {
    const can = (Object.keys(f.supports) as (keyof typeof f.supports)[]).filter((key) => f.supports[key]);
    process.stdout.write(`${f.name.padEnd(10)} ${f.spec}  (e.g. ${f.example})\n           ${f.description}\n` +
      `           ${f.training === 'counts' ? 'counted, no engine' : `engines: ${f.engines.join(', ')}`}; supports: ${can.join(', ')}\n`);
  }
}

function enginesCommand(flags: { json?: boolean }): void {
  const list = describeEngines();
  if (flags.json) return void printJson(list);
  for (const e of list) process.stdout.write(`${e.name.padEnd(8)} ${e.available ? 'available  ' : 'unavailable'} ${e.reason ?? e.description}\n`);
}

/** Adds the options that choose and cut a corpus (`train` and `compare` read them alike; see {@link dataSettingsOf}). */
function addDataOptions(command: Command): Command {
  const data = DEFAULT_DATA_SETTINGS;
  return command
    .option('--corpus <name|path>', 'built-in corpus name (see `gennet corpora`) or a .csv/.json/.jsonl/.txt file')
    .option('--column <name...>', 'text column(s) of a table corpus')
    .addOption(new Option('--split <how>', 'cut documents into lines, paragraphs or sentences').choices(SPLIT_MODES).default(data.split))
    .option('--limit <n>', 'use only the first n documents', integer(1))
    .addOption(new Option('--format <format>', 'corpus file format (default: from the file extension)').choices(CORPUS_FORMATS))
    .option('--fix-mojibake', 'repair mojibake in the corpus (UTF-8 text once read as Windows-1252 or Mac Roman, e.g. â€™ for ’)')
    .addOption(new Option('--level <level>', 'tokens: characters, or words and punctuation (the lab)').choices(LEVELS).default(data.level))
    .option('--lowercase', 'with --level word: lower-case all words')
    .option('--min-count <n>', 'tokens seen fewer times become <unk>', integer(1), data.minCount)
    .option('--max-vocab <n>', 'largest vocabulary (specials included); the rarest tokens become <unk>', integer(4))
    .addOption(new Option('--mode <mode>', 'windows over the text, or one padded example per document').choices(DATA_MODES).default(data.mode))
    .option('--seq-len <n>', 'tokens (characters or words) per training window', integer(1), data.seqLen)
    .option('--val <fraction>', 'share of the text held out for validation', decimal((n) => n >= 0 && n < 1, 'in [0, 1)'), data.valFraction)
    .option('--val-max <n>', 'score at most about n validation tokens, spread over the split (0 = all of it)', integer(0), DEFAULT_TRAIN_CONFIG.valMaxTokens!)
    .option('--seed <n>', 'seed for weights, batch order, the split of lines and samples', integer(0), 42);
}

/** Adds the options of the training steps that `train` and `compare` share. */
function addStepOptions(command: Command): Command {
  return command
    .option('--batch <n>', 'batch size', integer(1), DEFAULT_TRAIN_CONFIG.batchSize)
    .option('--max-steps <n>', 'stop after n steps in total', integer(1))
    .option('--lr <x>', 'Adam learning rate', decimal((n) => n > 0, '> 0'), DEFAULT_TRAIN_CONFIG.learningRate)
    .option('--threads <n>', 'threads computing each step (n − 1 worker threads share the batch rows)',
      integer(1, availableParallelism(), ` (this machine's cores; more threads only cost memory)`), Math.min(2, availableParallelism()));
}

/** The `gennet` command line: train, generate, temperatures, evaluate, compare, corpora, engines, serve, export-web. */
export function buildCli(): Command {
  const program = new Command('gennet').description('Character- and word-level RNN/GRU/LSTM text generators with TensorFlow.js').showHelpAfterError();
  const train = program
    .command('train')
    .description('train a generator on a corpus and save it to a model directory (Ctrl-C saves a resumable checkpoint)')
    .option('--resume <dir>', 'continue the interrupted run saved in <dir> with its own settings')
    .option('--condition <column...>', 'train a conditional model: each value of these columns gets a learned vector that sets the initial state ' +
      '(a numeric column grouped: year:decade, year:century)')
    .option('--condition-dim <n>', 'with --condition: size of each value\'s learned vector', integer(1, 4096), DEFAULT_CONDITION_DIM)
    .addOption(new Option('--task <task>', 'lm: a language model (plain, or conditional with --condition); seq2seq: an encoder–decoder from one column to another')
      .choices(TASKS).default('lm'))
    .option('--source-column <name>', 'with --task seq2seq: the column the encoder reads')
    .option('--target-column <name>', 'with --task seq2seq: the column the decoder learns to write')
    .addOption(new Option('--source-level <level>', 'with --task seq2seq: source tokens (the target\'s are --level; default char)').choices(LEVELS));
  addDataOptions(train)
    .option('--model <spec>', 'the model as a spec: lstm:2x256, gru, ngram:5, mlp:8x128… (see gennet models; instead of --cell, --layers, --units, --order)', parseModelSpec)
    .addOption(new Option('--cell <cell>', 'recurrent cell, or ngram for a Markov chain (interpolated Kneser–Ney)').choices([...CELLS, 'ngram']).default(DEFAULT_MODEL_CONFIG.cell))
    .option('--order <n>', 'with --cell ngram: the order N (the last N − 1 tokens are the context)', integer(1, 12), 5)
    .option('--layers <n>', 'recurrent layers', integer(1, 16), DEFAULT_MODEL_CONFIG.layers)
    .option('--units <n>', 'units per layer', integer(1, 4096, ' (an LSTM layer of 4096 units already has 67 M recurrent weights)'), DEFAULT_MODEL_CONFIG.units)
    .addOption(new Option('--input <kind>', 'input encoding (default: onehot for characters, embedding for words)').choices(INPUTS))
    .option('--embedding-dim <n>', 'embedding size (with --input embedding)', integer(1, 4096), DEFAULT_MODEL_CONFIG.embeddingDim)
    .option('--dropout <rate>', 'dropout between layers', decimal((n) => n >= 0 && n < 1, 'in [0, 1)'), DEFAULT_MODEL_CONFIG.dropout)
    .option('--epochs <n>', 'epochs', integer(1), DEFAULT_TRAIN_CONFIG.epochs)
    .option('--clip <x>', 'clip gradients to this global norm (0 = off)', decimal((n) => n >= 0, '≥ 0'), DEFAULT_TRAIN_CONFIG.clipNorm!)
    .option('--out <dir>', 'model directory to write (checkpointed at every epoch end; with --resume: default <dir>)')
    .option('--no-samples', 'do not print a sample after each epoch')
    .option('--accept-changed-corpus', 'with --resume: go on although the corpus text changed since the run started')
    .option('--plot', 'stream a live loss curve to a local web page (nodeplotlib; the tab keeps the final curve)');
  addStepOptions(train);
  addRunOptions(train, 'print a JSON summary on stdout (progress stays on stderr)').action(trainCommand);
  const generate = program
    .command('generate')
    .description('generate text from a trained model directory')
    .option('--prompt <text>', 'text to continue', '')
    .option('--prompt-file <path>', 'continue the text of this file (UTF-8, as written; instead of --prompt)')
    .option('--temperature <t>', '0 = greedy; higher = more random', decimal((n) => n >= 0 && n <= 100, 'between 0 and 100'), 1)
    .option('--count <n>', 'number of samples, generated together in one batch (with --beam: the n best hypotheses)', integer(1), 1)
    .option('--beam <k>', 'beam search with k hypotheses instead of sampling: deterministic, the most probable text (1 = greedy)', integer(1, 1000))
    .option('--length-penalty <alpha>', "with --beam: rank by log P / ((5 + n) / 6)^alpha (GNMT's; 0 = plain log P)", decimal((n) => n >= 0 && n <= 10, 'between 0 and 10'), 0.6);
  addSamplingOptions(generate, 'sampling seed (with --count, sample i uses seed + i)');
  addRunOptions(generate, 'print a JSON document on stdout').action(async (flags: GenerateFlags, command: Command) => {
    if (flags.promptFile !== undefined && command.getOptionValueSource('prompt') === 'cli') throw new Error('Give the prompt with --prompt or with --prompt-file, not both.');
    const prompted = flags.promptFile === undefined ? flags : { ...flags, prompt: await readPromptFile(flags.promptFile, log) };
    return prompted.beam === undefined ? generateCommand(prompted, command) : beamCommand({ ...prompted, beam: prompted.beam }, command);
  });
  const temperatures = program
    .command('temperatures')
    .description("the lesson's comparison: every prompt continued at every temperature, with metrics per sample")
    .option('--prompts <list>', 'prompts separated by "|"', promptList, [...LESSON_PROMPTS])
    .option('--temps <list>', 'temperatures separated by commas (0 = greedy)', temperatureList, [...LESSON_TEMPERATURES])
    .option('--corpus <name|path>', 'corpus whose words count as known (default: the one the model was trained on)')
    .option('--plot <file.svg>', 'also write the metrics-by-temperature figure as SVG');
  addSamplingOptions(temperatures, 'sampling seed of the first prompt (prompt i uses seed + i)');
  addRunOptions(temperatures, 'print one JSON array of {prompt, temperature, text, metrics} rows on stdout').action(temperaturesCommand);
  const evaluate = program
    .command('evaluate')
    .description('score a sequence-to-sequence model: exact-match accuracy and token error rate on its validation pairs or a corpus')
    .requiredOption('--model <dir>', 'model directory written by `gennet train --task seq2seq`')
    .option('--corpus <name|path>', 'pairs to score, read with the model\'s source and target columns (default: the validation pairs of its run)')
    .option('--beam <k>', 'decode with beam search of k hypotheses (1 = greedy)', integer(1, 1000), 1)
    .option('--length-penalty <alpha>', 'with --beam: the length normalisation α', decimal((n) => n >= 0 && n <= 10, 'between 0 and 10'), 0.6)
    .option('--length <n>', 'target tokens at most per source', integer(1), 100)
    .option('--limit <n>', 'score only the first n pairs', integer(1));
  addRunOptions(evaluate, 'print {pairs, exactMatch, tokenErrorRate, results: [{source, target, output, exact, edits}]} as JSON').action(evaluateCommand);
  const compare = program
    .command('compare')
    .description('train several models (n-gram and networks) on one corpus, one split and one budget, and compare them')
    .requiredOption('--models <list>', 'model specs separated by commas (see gennet models; e.g. ngram:3,ngram:5,mlp:8x128,gru,lstm:2x256)', parseModelSpecs)
    .option('--seconds <s>', 'training time of each network (with or instead of --max-steps)', decimal((n) => n > 0, '> 0'));
  addStepOptions(addDataOptions(compare))
    .option('--sample-length <n>', 'tokens of each model\'s sample', integer(0), 200)
    .option('--temperature <t>', 'temperature of the samples', decimal((n) => n >= 0 && n <= 100, 'between 0 and 100'), 0.8)
    .option('--plot <file.svg>', 'also write validation bits/char against training time as SVG');
  addRunOptions(compare, 'print one JSON array of {model, params, steps, seconds, charsPerSecond, valLoss, valBitsPerChar, sample, curve} rows').action(compareCommand);
  program.command('corpora').description('list the built-in corpora').option('--json', 'print JSON').action(corporaCommand);
  program.command('engines').description('list the engines, whether each can run here, and why not').option('--json', 'print JSON').action(enginesCommand);
  program.command('models').description('list the model families: their spec syntax, engines and what each supports').option('--json', 'print JSON').action(modelsCommand);
  addWebCommands(program);
  return program;
}

/**
 * Runs the CLI; a user error is printed as one line without a stack trace and exits with status 1.
 * stdout carries only the command's output (text or JSON): libraries' console.log chatter (e.g. nodeplotlib's
 * server messages) goes to stderr.
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  console.log = (...args: unknown[]) => log(format(...args));
  exitQuietlyOnClosedPipe();
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    log(`gennet: error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    tf.disposeVariables();
  }
}

if (require.main === module) void main();

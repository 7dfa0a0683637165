// What `gennet train` flags describe: the run (new, or resumed from a folder), the model's spec and its settings,
// each flag checked against the others.
import type { Command } from 'commander';
import { DEFAULT_DATA_SETTINGS } from '../data';
import { type ModelSpec, specFromFlags } from '../families';
import type { AttentionKind, InputEncoding } from '../model';
import { newRun, resumeRun, type TrainingRun } from '../session';
import type { VocabularyUnit } from '../vocab';
import { type DataFlags, dataSettingsOf, flagName, valMaxOf } from './options';
import { log } from './output';
import { type StepFlags, stepSettingsOf } from './stepOptions';

/** Flags of `gennet train`. */
export interface TrainFlags extends DataFlags, StepFlags {
  resume?: string;
  out?: string;
  condition?: string[];
  conditionDim: number;
  task: Task;
  sourceColumn?: string;
  targetColumn?: string;
  sourceLevel?: VocabularyUnit;
  attention?: AttentionKind;
  bidirectional?: boolean;
  encoderDropout?: number;
  model?: ModelSpec;
  cell: string;
  order: number;
  layers: number;
  units: number;
  input?: InputEncoding;
  embeddingDim: number;
  dropout: number;
  epochs?: number;
  minutes?: number;
  clip: number;
  samples: boolean;
  plot?: boolean;
  acceptChangedCorpus?: boolean;
}

/** What `gennet train` builds: a language model (plain or conditional), or a sequence-to-sequence model. */
export const TASKS = ['lm', 'seq2seq'] as const;
type Task = (typeof TASKS)[number];

/** The source column, target columns and source level of `train` flags, checked against `--task`. */
function pairColumnsOf(flags: TrainFlags): {
  sourceColumn: string | null;
  columns: string[] | null;
  sourceLevel: VocabularyUnit;
} {
  if (flags.task === 'lm') {
    const given = (
      ['sourceColumn', 'targetColumn', 'sourceLevel', 'attention', 'bidirectional', 'encoderDropout'] as const
    ).filter((key) => flags[key] !== undefined);
    if (given.length > 0) throw new Error(`${given.map(flagName).join(', ')} go with --task seq2seq.`);
    return { sourceColumn: null, columns: flags.column ?? null, sourceLevel: DEFAULT_DATA_SETTINGS.sourceLevel };
  }
  if (flags.sourceColumn === undefined)
    throw new Error(
      '--task seq2seq needs --source-column S (the column to read) and --target-column T (the column to write).',
    );
  if (flags.targetColumn !== undefined && flags.column !== undefined)
    throw new Error('--target-column and --column both name the target; give one.');
  const target = flags.targetColumn ?? flags.column;
  if (target === undefined)
    throw new Error('--task seq2seq needs --target-column T (the column the model learns to write).');
  if ((typeof target === 'string' ? [target] : target).includes(flags.sourceColumn))
    throw new Error(
      `The source column "${flags.sourceColumn}" is also the target; ` +
        'a model that copies its input learns nothing. Name two columns.',
    );
  return {
    sourceColumn: flags.sourceColumn,
    columns: typeof target === 'string' ? [target] : target,
    sourceLevel: flags.sourceLevel ?? DEFAULT_DATA_SETTINGS.sourceLevel,
  };
}

/** Options that `--resume` accepts: they change how the run is shown or computed, not what it computes. */
const RESUME_OPTIONS = [
  'resume',
  'out',
  'json',
  'samples',
  'plot',
  'threads',
  'backend',
  'engine',
  'acceptChangedCorpus',
];

/** The run that `gennet train` flags describe: a new one, or the interrupted one in `--resume DIR`. */
export async function runOf(flags: TrainFlags, command: Command, spec: ModelSpec): Promise<TrainingRun> {
  const fromCli = (key: string) => command.getOptionValueSource(key) === 'cli';
  if (flags.resume !== undefined) {
    const conflicting = Object.keys(flags).filter((key) => fromCli(key) && !RESUME_OPTIONS.includes(key));
    if (conflicting.length > 0) {
      const names = conflicting.map(flagName);
      throw new Error(
        `--resume continues the run in "${flags.resume}" with its saved settings; drop ${names.join(', ')} ` +
          '(allowed with --resume: --json, --no-samples, --plot, ' +
          '--threads, --engine, --backend, --out, --accept-changed-corpus).',
      );
    }
    const changed = {
      threads: fromCli('threads') ? flags.threads : undefined,
      engine: fromCli('engine') ? flags.engine : undefined,
      acceptChangedCorpus: flags.acceptChangedCorpus,
    };
    return resumeRun(flags.resume, { out: flags.out, ...changed }, log);
  }
  if (flags.corpus === undefined)
    throw new Error("required option '--corpus <name|path>' not specified (or continue a run with --resume DIR).");
  if (flags.out === undefined) throw new Error("required option '--out <dir>' not specified.");
  if (flags.acceptChangedCorpus)
    throw new Error('--accept-changed-corpus goes with --resume DIR (a new run has no earlier text to compare).');
  if (fromCli('conditionDim') && flags.condition === undefined)
    throw new Error('--condition-dim sizes the vectors of a conditional model; add --condition COLUMN, or drop it.');
  return newRun(
    {
      data: {
        ...dataSettingsOf(flags, command),
        corpus: flags.corpus,
        ...pairColumnsOf(flags),
        conditions: flags.condition ?? null,
      },
      // The spec, and only the model settings typed (each family has its own defaults and refuses what it does
      // not have).
      model: {
        // Told nothing of the shape, the run chooses the network for the corpus.
        spec: flags.model !== undefined || SPEC_FLAGS.some(fromCli) ? spec.label : undefined,
        seed: flags.seed,
        ...Object.fromEntries(MODEL_FLAGS.filter((key) => fromCli(key)).map((key) => [key, flags[key]])),
      },
      training: {
        ...stepSettingsOf(flags),
        engine: flags.engine,
        epochs: flags.epochs,
        minutes: flags.minutes,
        clipNorm: flags.clip > 0 ? flags.clip : null,
        seed: flags.seed,
        valMaxTokens: valMaxOf(flags),
      },
      conditionDim: flags.conditionDim,
    },
    flags.out,
    log,
  );
}

/** `train` options that set a network's settings beside its spec (each family takes those it has). */
const MODEL_FLAGS = ['input', 'embeddingDim', 'dropout', 'attention', 'bidirectional', 'encoderDropout'] as const;
/** The older flags that give the model's spec (`--model` replaces them). */
const SPEC_FLAGS = ['cell', 'layers', 'units', 'order'] as const;

/**
 * The model `gennet train` flags ask for: `--model SPEC`, or the spec the older flags give (`--cell`, `--layers`,
 * `--units`, `--order`); a flag the spec does not use is refused.
 */
export function modelSpecOf(flags: TrainFlags, command: Command): ModelSpec {
  const typed = SPEC_FLAGS.filter((key) => command.getOptionValueSource(key) === 'cli');
  if (flags.model !== undefined) {
    if (typed.length > 0)
      throw new Error(`--model ${flags.model.label} gives the model; drop ${typed.map(flagName).join(', ')}.`);
    return flags.model;
  }
  const spec = specFromFlags({ cell: flags.cell, layers: flags.layers, units: flags.units, order: flags.order });
  const unused = typed.filter((key) => key !== 'cell' && !(key in spec.settings)); // --cell chooses the family
  if (unused.length > 0)
    throw new Error(
      `${unused.map(flagName).join(', ')} ${unused.length === 1 ? 'does' : 'do'} not apply to ${spec.label} ` +
        `(a model of the ${spec.family} family); drop ${unused.length === 1 ? 'it' : 'them'}, ` +
        'or see gennet models.',
    );
  return spec;
}

/** `train` options that only networks have: refused for a counted model. */
export const NETWORK_ONLY = [
  'resume',
  'condition',
  'conditionDim',
  'sourceColumn',
  'targetColumn',
  'sourceLevel',
  'attention',
  'bidirectional',
  'encoderDropout',
  'layers',
  'units',
  'input',
  'embeddingDim',
  'dropout',
  'epochs',
  'minutes',
  'maxSteps',
  'lr',
  'lrSchedule',
  'warmup',
  'minLr',
  'weightDecay',
  'labelSmoothing',
  'evalEvery',
  'patience',
  'clip',
  'plot',
  'threads',
  'engine',
  'backend',
  'samples',
  'acceptChangedCorpus',
];

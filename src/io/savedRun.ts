import { DATA_MODES, DataSettings, DEFAULT_DATA_SETTINGS, LEVELS } from '../data';
import { CORPUS_FORMATS, SPLIT_MODES } from '../corpus';
import {
  DEFAULT_TRAIN_CONFIG,
  emptyHistory,
  LR_SCHEDULES,
  TRAIN_CONFIG_ADDED_LATER,
  TrainConfig,
  TrainingHistory,
  TrainSummary,
} from '../train';

/** How a run was set up and how far it got: what `--resume`, notebooks and `gennet temperatures` read back. */
export interface SavedRun {
  /** Corpus and data settings: `prepareCorpusData` rebuilds the same examples from them. */
  data: DataSettings;
  training: TrainConfig;
  history: TrainingHistory;
  /** The summary of the finished run; null in the checkpoint of an unfinished one. */
  summary: TrainSummary | null;
  /** SHA-256 of the corpus text the run trains on (see `prepareCorpusData`); null for runs saved before it was kept. */
  corpusSha256: string | null;
}

/** The JSON type a saved field must have: a type name, a list of allowed strings, or `?` for "or null". */
type FieldKind = 'number' | 'string' | 'boolean' | 'number?' | 'string?' | 'strings?' | readonly (string | null)[];

const DATA_FIELDS: Record<keyof DataSettings, FieldKind> = {
  corpus: 'string',
  format: [...CORPUS_FORMATS, null],
  columns: 'strings?',
  conditions: 'strings?',
  sourceColumn: 'string?',
  sourceLevel: LEVELS,
  split: SPLIT_MODES,
  limit: 'number?',
  repairMojibake: 'boolean',
  level: LEVELS,
  lowercase: 'boolean',
  minCount: 'number',
  maxVocab: 'number?',
  mode: DATA_MODES,
  seqLen: 'number',
  valFraction: 'number',
  seed: 'number',
};

/** Data settings that runs saved before them lack, with the value that reproduces those runs. */
const DATA_FIELDS_ADDED_LATER: Partial<DataSettings> = {
  format: null,
  conditions: null,
  sourceColumn: null,
  sourceLevel: 'char',
};

const TRAINING_FIELDS: Record<keyof TrainConfig, FieldKind> = {
  engine: 'string',
  threads: 'number',
  epochs: 'number?',
  batchSize: 'number',
  learningRate: 'number',
  lrSchedule: LR_SCHEDULES,
  warmup: 'number',
  minLr: 'number',
  weightDecay: 'number',
  clipNorm: 'number?',
  labelSmoothing: 'number',
  seed: 'number',
  maxSteps: 'number?',
  evalEvery: 'number?',
  patience: 'number?',
  minutes: 'number?',
  charsPerToken: 'number',
  valMaxTokens: 'number?',
};

function fits(value: unknown, kind: FieldKind): boolean {
  if (typeof kind !== 'string') return kind.includes(value as string | null);
  if (kind === 'number?' || kind === 'string?') return value === null || typeof value === kind.slice(0, -1);
  if (kind === 'strings?')
    return value === null || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
  return typeof value === kind;
}

/** What a damaged saved setting asks the user to do. */
const DAMAGED = '(damaged file?). Re-train or restore the model directory.';

/** The fields of `raw` that `fields` names, each checked; throws naming the first bad one, then `fix`. */
function readFields<T>(
  raw: Record<string, unknown>,
  fields: Record<keyof T, FieldKind>,
  where: string,
  fix = DAMAGED,
): T {
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries<FieldKind>(fields)) {
    if (!fits(raw[key], kind)) {
      const expected =
        typeof kind === 'string'
          ? kind.replace('?', ' or null').replace('strings', 'a list of strings')
          : `one of ${kind.map(String).join(', ')}`;
      throw new Error(`${where}: "${key}" must be ${expected}, got ${JSON.stringify(raw[key])} ${fix}`);
    }
    out[key] = raw[key];
  }
  return out as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readHistory(raw: unknown, where: string): TrainingHistory {
  if (!isRecord(raw) || !Array.isArray(raw.batches) || !Array.isArray(raw.epochs)) {
    throw new Error(`${where}: the training history is missing or damaged. Re-train or restore the model directory.`);
  }
  // Histories saved before validations were recorded apart have none.
  const evaluations = Array.isArray(raw.evaluations) ? (raw.evaluations as TrainingHistory['evaluations']) : [];
  return {
    batches: raw.batches as TrainingHistory['batches'],
    evaluations,
    epochs: raw.epochs as TrainingHistory['epochs'],
  };
}

/** Checks complete data and training settings before a run starts; throws naming the first bad field. */
export function checkRunSettings(data: DataSettings, training: TrainConfig): void {
  const fix = '— correct that setting.';
  readFields<DataSettings>({ ...data }, DATA_FIELDS, 'Data settings', fix);
  readFields<TrainConfig>({ ...training }, TRAINING_FIELDS, 'Training settings', fix);
  const cap = training.valMaxTokens;
  if (cap !== null && !(Number.isSafeInteger(cap) && cap > 0))
    throw new Error(`Training settings: "valMaxTokens" must be a whole number > 0 or null (all), got ${cap} ${fix}`);
}

/** Reads the `run` of a version-2 `config.json` (null when the model was saved without one). */
export function readSavedRun(raw: unknown, where: string): SavedRun | null {
  if (raw === null || raw === undefined) return null;
  if (!isRecord(raw) || !isRecord(raw.data) || !isRecord(raw.training))
    throw new Error(`${where}: "run" is damaged. Re-train or restore the model directory.`);
  return {
    data: readFields<DataSettings>({ ...DATA_FIELDS_ADDED_LATER, ...raw.data }, DATA_FIELDS, `${where} run.data`),
    training: readFields<TrainConfig>(
      { ...TRAIN_CONFIG_ADDED_LATER, ...raw.training },
      TRAINING_FIELDS,
      `${where} run.training`,
    ),
    history: readHistory(raw.history, where),
    summary: isRecord(raw.summary) ? (raw.summary as unknown as TrainSummary) : null,
    corpusSha256: typeof raw.corpusSha256 === 'string' ? raw.corpusSha256 : null,
  };
}

/**
 * Version 1 kept the settings of a CLI run flat in a free-form `training` record (with `result` once finished), and
 * whatever a notebook passed. Returns the run it describes (null when it is not a CLI run's) and the rest as notes.
 */
export function upgradeVersion1(
  training: unknown,
  where: string,
): { run: SavedRun | null; notes: Record<string, unknown> } {
  if (!isRecord(training)) return { run: null, notes: {} };
  if (typeof training.corpus !== 'string' || typeof training.seqLen !== 'number') return { run: null, notes: training };
  const withDefaults = {
    ...DEFAULT_DATA_SETTINGS,
    ...DEFAULT_TRAIN_CONFIG,
    ...DATA_FIELDS_ADDED_LATER,
    ...TRAIN_CONFIG_ADDED_LATER,
    ...training,
  };
  return {
    run: {
      data: readFields<DataSettings>(withDefaults, DATA_FIELDS, `${where} training`),
      training: readFields<TrainConfig>(withDefaults, TRAINING_FIELDS, `${where} training`),
      history: isRecord(training.history) ? readHistory(training.history, where) : emptyHistory(),
      summary: isRecord(training.result) ? (training.result as unknown as TrainSummary) : null,
      corpusSha256: null,
    },
    notes: {},
  };
}

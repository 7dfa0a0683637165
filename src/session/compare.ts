import { type DataSettings, DEFAULT_DATA_SETTINGS, prepareCorpusData, type TokenData } from '../data';
import type { EngineChoice } from '../engines';
import {
  familyNamed,
  type ModelSpec,
  type NetworkConfig,
  networkConfigOf,
  sequenceLengthFor,
  type NetworkFamily,
  type NetworkModel,
} from '../families';
import { generateBatch, type TextGenerator } from '../sample';
import { bitsPerChar, checkTrainingFits, DEFAULT_TRAIN_CONFIG, train, type TrainConfig } from '../train';
import { fitCounted, valMaxTokensOf } from './countedRun';
import { given, type Log } from './run';

/** What {@link compareModels} trains on and how long. */
export interface CompareSettings {
  /** Corpus and data settings, shared by every model (the same examples, the same split). */
  data: Partial<DataSettings> & { corpus: string };
  models: ModelSpec[];
  /** Steps per network (n-gram models count their training text once). */
  maxSteps?: number | null;
  /**
   * Or seconds of training per network (its `minutes` budget: validations count, and a last one follows); with both,
   * whichever ends first. A time budget makes the rows depend on the machine.
   */
  seconds?: number | null;
  seed?: number;
  batchSize?: number;
  learningRate?: number;
  engine?: EngineChoice;
  threads?: number;
  /** Any other training settings every network trains with (schedule, weight decay, validations, patience…). */
  training?: Partial<TrainConfig>;
  /** Validation scores about this many tokens, spread over the split (the same batches for every model). */
  valMaxTokens?: number | null;
  /** Tokens of each model's sample, at `temperature` with `seed`. */
  sampleLength?: number;
  temperature?: number;
  /**
   * Called with each trained model and its row before the model is freed: to look inside it (e.g. `attentionMaps`)
   * or to generate more from it. The model is only valid during the call.
   */
  onTrained?: (model: TextGenerator, row: CompareRow) => void;
}

/** One model's line of a comparison. */
export interface CompareRow {
  model: string;
  /** Trainable parameters of a network; a counted model's stored counts (an n-gram model's of every order). */
  params: number;
  /** Optimisation steps (a counted model: 1, its one pass over the training text). */
  steps: number;
  seconds: number;
  /** Training throughput in characters of text per second. */
  charsPerSecond: number;
  valLoss: number;
  valBitsPerChar: number;
  /** A sample at the comparison's temperature and seed. */
  sample: string;
  /** Validation bits per character against training time: at every validation and at the end (the kept weights). */
  curve: { seconds: number; valBitsPerChar: number }[];
}

/**
 * Trains every model on one corpus, one split and one budget (steps or seconds per network, the same seed) and
 * reports each one's size, time, throughput, validation loss and bits per character, and a sample.
 */
export async function compareModels(settings: CompareSettings, log: Log = () => {}): Promise<CompareRow[]> {
  const { maxSteps = null, seconds = null } = settings;
  const counted = (spec: ModelSpec) => familyNamed(spec.family).training === 'counts';
  if (maxSteps === null && seconds === null && !settings.models.every(counted)) {
    throw new Error('Give the networks a budget: steps (--max-steps N) or seconds (--seconds S) each.');
  }
  const seqLen = sequenceLengthFor(settings.models, settings.data.seqLen);
  if (settings.data.seqLen === undefined && seqLen !== undefined)
    log(`compare: windows of ${seqLen} tokens for every model (the shortest context among them)`);
  const prepared = await prepareCorpusData(
    { ...DEFAULT_DATA_SETTINGS, ...given(settings.data), ...given({ seqLen }), corpus: settings.data.corpus },
    log,
  );
  const { data } = prepared;
  if (data.val === null)
    throw new Error('A comparison scores every model on held-out text; give a validation share above 0 (--val).');
  // Every network is checked before the first one trains: one that cannot fit is refused at once, not hours later.
  const plans = settings.models.map((spec) =>
    counted(spec) ? spec : plannedNetwork(spec, data, settings, prepared.settings.seqLen),
  );
  const rows: CompareRow[] = [];
  for (const plan of plans) {
    const spec = 'spec' in plan ? plan.spec : plan;
    log(`compare: training ${spec.label}`);
    rows.push(
      'spec' in plan ? await networkRow(plan, data, settings, { maxSteps, seconds }) : countedRow(spec, data, settings),
    );
  }
  return rows;
}

/** A network of a comparison: its settings resolved and checked to fit in memory, not built yet. */
interface PlannedNetwork {
  spec: ModelSpec;
  family: NetworkFamily;
  config: NetworkConfig;
}

/** The network of `spec` for `data`; refused when training it would not fit in memory (see `checkTrainingFits`). */
function plannedNetwork(spec: ModelSpec, data: TokenData, settings: CompareSettings, seqLen: number): PlannedNetwork {
  const { family, config } = networkConfigOf(spec, { seed: settings.seed ?? 42 }, data.vocab);
  checkTrainingFits(spec.label, family, config, {
    batchSize: settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
    seqLen,
    engine: settings.engine ?? 'auto',
    threads: settings.threads ?? 1,
  });
  return { spec, family, config };
}

function sampleOf(trained: TextGenerator, settings: CompareSettings): string {
  const request = { prompt: '', temperature: settings.temperature ?? 0.8, seed: settings.seed ?? 42 };
  return generateBatch(trained, [request], { length: settings.sampleLength ?? 200 })[0].text;
}

/** `row`, after the caller's `onTrained` has seen the model. */
function trainedRow(model: TextGenerator, settings: CompareSettings, row: CompareRow): CompareRow {
  settings.onTrained?.(model, row);
  return row;
}

function countedRow(spec: ModelSpec, data: TokenData, settings: CompareSettings): CompareRow {
  const { model, params, seconds, valLoss } = fitCounted(
    spec,
    data,
    settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
    valMaxTokensOf(settings.valMaxTokens),
  );
  const valBitsPerChar = bitsPerChar(valLoss!, data);
  return trainedRow(model, settings, {
    model: spec.label,
    params,
    steps: 1,
    seconds,
    charsPerSecond: Math.round((data.train.tokens * data.charsPerToken) / seconds),
    valLoss: valLoss!,
    valBitsPerChar,
    sample: sampleOf(model, settings),
    curve: [{ seconds, valBitsPerChar }],
  });
}

async function networkRow(
  { spec, family, config }: PlannedNetwork,
  data: TokenData,
  settings: CompareSettings,
  budget: { maxSteps: number | null; seconds: number | null },
): Promise<CompareRow> {
  const seed = settings.seed ?? 42;
  const model: NetworkModel = { network: family.build(config), vocab: data.vocab, config };
  const batchSize = settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize;
  const perEpoch = data.train.batchesPerEpoch(batchSize);
  try {
    const result = await train(model.network, data, {
      ...DEFAULT_TRAIN_CONFIG,
      ...given(settings.training),
      engine: settings.engine ?? 'auto',
      threads: settings.threads ?? 1,
      batchSize,
      seed,
      learningRate: settings.learningRate ?? settings.training?.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      epochs: budget.maxSteps === null ? null : Math.max(1, Math.ceil(budget.maxSteps / perEpoch)),
      maxSteps: budget.maxSteps,
      minutes: budget.seconds === null ? null : budget.seconds / 60,
      charsPerToken: data.charsPerToken,
      valMaxTokens: valMaxTokensOf(settings.valMaxTokens),
    });
    // The network ends with its best validation's weights (the last one's unless patience or overfitting).
    const valLoss = result.valLoss!;
    const valBitsPerChar = bitsPerChar(valLoss, data);
    const curve = result.history.evaluations
      .filter((e) => e.step < result.steps)
      .map((e) => ({ seconds: e.seconds, valBitsPerChar: e.valBitsPerChar }));
    return trainedRow(model, settings, {
      model: spec.label,
      params: model.network.countParams(),
      steps: result.steps,
      seconds: result.seconds,
      charsPerSecond: Math.round(result.charsPerSecond),
      valLoss,
      valBitsPerChar,
      sample: sampleOf(model, settings),
      curve: [...curve, { seconds: result.seconds, valBitsPerChar }],
    });
  } finally {
    model.network.dispose();
  }
}

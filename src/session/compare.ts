import * as tf from '@tensorflow/tfjs';
import { type DataSettings, DEFAULT_DATA_SETTINGS, prepareCorpusData, type TokenData } from '../data';
import type { EngineChoice } from '../engines';
import { buildGenerator, CELLS, type CellType, type GeneratorModel, resolveModelConfig } from '../model';
import { generateBatch, type TextGenerator } from '../sample';
import { DEFAULT_TRAIN_CONFIG, evaluate, train } from '../train';
import { bitsPerChar, fitNgram, valMaxTokensOf } from './ngramRun';
import { given, type Log } from './run';

/** One model of a comparison: an n-gram model of an order, or a network of a cell, layers and units. */
export type ModelSpec = { label: string; kind: 'ngram'; order: number } | { label: string; kind: 'network'; cell: CellType; layers: number; units: number };

/**
 * Reads a list of models such as `ngram:3,ngram:5,rnn,gru,lstm,lstm:2x256` (a cell alone: one layer of 128 units;
 * `cell:U` U units; `cell:LxU` L layers of U). Throws naming the entry it cannot read.
 */
export function parseModelSpecs(list: string): ModelSpec[] {
  const specs = list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((label): ModelSpec => {
    const [kind, size, extra] = label.split(':');
    const bad = () => new Error(`Cannot read the model "${label}": use ngram:N (N from 1 to 12) or ${CELLS.join('/')} with an optional :UNITS or :LAYERSxUNITS (e.g. lstm:2x256).`);
    if (extra !== undefined) throw bad();
    if (kind === 'ngram') {
      const order = Number(size);
      if (!Number.isInteger(order) || order < 1 || order > 12) throw bad();
      return { label, kind, order };
    }
    if (!(CELLS as readonly string[]).includes(kind)) throw bad();
    const match = size === undefined ? ['', '1', '128'] : /^(?:(\d+)x)?(\d+)$/.exec(size);
    if (match === null) throw bad();
    const [layers, units] = [Number(match[1] ?? 1), Number(match[2])];
    if (!(layers >= 1 && layers <= 16 && units >= 1 && units <= 4096)) throw bad();
    return { label, kind: 'network', cell: kind as CellType, layers, units };
  });
  if (specs.length === 0) throw new Error('Give at least one model to compare (e.g. --models ngram:5,lstm).');
  const repeated = specs.find((spec, i) => specs.findIndex((other) => other.label === spec.label) !== i);
  if (repeated !== undefined) throw new Error(`The model "${repeated.label}" is listed twice.`);
  return specs;
}

/** What {@link compareModels} trains on and how long. */
export interface CompareSettings {
  /** Corpus and data settings, shared by every model (the same examples, the same split). */
  data: Partial<DataSettings> & { corpus: string };
  models: ModelSpec[];
  /** Steps per network (n-gram models count their training text once). */
  maxSteps?: number | null;
  /**
   * Or seconds of training per network, counted from the end of its first step (so setting up is not counted; the
   * validation at epoch ends is); with both, whichever ends first. A time budget makes the rows depend on the machine.
   */
  seconds?: number | null;
  seed?: number;
  batchSize?: number;
  learningRate?: number;
  engine?: EngineChoice;
  threads?: number;
  /** Validation scores about this many tokens, spread over the split (the same batches for every model). */
  valMaxTokens?: number | null;
  /** Tokens of each model's sample, at `temperature` with `seed`. */
  sampleLength?: number;
  temperature?: number;
}

/** One model's line of a comparison. */
export interface CompareRow {
  model: string;
  /** Trainable parameters of a network; an n-gram model's counts of every order (see `NgramModel.params`). */
  params: number;
  /** Optimisation steps (an n-gram model: 1, its one pass over the training text). */
  steps: number;
  seconds: number;
  /** Training throughput in characters of text per second. */
  charsPerSecond: number;
  valLoss: number;
  valBitsPerChar: number;
  /** A sample at the comparison's temperature and seed. */
  sample: string;
  /** Validation bits per character against training time: at every epoch end and at the end. */
  curve: { seconds: number; valBitsPerChar: number }[];
}

/**
 * Trains every model on one corpus, one split and one budget (steps or seconds per network, the same seed) and
 * reports each one's size, time, throughput, validation loss and bits per character, and a sample.
 */
export async function compareModels(settings: CompareSettings, log: Log = () => {}): Promise<CompareRow[]> {
  const { maxSteps = null, seconds = null } = settings;
  if (maxSteps === null && seconds === null && settings.models.some((spec) => spec.kind === 'network')) {
    throw new Error('Give the networks a budget: steps (--max-steps N) or seconds (--seconds S) each.');
  }
  const prepared = await prepareCorpusData({ ...DEFAULT_DATA_SETTINGS, ...given(settings.data), corpus: settings.data.corpus }, log);
  const { data } = prepared;
  if (data.val === null) throw new Error('A comparison scores every model on held-out text; give a validation share above 0 (--val).');
  const rows: CompareRow[] = [];
  for (const spec of settings.models) {
    log(`compare: training ${spec.label}`);
    rows.push(spec.kind === 'ngram' ? ngramRow(spec.label, spec.order, data, settings) : await networkRow(spec, data, settings, { maxSteps, seconds }));
  }
  return rows;
}



function sampleOf(trained: TextGenerator, settings: CompareSettings): string {
  const request = { prompt: '', temperature: settings.temperature ?? 0.8, seed: settings.seed ?? 42 };
  return generateBatch(trained, [request], { length: settings.sampleLength ?? 200 })[0].text;
}

function ngramRow(label: string, order: number, data: TokenData, settings: CompareSettings): CompareRow {
  const { ngram, seconds, valLoss } = fitNgram(data, order, settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize, valMaxTokensOf(settings.valMaxTokens));
  const valBitsPerChar = bitsPerChar(valLoss!, data);
  return {
    model: label, params: ngram.params, steps: 1, seconds, charsPerSecond: Math.round((data.train.tokens * data.charsPerToken) / seconds),
    valLoss: valLoss!, valBitsPerChar, sample: sampleOf({ ngram, vocab: data.vocab }, settings), curve: [{ seconds, valBitsPerChar }],
  };
}

async function networkRow(
  spec: Extract<ModelSpec, { kind: 'network' }>, data: TokenData, settings: CompareSettings, budget: { maxSteps: number | null; seconds: number | null },
): Promise<CompareRow> {
  const seed = settings.seed ?? 42;
  const config = resolveModelConfig({
    vocabSize: data.vocab.size, cell: spec.cell, layers: spec.layers, units: spec.units, input: data.vocab.unit === 'word' ? 'embedding' : 'onehot', seed,
  });
  const model: GeneratorModel = { network: buildGenerator(config), vocab: data.vocab, config };
  const batchSize = settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize;
  const perEpoch = data.train.batchesPerEpoch(batchSize);
  const engine = settings.engine ?? 'auto';
  const valMaxTokens = valMaxTokensOf(settings.valMaxTokens);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const clock = { onBatchEnd: () => void (budget.seconds !== null && timer === null && (timer = setTimeout(() => controller.abort(), budget.seconds * 1000))) };
  try {
    const result = await train(model.network, data, {
      ...DEFAULT_TRAIN_CONFIG, engine, threads: settings.threads ?? 1, batchSize, seed, learningRate: settings.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      epochs: budget.maxSteps === null ? Number.MAX_SAFE_INTEGER : Math.max(1, Math.ceil(budget.maxSteps / perEpoch)), maxSteps: budget.maxSteps,
      charsPerToken: data.charsPerToken, valMaxTokens,
    }, [clock], { signal: controller.signal });
    tf.dispose(result.interrupted?.optimizer.map((w) => w.tensor) ?? []);
    const last = result.history.epochs.at(-1);
    const valLoss = last !== undefined && last.step === result.steps ? last.valLoss! : evaluate(model.network, data.val!, batchSize, result.engine, valMaxTokens);
    const valBitsPerChar = bitsPerChar(valLoss, data);
    const curve = result.history.epochs.filter((e) => e.step < result.steps).map((e) => ({ seconds: e.seconds, valBitsPerChar: e.valBitsPerChar! }));
    return {
      model: spec.label, params: model.network.countParams(), steps: result.steps, seconds: result.seconds, charsPerSecond: Math.round(result.charsPerSecond),
      valLoss, valBitsPerChar, sample: sampleOf(model, settings), curve: [...curve, { seconds: result.seconds, valBitsPerChar }],
    };
  } finally {
    if (timer !== null) clearTimeout(timer);
    model.network.dispose();
  }
}

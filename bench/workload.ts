import { BACKENDS, type BackendName } from '../src/backend';
import { loadCorpus } from '../src/corpus';
import type { CellType } from '../src/model';
import { LESSON_PROMPTS, LESSON_TEMPERATURES } from '../src/sample';
import { prepareCharData, type CharData } from '../src/data';
import type { EngineChoice } from '../src/engines';
import { DEFAULT_TRAIN_CONFIG } from '../src/train';

/** The built-in corpus every training and generation measurement uses (about 1.2 M characters). */
export const CORPUS = 'moby-dick';
/**
 * The lesson's model: characters per training window, units of the one recurrent layer, and the seed of all weights.
 */
export const SEQ_LEN = 100;
export const UNITS = 128;
export const SEED = 42;
/**
 * Adam's learning rate and the gradient clipping norm of our trainer's defaults, which the PyTorch reference copies.
 */
export const LEARNING_RATE = DEFAULT_TRAIN_CONFIG.learningRate;
export const CLIP_NORM = DEFAULT_TRAIN_CONFIG.clipNorm;
/** The GPT of the goals, for the training and generation rows: `gpt:4x128:h4:ctx128`, no dropout, untied. */
export const GPT = { layers: 4, width: 128, heads: 4, context: 128, dropout: 0, tied: false } as const;
/** {@link GPT} as a spec. */
export const GPT_SPEC = `gpt:${GPT.layers}x${GPT.width}:h${GPT.heads}:ctx${GPT.context}`;

/** The lesson's temperature grid: every prompt continued at every temperature. */
export interface GenerationGrid {
  prompts: readonly string[];
  temperatures: readonly number[];
  /** Characters generated per sample. */
  length: number;
  /** Times the whole grid is generated (each side, each way); the fastest counts, so that a stray slow run does not. */
  repeats: number;
}

/**
 * When a timed training run has seen enough: at least `seconds` of timed steps and at least `minTimedSteps` of them.
 */
export interface StopRule {
  seconds: number;
  minTimedSteps: number;
}

/** One way of running our training: an engine and a number of threads (`TrainConfig.threads`). */
export interface TrainingVariant {
  engine: EngineChoice;
  threads: number;
}

/** What one `npm run bench` measures. */
export interface BenchPlan {
  quick: boolean;
  backends: readonly BackendName[];
  /**
   * Training engines and thread counts measured: native and fast on 1 and 2 threads, the tfjs-layers reference on 1.
   */
  variants: readonly TrainingVariant[];
  cells: readonly CellType[];
  batches: readonly number[];
  generation: GenerationGrid;
  /**
   * PyTorch: untimed warm-up steps, then timed steps until the stop rule holds, with 1 and with 2 threads; each
   * configuration `repeats` times on a fresh model, the fastest counting (the reference at its best).
   */
  torch: StopRule & { warmupSteps: number; threads: readonly number[]; repeats: number };
  /** The peak-memory probe: size of the generated text corpus and training steps. */
  memory: { corpusMegabytes: number; maxSteps: number };
}

/**
 * The full plan (every backend, engine, cell and batch size; the lesson's 5 × 5 × 300 generation grid; a 50 MB
 * corpus) or, with `quick`, a smoke run of each part that takes about a minute.
 */
export function benchPlan(quick: boolean): BenchPlan {
  return {
    quick,
    backends: BACKENDS,
    variants: [
      { engine: 'native', threads: 1 },
      { engine: 'native', threads: 2 },
      { engine: 'fast', threads: 1 },
      { engine: 'fast', threads: 2 },
      { engine: 'layers', threads: 1 },
    ],
    cells: quick ? ['lstm'] : ['lstm', 'gru', 'rnn'],
    batches: quick ? [32] : [32, 128],
    generation: {
      prompts: quick ? LESSON_PROMPTS.slice(0, 2) : LESSON_PROMPTS,
      temperatures: quick ? LESSON_TEMPERATURES.slice(0, 2) : LESSON_TEMPERATURES,
      length: quick ? 50 : 300,
      repeats: quick ? 1 : 3,
    },
    torch: quick
      ? { seconds: 0.5, minTimedSteps: 1, warmupSteps: 1, threads: [1, 2], repeats: 1 }
      : { seconds: 3, minTimedSteps: 3, warmupSteps: 3, threads: [1, 2], repeats: 2 },
    memory: quick ? { corpusMegabytes: 5, maxSteps: 3 } : { corpusMegabytes: 50, maxSteps: 20 },
  };
}

/**
 * How long to time a training variant on a backend: about 3 s and 2 steps after the (untimed) first step; the
 * JavaScript engines on the pure JavaScript `cpu` backend (about 1 k chars/s, so 3–13 s per step) get one timed step.
 */
export function stopRule(backend: BackendName, variant: TrainingVariant, quick: boolean): StopRule {
  if (quick) return { seconds: 0.3, minTimedSteps: 1 };
  return backend === 'cpu' && variant.engine !== 'native'
    ? { seconds: 0, minTimedSteps: 1 }
    : { seconds: 3, minTimedSteps: 2 };
}

/** The benchmark's corpus: its documents and the training data made from them. */
export interface Workload {
  texts: string[];
  /** {@link CORPUS} as one-hot character windows of {@link SEQ_LEN}, all of it for training. */
  data: CharData;
}

/** Loads {@link CORPUS} and cuts it into training windows. */
export async function loadWorkload(): Promise<Workload> {
  const { texts } = await loadCorpus(CORPUS);
  return { texts, data: prepareCharData(texts, { mode: 'windows', seqLen: SEQ_LEN, valFraction: 0, seed: SEED }) };
}

/**
 * The character stream the windows are cut from, as text (each document followed by the line break `<eos>` decodes to).
 */
export function trainingText(workload: Workload): string {
  const { vocab } = workload.data;
  return vocab.decode(vocab.encodeCorpusCompact(workload.texts));
}

import * as tf from '@tensorflow/tfjs';
import { type Batch, realTokens, TokenDataset } from '../data';
import { EngineChoice, selectEngine } from '../engines';
import { conditionCount } from '../model';
import { createRng, deriveSeed, shuffleInPlace } from '../random';
import { batchEncoderIds, encoderDecoderLoss, type EncoderDecoderRun } from './encoderDecoder';
import type { BatchRecord, EpochRecord, TrainingHistory } from './history';
import { dropoutLayers, RunState } from './runState';
import { startUpdater, Updater } from './updater';

/** Settings of the training loop. */
export interface TrainConfig {
  /** Engine that computes the loss and gradients (see `ENGINES`), or `auto`: the fastest that can run the network. */
  engine: EngineChoice;
  /**
   * Threads that compute each step's gradients: 1 = this thread only; n > 1 adds n − 1 worker threads, each taking
   * an equal share of the batch's rows (see `GradientWorkers`). Same losses up to float rounding.
   */
  threads: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Decoupled weight decay (AdamW) of the matrices, 0 for plain Adam (see `UpdateSettings.weightDecay`). */
  weightDecay: number;
  /** Maximum global gradient norm; null disables clipping. */
  clipNorm: number | null;
  /** Seed of the batch order (weights take theirs from the model config). */
  seed: number;
  /** Stop after this many steps in total (quick runs); null trains every epoch to the end. */
  maxSteps: number | null;
  /** Characters of text per token (1 for characters), to report validation bits per character. */
  charsPerToken: number;
  /**
   * Validation scores at most about this many target tokens, in batches spread evenly over the split, so that a huge
   * corpus's validation takes seconds, not minutes; null scores the whole split.
   */
  valMaxTokens: number | null;
}

/** Defaults close to the lesson: 3 epochs, batch 32, Adam at 0.002, gradients clipped at norm 5. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  engine: 'auto',
  threads: 1,
  epochs: 3,
  batchSize: 32,
  learningRate: 0.002,
  weightDecay: 0,
  clipNorm: 5,
  seed: 42,
  maxSteps: null,
  charsPerToken: 1,
  valMaxTokens: 1_000_000,
};

/** Where training stands when a callback runs. */
export interface TrainProgress {
  epoch: number;
  /** Batches done in this epoch. */
  batchInEpoch: number;
  batchesPerEpoch: number;
  /** Steps the whole run will take (epochs × batches, capped by maxSteps). */
  totalSteps: number;
  /** Steady-state training throughput so far (characters per second, first step excluded); 0 before step 2. */
  charsPerSecond: number;
  history: TrainingHistory;
  /** The state to resume from this point (for checkpoints); the caller disposes its optimizer tensors. */
  captureState(): Promise<RunState>;
}

/** Hooks into the training loop; each may be async (the loop waits). */
export interface TrainCallback {
  onBatchEnd?(record: BatchRecord, progress: TrainProgress): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, progress: TrainProgress): void | Promise<void>;
  onTrainEnd?(result: TrainResult): void | Promise<void>;
}

/** What a training run reports. */
export interface TrainResult {
  /** The engine that ran the steps (what `auto` chose). */
  engine: string;
  history: TrainingHistory;
  steps: number;
  /** Steady-state training throughput in target characters per second, the first (warm-up) step excluded. */
  charsPerSecond: number;
  /** Mean training loss of the last epoch (of the epoch in progress when interrupted), nats per token. */
  trainLoss: number;
  valLoss: number | null;
  valBitsPerChar: number | null;
  /**
   * A conditional run's validation loss when each document gets another document's conditions (a seeded shuffle
   * without fixed points): how much the conditions help is its distance above `valLoss`. Absent otherwise.
   */
  valLossShuffledConditions?: number | null;
  seconds: number;
  /**
   * The run's state when it was interrupted (`RunControl.signal`) before its last step; null when it ran to the end.
   */
  interrupted: RunState | null;
}

/**
 * Mean loss per target token (nats) of `model` over a dataset, in inference mode, computed by `engine`: every batch,
 * or with `maxTokens` every k-th batch (k = tokens / maxTokens rounded up), an even sample of the whole split. With
 * `encoded` (its generator is `model`), each row starts from the state its encoder gives its document.
 */
export function evaluate(
  model: tf.LayersModel,
  dataset: TokenDataset,
  batchSize: number,
  engine: EngineChoice = 'auto',
  maxTokens: number | null = null,
  encoded?: EncoderDecoderRun,
): number {
  const runner = selectEngine(engine, model);
  let total = 0;
  let tokens = 0;
  for (const batch of validationBatches(dataset, batchSize, maxTokens)) {
    const n = realTokens(batch);
    total +=
      (encoded === undefined
        ? runner.loss(model, batch)
        : encoderDecoderLoss(runner, encoded, batch, batchEncoderIds(batch, encoded))) * n;
    tokens += n;
  }
  if (tokens === 0)
    throw new Error('The validation split holds no tokens; use a larger corpus or a larger --val fraction.');
  return total / tokens;
}

/**
 * The batches validation scores, in order: every batch, or with `maxTokens` every k-th (k = tokens / maxTokens
 * rounded up), an even sample of the whole split — the same for every model, network or n-gram.
 */
export function* validationBatches(
  dataset: TokenDataset,
  batchSize: number,
  maxTokens: number | null,
): Generator<Batch> {
  const stride = maxTokens === null ? 1 : Math.max(1, Math.ceil(dataset.tokens / maxTokens));
  let index = 0;
  for (const batch of dataset.batches(batchSize, null, { dropRemainder: false })) {
    if (index++ % stride === 0) yield batch;
  }
}

/** Control over a run beyond its settings: continuing an interrupted one, and interrupting this one. */
export interface RunControl {
  /** Continue from this state of an interrupted run (same model weights, data and settings). */
  resume?: RunState;
  /** When aborted, the run stops before its next step and returns its state in `result.interrupted`. */
  signal?: AbortSignal;
}

/**
 * A shuffle of the documents' condition ids in which every document gets another document's (a seeded random order
 * read as a cycle: no document keeps its own row); null for fewer than 2 documents.
 */
export function shuffledEncoderInputs(run: EncoderDecoderRun, seed: number): EncoderDecoderRun | null {
  const conditions = conditionCount(run.encoder);
  const documents = run.documentIds.length / conditions;
  if (documents < 2) return null;
  const order = shuffleInPlace(
    Array.from({ length: documents }, (_, d) => d),
    createRng(seed),
  );
  const documentIds = new Int32Array(run.documentIds.length);
  order.forEach((document, k) => {
    const donor = order[(k + 1) % documents];
    documentIds.set(run.documentIds.subarray(donor * conditions, (donor + 1) * conditions), document * conditions);
  });
  return { ...run, documentIds };
}

/**
 * Trains a generator on `train` with Adam, recording the loss of every batch and, at each epoch end,
 * the validation loss; callbacks see both (progress bars, live plots, samples, checkpoints).
 * The batch order of epoch e is shuffled with a seed derived from `config.seed` and e, so a run interrupted
 * (`control.signal`) and resumed (`control.resume`) trains on the same batches and ends with the same weights.
 * Given a {@link EncoderDecoderRun}, the generator and its condition encoder train together (each row starts from its
 * document's condition state, the optimizer state covers both) and the result adds `valLossShuffledConditions`.
 */
export async function train(
  trained: tf.LayersModel | EncoderDecoderRun,
  data: { train: TokenDataset; val: TokenDataset | null },
  config: TrainConfig,
  callbacks: TrainCallback[] = [],
  control: RunControl = {},
): Promise<TrainResult> {
  const batchesPerEpoch = data.train.batchesPerEpoch(config.batchSize);
  if (batchesPerEpoch === 0) {
    throw new Error(
      `The training split has ${data.train.size} examples, fewer than one batch of ${config.batchSize}. ` +
        'Use a smaller batch size (--batch), a shorter sequence length (--seq-len) or a larger corpus.',
    );
  }
  const encoded = 'generator' in trained ? trained : undefined;
  const model = encoded?.generator ?? (trained as tf.LayersModel);
  if (encoded !== undefined && encoded.documentIds.length % conditionCount(encoded.encoder) !== 0) {
    throw new Error(
      `documentIds must hold ${conditionCount(encoded.encoder)} encoder ids per document (conditions, or ` +
        `source tokens), got ${encoded.documentIds.length} ids.`,
    );
  }
  const engine = selectEngine(config.engine, model);
  if (!Number.isInteger(config.threads) || config.threads < 1)
    throw new Error(`Threads must be a whole number ≥ 1, got ${config.threads}.`);
  const plannedSteps = config.epochs * batchesPerEpoch;
  const totalSteps = config.maxSteps === null ? plannedSteps : Math.min(plannedSteps, config.maxSteps);
  const { resume } = control;
  const history: TrainingHistory = resume?.history ?? { batches: [], epochs: [] };
  const started = performance.now() - 1000 * (history.epochs.at(-1)?.seconds ?? 0);
  let step = resume?.step ?? 0;
  let steadyTokens = resume?.steadyTokens ?? 0;
  let steadySeconds = resume?.steadySeconds ?? 0;
  const charsPerSecond = () => (steadySeconds > 0 ? (steadyTokens * config.charsPerToken) / steadySeconds : 0);
  let updater: Updater | null = null;
  /** The run state at a position: epoch, batches of it done, their summed loss. */
  const stateAt = async (epoch: number, batchInEpoch: number, epochLoss: number): Promise<RunState> => {
    return {
      step,
      epoch,
      batchInEpoch,
      epochLoss,
      history,
      steadyTokens,
      steadySeconds,
      dropoutCalls: dropoutLayers(model).map((layer) => layer.calls),
      optimizer: await updater!.captureOptimizer(),
    };
  };
  const progress = (epoch: number, batchInEpoch: number, epochLoss: number, epochDone = false): TrainProgress => ({
    epoch,
    batchInEpoch,
    batchesPerEpoch,
    totalSteps,
    charsPerSecond: charsPerSecond(),
    history,
    // After an epoch's validation, a resumed run starts the next epoch.
    captureState: () => (epochDone ? stateAt(epoch + 1, 0, 0) : stateAt(epoch, batchInEpoch, epochLoss)),
  });

  let interrupted: RunState | null = null;
  let epochLoss = 0;
  let batchInEpoch = 0;
  try {
    if (resume !== undefined) dropoutLayers(model).forEach((layer, k) => (layer.calls = resume.dropoutCalls[k] ?? 0));
    updater = await startUpdater(model, engine, config, resume, encoded);
    run: for (let epoch = resume?.epoch ?? 1; epoch <= config.epochs && step < totalSteps; epoch++) {
      const rng = createRng(deriveSeed(config.seed, `epoch${epoch}`));
      const resumed = resume !== undefined && epoch === resume.epoch;
      epochLoss = resumed ? resume.epochLoss : 0;
      batchInEpoch = 0;
      for (const batch of data.train.batches(config.batchSize, rng)) {
        if (resumed && batchInEpoch < resume.batchInEpoch) {
          batchInEpoch += 1; // done before the interruption
          continue;
        }
        if (control.signal?.aborted) {
          interrupted = await stateAt(epoch, batchInEpoch, epochLoss);
          break run;
        }
        const stepStart = performance.now();
        const loss = await updater.step(batch);
        await new Promise((resolve) => setImmediate(resolve)); // a turn for signals and timers between steps (Ctrl-C)
        step += 1;
        batchInEpoch += 1;
        if (step > 1) {
          steadySeconds += (performance.now() - stepStart) / 1000;
          steadyTokens += realTokens(batch);
        }
        if (!Number.isFinite(loss)) {
          throw new Error(`Training diverged: the loss became ${loss} at step ${step}. Lower --lr or use --clip.`);
        }
        epochLoss += loss;
        const record: BatchRecord = { step, epoch, loss };
        history.batches.push(record);
        for (const cb of callbacks) await cb.onBatchEnd?.(record, progress(epoch, batchInEpoch, epochLoss));
        if (step >= totalSteps) break;
      }
      updater.syncWeights();
      const valLoss =
        data.val === null
          ? null
          : evaluate(model, data.val, config.batchSize, engine.name, config.valMaxTokens, encoded);
      const record: EpochRecord = {
        epoch,
        step,
        trainLoss: epochLoss / batchInEpoch,
        valLoss,
        valBitsPerChar: valLoss === null ? null : valLoss / Math.LN2 / config.charsPerToken,
        seconds: (performance.now() - started) / 1000,
      };
      history.epochs.push(record);
      for (const cb of callbacks) await cb.onEpochEnd?.(record, progress(epoch, batchInEpoch, epochLoss, true));
    }
    updater.syncWeights();
  } finally {
    await updater?.dispose();
  }

  const last = history.epochs.at(-1);
  const result: TrainResult = {
    engine: engine.name,
    history,
    steps: step,
    charsPerSecond: charsPerSecond(),
    trainLoss: interrupted !== null || last === undefined ? epochLoss / Math.max(batchInEpoch, 1) : last.trainLoss,
    valLoss: last?.valLoss ?? null,
    valBitsPerChar: last?.valBitsPerChar ?? null,
    seconds: (performance.now() - started) / 1000,
    interrupted,
  };
  if (encoded !== undefined) {
    // Beside the last epoch's validation loss, with the same weights: not after an interruption mid-epoch.
    const shuffled = shuffledEncoderInputs(encoded, deriveSeed(config.seed, 'shuffled conditions'));
    result.valLossShuffledConditions =
      data.val === null || shuffled === null || last === undefined || step > last.step
        ? null
        : evaluate(model, data.val, config.batchSize, engine.name, config.valMaxTokens, shuffled);
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(result);
  return result;
}

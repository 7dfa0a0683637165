import * as tf from '@tensorflow/tfjs';
import { realTokens, TokenDataset } from '../data';
import { selectEngine } from '../engines';
import { conditionCount } from '../model';
import { createRng, deriveSeed } from '../random';
import { BestModel, type BestSoFar, writeValues } from './bestModel';
import { checkTrainConfig, stepLimit, type TrainConfig } from './config';
import type { EncoderDecoderRun } from './encoderDecoder';
import { evaluate, shuffledEncoderInputs } from './evaluate';
import {
  type BatchRecord,
  bitsPerChar,
  emptyHistory,
  type EpochRecord,
  type EvaluationRecord,
  TrainingHistory,
} from './history';
import { dropoutLayers, RunState } from './runState';
import { afterValidation, learningRateAt, runProgress, startPlateau } from './schedule';
import { startUpdater, Updater } from './updater';

/** Where training stands when a callback runs. */
export interface TrainProgress {
  epoch: number;
  /** Batches done in this epoch. */
  batchInEpoch: number;
  batchesPerEpoch: number;
  /** Steps the run takes at most (epochs × batches, capped by maxSteps); null when only time or patience end it. */
  totalSteps: number | null;
  /** The fraction of the run done, by its steps or its time budget; null when only patience ends it. */
  fractionDone: number | null;
  /** Steady-state training throughput so far (characters per second, first step excluded); 0 before step 2. */
  charsPerSecond: number;
  /** The learning rate of the last step. */
  learningRate: number;
  /** The best validation so far; null before the first. */
  best: BestSoFar | null;
  history: TrainingHistory;
  /**
   * The state to resume from this point (for checkpoints); the caller disposes it (`disposeRunState`). Exact from
   * `onEvaluation` and `onEpochEnd`; taken in `onBatchEnd` at a step that then validates, a resumed run would skip
   * that validation.
   */
  captureState(): Promise<RunState>;
  /** Runs `task` (a save) with the best validation's weights in the network, then puts the latest back. */
  withBestWeights<T>(task: () => Promise<T>): Promise<T>;
}

/** Hooks into the training loop; each may be async (the loop waits). */
export interface TrainCallback {
  onBatchEnd?(record: BatchRecord, progress: TrainProgress): void | Promise<void>;
  /** After each validation (every `evalEvery` steps, at each epoch's end, where the run stops). */
  onEvaluation?(record: EvaluationRecord, progress: TrainProgress): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, progress: TrainProgress): void | Promise<void>;
  onTrainEnd?(result: TrainResult): void | Promise<void>;
}

/** Why a run ended: its epochs or steps done, `patience` validations without a new best, its time budget, a signal. */
export type StopReason = 'epochs' | 'max-steps' | 'patience' | 'minutes' | 'interrupted';

/** What a training run reports. */
export interface TrainResult {
  /** The engine that ran the steps (what `auto` chose). */
  engine: string;
  history: TrainingHistory;
  steps: number;
  /** Why it ended. */
  stopReason: StopReason;
  /** Steady-state training throughput in target characters per second, the first (warm-up) step excluded. */
  charsPerSecond: number;
  /** Mean training loss of the last epoch (of the epoch in progress when interrupted), nats per token. */
  trainLoss: number;
  /** The best validation's loss — the network ends with its weights; null without a validation split. */
  valLoss: number | null;
  valBitsPerChar: number | null;
  /** The step of the best validation's weights; null without a validation split. */
  bestStep: number | null;
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

/** Control over a run beyond its settings: continuing an interrupted one, and interrupting this one. */
export interface RunControl {
  /** Continue from this state of an interrupted run (same model weights, data and settings). */
  resume?: RunState;
  /** When aborted, the run stops before its next step and returns its state in `result.interrupted`. */
  signal?: AbortSignal;
}

/** The variables training changes: the generator's weights, then its encoder's. */
function trainedVariables(model: tf.LayersModel, encoded: EncoderDecoderRun | undefined): tf.LayerVariable[] {
  return [...model.weights, ...(encoded?.encoder.weights ?? [])];
}

/** The mean loss of the batches after step `since`. */
function meanLossSince(history: TrainingHistory, since: number): number {
  let sum = 0;
  let count = 0;
  for (let k = history.batches.length - 1; k >= 0 && history.batches[k].step > since; k--, count++)
    sum += history.batches[k].loss;
  return sum / Math.max(1, count);
}

/** Refuses data and settings that cannot train: an empty split, settings that need a validation split without one. */
function checkRun(data: { train: TokenDataset; val: TokenDataset | null }, config: TrainConfig): number {
  checkTrainConfig(config);
  const batchesPerEpoch = data.train.batchesPerEpoch(config.batchSize);
  if (batchesPerEpoch === 0) {
    throw new Error(
      `The training split has ${data.train.size} examples, fewer than one batch of ${config.batchSize}. ` +
        'Use a smaller batch size (--batch), a shorter sequence length (--seq-len) or a larger corpus.',
    );
  }
  const needVal = [
    ['--patience', config.patience],
    ['--eval-every', config.evalEvery],
    ['--lr-schedule plateau', config.lrSchedule === 'plateau' ? 1 : null],
  ].filter(([, value]) => value !== null);
  if (data.val === null && needVal.length > 0)
    throw new Error(
      `${needVal.map(([flag]) => flag).join(', ')} watch the validation loss, and this run has no validation ` +
        'split: give --val a fraction > 0, or drop them.',
    );
  if (!Number.isInteger(config.threads) || config.threads < 1)
    throw new Error(`Threads must be a whole number ≥ 1, got ${config.threads}.`);
  return batchesPerEpoch;
}

/**
 * Trains a generator on `train` with Adam (AdamW with `weightDecay`) at the learning rate of the schedule, recording
 * the loss of every batch and validating every `evalEvery` steps and at each epoch end; callbacks see each (progress
 * bars, live plots, samples, checkpoints). The network ends with the weights of its best validation (Keras'
 * `restore_best_weights`). It stops after its epochs or `maxSteps`, after `patience` validations without a new best,
 * or once its `minutes` are spent (then validates where it stands). The batch order of epoch e is shuffled with a
 * seed derived from `config.seed` and e, so a run interrupted (`control.signal`) and resumed (`control.resume`) trains
 * on the same batches at the same learning rates and ends with the same weights — unless it has a time budget: then
 * where it stops, and a cosine's rates, follow the clock, and the same seed gives the same run only step for step.
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
  const batchesPerEpoch = checkRun(data, config);
  const encoded = 'generator' in trained ? trained : undefined;
  const model = encoded?.generator ?? (trained as tf.LayersModel);
  if (encoded !== undefined && encoded.documentIds.length % conditionCount(encoded.encoder) !== 0) {
    throw new Error(
      `documentIds must hold ${conditionCount(encoded.encoder)} encoder ids per document (conditions, or ` +
        `source tokens), got ${encoded.documentIds.length} ids.`,
    );
  }
  const engine = selectEngine(config.engine, model);
  const totalSteps = stepLimit(config, batchesPerEpoch);
  const budgetSeconds = config.minutes === null ? null : config.minutes * 60;
  const { resume } = control;
  const history: TrainingHistory = resume?.history ?? emptyHistory();
  // Set once the updater is ready (worker start-up is not training time); a resumed run counts its earlier part.
  let started = performance.now() - 1000 * (resume?.seconds ?? 0);
  const elapsed = () => (performance.now() - started) / 1000;
  let step = resume?.step ?? 0;
  let steadyTokens = resume?.steadyTokens ?? 0;
  let steadySeconds = resume?.steadySeconds ?? 0;
  let plateau = resume?.plateau ?? startPlateau(config);
  let learningRate = NaN;
  const charsPerSecond = () => (steadySeconds > 0 ? (steadyTokens * config.charsPerToken) / steadySeconds : 0);
  const variables = trainedVariables(model, encoded);
  // The decoder's dropout layers, then the encoder's: a resumed run's masks go on where they were.
  const runDropout = [...dropoutLayers(model), ...(encoded === undefined ? [] : dropoutLayers(encoded.encoder))];
  // Its weights are the variables' now: a resumed run's saved model is its best so far.
  const best = new BestModel(variables, resume?.best ?? null);
  let updater: Updater | null = null;
  /** The run state at a position: epoch, batches of it done, their summed loss. */
  const stateAt = async (epoch: number, batchInEpoch: number, epochLoss: number): Promise<RunState> => {
    updater!.syncWeights();
    const latestWeights = best.latestIfBehind(step);
    return {
      step,
      epoch,
      batchInEpoch,
      epochLoss,
      history,
      steadyTokens,
      steadySeconds,
      dropoutCalls: runDropout.map((layer) => layer.calls),
      optimizer: await updater!.captureOptimizer(),
      seconds: elapsed(),
      best: best.record,
      plateau,
      latestWeights,
    };
  };
  /** Where training stands; `epochDone` after an epoch's record (then a resumed run starts the next epoch). */
  const progress = (epoch: number, batchInEpoch: number, epochLoss: number, epochDone = false): TrainProgress => ({
    epoch,
    batchInEpoch,
    batchesPerEpoch,
    totalSteps,
    fractionDone:
      totalSteps === null && budgetSeconds === null
        ? null
        : runProgress(step, 0, totalSteps, { seconds: elapsed(), budgetSeconds }),
    charsPerSecond: charsPerSecond(),
    learningRate,
    best: best.record,
    history,
    captureState: () =>
      epochDone && batchInEpoch === batchesPerEpoch
        ? stateAt(epoch + 1, 0, 0)
        : stateAt(epoch, batchInEpoch, epochLoss),
    withBestWeights: (task) => {
      updater!.syncWeights();
      return best.withBest(step, task);
    },
  });
  let stopReason: StopReason | null = null;
  /** True when the last validations found no new best `patience` times in a row. */
  const patienceSpent = () => config.patience !== null && (best.record?.waited ?? 0) >= config.patience;
  /** Validates the latest weights, records it, sets `stopReason` when patience runs out, tells the callbacks. */
  const validate = async (epoch: number, batchInEpoch: number, epochLoss: number): Promise<EvaluationRecord> => {
    updater!.syncWeights();
    const { batchSize, valMaxTokens, threads } = config;
    const valLoss = evaluate(model, data.val!, batchSize, engine.name, valMaxTokens, encoded, threads);
    const improved = best.observe(valLoss, step);
    plateau = afterValidation(config, plateau, improved);
    const record: EvaluationRecord = {
      step,
      epoch,
      trainLoss: meanLossSince(history, history.evaluations.at(-1)?.step ?? 0),
      valLoss,
      valBitsPerChar: bitsPerChar(valLoss, config),
      learningRate,
      best: improved,
      seconds: elapsed(),
    };
    history.evaluations.push(record);
    if (patienceSpent()) stopReason = 'patience';
    for (const cb of callbacks) await cb.onEvaluation?.(record, progress(epoch, batchInEpoch, epochLoss));
    return record;
  };

  let interrupted: RunState | null = null;
  let epochLoss = 0;
  let batchInEpoch = 0;
  try {
    if (resume !== undefined) runDropout.forEach((layer, k) => (layer.calls = resume.dropoutCalls[k] ?? 0));
    if (resume?.latestWeights != null) writeValues(variables, resume.latestWeights, 'The saved run state');
    updater = await startUpdater(model, engine, config, resume, encoded);
    started = performance.now() - 1000 * (resume?.seconds ?? 0);
    const firstStep = step;
    run: for (let epoch = resume?.epoch ?? 1; config.epochs === null || epoch <= config.epochs; epoch++) {
      if (totalSteps !== null && step >= totalSteps) break;
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
        // Each call takes a step at least; a resumed run whose patience was spent stops at once.
        if (budgetSeconds !== null && elapsed() >= budgetSeconds && step > firstStep) stopReason = 'minutes';
        if (patienceSpent()) stopReason = 'patience';
        if (stopReason !== null) break;
        const runDone = runProgress(step + 1, config.warmup, totalSteps, { seconds: elapsed(), budgetSeconds });
        const rate = learningRateAt(config, step + 1, runDone, plateau);
        if (rate !== learningRate) updater.setLearningRate(rate);
        learningRate = rate;
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
        if (totalSteps !== null && step >= totalSteps) break;
        // The epoch's end validates anyway.
        if (config.evalEvery !== null && step % config.evalEvery === 0 && batchInEpoch < batchesPerEpoch) {
          await validate(epoch, batchInEpoch, epochLoss);
          if (stopReason !== null) break;
        }
      }
      if (batchInEpoch === 0) break; // the run stopped before this epoch's first step
      const recorded = history.epochs.at(-1);
      if (recorded?.epoch === epoch && recorded.step === step) break; // a resumed run that had ended this epoch
      updater.syncWeights();
      // The end of the epoch, or of the run within it: validated once where it stands.
      const last = history.evaluations.at(-1);
      const evaluation =
        data.val === null ? null : last?.step === step ? last : await validate(epoch, batchInEpoch, epochLoss);
      const record: EpochRecord = {
        epoch,
        step,
        trainLoss: epochLoss / batchInEpoch,
        valLoss: evaluation?.valLoss ?? null,
        valBitsPerChar: evaluation?.valBitsPerChar ?? null,
        seconds: elapsed(),
      };
      history.epochs.push(record);
      for (const cb of callbacks) await cb.onEpochEnd?.(record, progress(epoch, batchInEpoch, epochLoss, true));
      if (stopReason !== null) break;
    }
    updater.syncWeights();
  } finally {
    await updater?.dispose();
    best.restore(); // the network keeps its best validation's weights; a checkpoint's state keeps the latest
    best.dispose();
  }
  const lastEpoch = history.epochs.at(-1);
  const result: TrainResult = {
    engine: engine.name,
    history,
    steps: step,
    stopReason:
      interrupted !== null ? 'interrupted' : (stopReason ?? (step === config.maxSteps ? 'max-steps' : 'epochs')),
    charsPerSecond: charsPerSecond(),
    trainLoss:
      interrupted !== null || lastEpoch === undefined ? epochLoss / Math.max(batchInEpoch, 1) : lastEpoch.trainLoss,
    valLoss: best.record?.valLoss ?? null,
    valBitsPerChar: best.record === null ? null : bitsPerChar(best.record.valLoss, config),
    bestStep: best.record?.step ?? null,
    seconds: elapsed(),
    interrupted,
  };
  if (encoded !== undefined) {
    // With the weights the network ends with: not after an interruption mid-epoch.
    const shuffled = shuffledEncoderInputs(encoded, deriveSeed(config.seed, 'shuffled conditions'));
    result.valLossShuffledConditions =
      data.val === null || shuffled === null || interrupted !== null
        ? null
        : evaluate(model, data.val, config.batchSize, engine.name, config.valMaxTokens, shuffled);
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(result);
  return result;
}

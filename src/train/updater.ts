import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import { type Engine, isDecayedWeight, type LossAndGradients } from '../engines';
import {
  batchEncoderIds,
  encoderDecoderLossAndGradients,
  type EncoderDecoderRun,
  trainingStart,
  withEncoderGradients,
} from './encoderDecoder';
import { clipByGlobalNorm } from './clip';
import { GradientWorkers } from './parallelGradients';
import { captureOptimizer, NamedTensor, restoreOptimizer, RunState } from './runState';

/** What the update of the weights needs from a run's settings. */
export interface UpdaterSettings {
  /** Adam's learning rate at the start ({@link Updater.setLearningRate} changes it between steps). */
  learningRate: number;
  /** Decoupled weight decay (AdamW) of the matrices, 0 for none: see `UpdateSettings.weightDecay`. */
  weightDecay: number;
  clipNorm: number | null;
  threads: number;
  /** The training loss's label smoothing, absent or 0 for none: see `Engine.lossAndGradients`. */
  labelSmoothing?: number;
}

/**
 * How a run updates its weights, step by step: either the engine's whole steps (an engine whose `startTraining` runs
 * the network), or TensorFlow.js's Adam over the gradients an engine computes (on this thread, or shared with worker
 * threads).
 */
export interface Updater {
  /** One optimisation step on `batch`; returns its mean loss. */
  step(batch: Batch): Promise<number>;
  /** Sets the learning rate (≥ 0) of the steps from the next one on; the weight decay scales with it. */
  setLearningRate(learningRate: number): void;
  /** Brings the network's variables up to date (the engine may hold newer weights between steps). */
  syncWeights(): void;
  /** Adam's whole state, after bringing the variables up to date; the caller disposes the tensors. */
  captureOptimizer(): Promise<NamedTensor[]>;
  dispose(): Promise<void>;
}

/**
 * Starts the updates of `model`'s weights by `engine` (AdamW when `weightDecay` > 0), from a fresh Adam or from
 * `resume`'s state: the engine's own whole steps where it has them, else TensorFlow.js's Adam over the engine's
 * gradients, on this thread or with the batch's rows shared with worker threads. A conditional or
 * sequence-to-sequence run (`encoded`: `model` is its generator) updates the generator and its encoder together: in
 * the engine's whole steps when it runs both (the native engine's conditional and sequence-to-sequence steps), else with
 * TensorFlow.js's Adam, the encoder on this thread, the generator's rows on the engine's threads or the worker
 * threads, each from its rows' initial states.
 */
export async function startUpdater(
  model: tf.LayersModel,
  engine: Engine,
  given: UpdaterSettings,
  resume?: RunState,
  encoded?: EncoderDecoderRun,
): Promise<Updater> {
  // A limit of 0 (or below) means no clipping, for every engine.
  const settings = {
    ...given,
    clipNorm: given.clipNorm !== null && given.clipNorm > 0 ? given.clipNorm : null,
    labelSmoothing: given.labelSmoothing ?? 0,
  };
  checkedRate(settings.learningRate, 'learning rate (--lr)');
  checkedRate(settings.weightDecay, 'weight decay (--weight-decay)');
  const encoder =
    encoded === undefined ? undefined : { network: encoded.encoder, ids: (b: Batch) => batchEncoderIds(b, encoded) };
  const fused = engine.startTraining?.(model, settings, resume?.optimizer ?? null, encoder) ?? null;
  if (fused !== null) {
    return {
      step: (batch) => Promise.resolve(fused.step(batch)),
      setLearningRate: (learningRate) => fused.setLearningRate(checkedRate(learningRate, 'learning rate (--lr)')),
      syncWeights: () => fused.syncWeights(),
      captureOptimizer: () => {
        fused.syncWeights();
        return Promise.resolve(fused.captureOptimizer());
      },
      dispose: () => Promise.resolve(fused.dispose()),
    };
  }
  const optimizer: tf.Optimizer = tf.train.adam(settings.learningRate);
  let learningRate = settings.learningRate;
  let workers: GradientWorkers | null = null;
  try {
    setAdamLearningRate(optimizer, learningRate); // fails now, not at the first change, if tfjs has no such field
    if (resume !== undefined) await restoreOptimizer(optimizer, resume.optimizer);
    if (settings.threads > 1 && !engine.ownThreads)
      workers = await GradientWorkers.start(model, settings.threads - 1, settings.labelSmoothing);
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  const gradients = async (batch: Batch): Promise<LossAndGradients> => {
    if (encoded === undefined)
      return workers !== null
        ? workers.lossAndGradients(model, batch, engine)
        : engine.lossAndGradients(model, batch, settings.threads, null, null, settings.labelSmoothing);
    const ids = batchEncoderIds(batch, encoded);
    if (workers === null)
      return encoderDecoderLossAndGradients(engine, encoded, batch, ids, settings.threads, settings.labelSmoothing);
    const start = trainingStart(encoded, ids, batch.batchSize);
    return withEncoderGradients(
      encoded,
      ids,
      batch.batchSize,
      await workers.lossAndGradients(model, batch, engine, { ...start, layout: encoded.layout }),
      engine.name,
    );
  };
  return {
    // 1 − lr·wd in double; tf.mul rounds it to float32, as the native engine does.
    step: async (batch) =>
      applyAdamW(optimizer, await gradients(batch), settings.clipNorm, 1 - learningRate * settings.weightDecay),
    setLearningRate(rate) {
      learningRate = checkedRate(rate, 'learning rate (--lr)');
      setAdamLearningRate(optimizer, learningRate);
    },
    syncWeights: () => {},
    captureOptimizer: () => captureOptimizer(optimizer),
    async dispose() {
      optimizer.dispose();
      await workers?.terminate();
    },
  };
}

/** `value` when it is a finite number ≥ 0; else an error naming the setting. */
function checkedRate(value: number, what: string): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new Error(`Training settings: the ${what} must be a finite number ≥ 0, got ${value}. Correct that setting.`);
  return value;
}

/**
 * Sets the learning rate of tfjs' Adam, which `applyGradients` reads at every step (the `learningRate` field of
 * AdamOptimizer 4.22, protected in its types); throws when this TensorFlow.js version has no such field.
 */
function setAdamLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const fields = optimizer as unknown as { learningRate?: unknown };
  if (typeof fields.learningRate !== 'number')
    throw new Error(
      'Cannot change the learning rate of the Adam optimizer of this TensorFlow.js version (learningRate not found).',
    );
  fields.learningRate = learningRate;
}

/**
 * Applies one batch's gradients (clipped to the global norm `clipNorm` unless null) with AdamW: first the decayed
 * variables among those updated (see `isDecayedWeight`) are multiplied by `decay` (1 − lr·wd; 1 for plain Adam), then
 * Adam updates every variable. Returns the batch's loss.
 */
function applyAdamW(
  optimizer: tf.Optimizer,
  { loss, grads }: LossAndGradients,
  clipNorm: number | null,
  decay: number,
): number {
  try {
    tf.tidy(() => {
      const clipped = clipNorm === null ? grads : clipByGlobalNorm(grads, clipNorm);
      // The optimizer finds the variables by their names in the same registry.
      const variables = tf.engine().registeredVariables;
      if (decay !== 1)
        for (const name of Object.keys(grads))
          if (isDecayedWeight(variables[name].shape)) variables[name].assign(tf.mul(variables[name], decay));
      optimizer.applyGradients(clipped);
    });
  } finally {
    tf.dispose(grads);
  }
  return loss;
}

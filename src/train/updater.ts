import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import type { Engine, LossAndGradients } from '../engines';
import { batchConditionIds, conditionalLossAndGradients, type ConditionalRun, encoderStates, withEncoderGradients } from './conditionalGradients';
import { clipByGlobalNorm } from './clip';
import { GradientWorkers } from './parallelGradients';
import { captureOptimizer, NamedTensor, restoreOptimizer, RunState } from './runState';

/** What the update of the weights needs from a run's settings. */
export interface UpdaterSettings {
  learningRate: number;
  clipNorm: number | null;
  threads: number;
}

/**
 * How a run updates its weights, step by step: either the engine's whole steps (an engine with `startTraining`), or
 * TensorFlow.js's Adam over the gradients an engine computes (on this thread, or shared with worker threads).
 */
export interface Updater {
  /** One optimisation step on `batch`; returns its mean loss. */
  step(batch: Batch): Promise<number>;
  /** Brings the network's variables up to date (the engine may hold newer weights between steps). */
  syncWeights(): void;
  /** Adam's whole state, after bringing the variables up to date; the caller disposes the tensors. */
  captureOptimizer(): Promise<NamedTensor[]>;
  dispose(): Promise<void>;
}

/**
 * Starts the updates of `model`'s weights by `engine`, from a fresh Adam or from `resume`'s state. A conditional run
 * (`conditional`) updates the generator and the condition encoder together, with TensorFlow.js's Adam on this thread
 * (plus the engine's own threads).
 */
export async function startUpdater(
  model: tf.LayersModel, engine: Engine, given: UpdaterSettings, resume?: RunState, conditional?: ConditionalRun,
): Promise<Updater> {
  // A limit of 0 (or below) means no clipping, for every engine.
  const settings = { ...given, clipNorm: given.clipNorm !== null && given.clipNorm > 0 ? given.clipNorm : null };
  if (conditional !== undefined) return conditionalUpdater(conditional, engine, settings, resume);
  if (engine.startTraining !== undefined) {
    const fused = engine.startTraining(model, settings, resume?.optimizer ?? null);
    return {
      step: async (batch) => fused.step(batch),
      syncWeights: () => fused.syncWeights(),
      captureOptimizer: async () => {
        fused.syncWeights();
        return fused.captureOptimizer();
      },
      dispose: async () => fused.dispose(),
    };
  }
  const optimizer: tf.Optimizer = tf.train.adam(settings.learningRate);
  let workers: GradientWorkers | null = null;
  try {
    if (resume !== undefined) await restoreOptimizer(optimizer, resume.optimizer);
    if (settings.threads > 1 && !engine.ownThreads) workers = await GradientWorkers.start(model, settings.threads - 1);
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  return {
    async step(batch) {
      const result = workers !== null ? await workers.lossAndGradients(model, batch, engine) : engine.lossAndGradients(model, batch, settings.threads);
      return applyAdam(optimizer, result, settings.clipNorm);
    },
    syncWeights: () => {},
    captureOptimizer: () => captureOptimizer(optimizer),
    async dispose() {
      optimizer.dispose();
      await workers?.terminate();
    },
  };
}

/** Applies one batch's gradients (clipped to the global norm `clipNorm` unless null) with Adam; returns its loss. */
function applyAdam(optimizer: tf.Optimizer, { loss, grads }: LossAndGradients, clipNorm: number | null): number {
  try {
    tf.tidy(() => optimizer.applyGradients(clipNorm === null ? grads : clipByGlobalNorm(grads, clipNorm)));
  } finally {
    tf.dispose(grads);
  }
  return loss;
}

/**
 * The updater of a conditional or sequence-to-sequence run: both networks' gradients (see
 * `conditionalLossAndGradients`), one Adam. With threads and an engine without its own, the encoder runs here and the
 * generator's rows are shared with worker threads, each starting from its rows' states.
 */
async function conditionalUpdater(run: ConditionalRun, engine: Engine, settings: UpdaterSettings, resume?: RunState): Promise<Updater> {
  const optimizer: tf.Optimizer = tf.train.adam(settings.learningRate);
  let workers: GradientWorkers | null = null;
  try {
    if (resume !== undefined) await restoreOptimizer(optimizer, resume.optimizer);
    if (settings.threads > 1 && !engine.ownThreads) workers = await GradientWorkers.start(run.generator, settings.threads - 1);
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  const gradients = async (batch: Batch): Promise<LossAndGradients> => {
    const ids = batchConditionIds(batch, run);
    if (workers === null) return conditionalLossAndGradients(engine, run, batch, ids, settings.threads);
    const state = encoderStates(run, ids, batch.batchSize);
    return withEncoderGradients(run, ids, batch.batchSize, await workers.lossAndGradients(run.generator, batch, engine, { state, layout: run.layout }), engine.name);
  };
  return {
    step: async (batch) => applyAdam(optimizer, await gradients(batch), settings.clipNorm),
    syncWeights: () => {},
    captureOptimizer: () => captureOptimizer(optimizer),
    async dispose() {
      optimizer.dispose();
      await workers?.terminate();
    },
  };
}

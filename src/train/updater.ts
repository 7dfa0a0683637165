import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import type { Engine, LossAndGradients } from '../engines';
import {
  batchEncoderIds,
  encoderDecoderLossAndGradients,
  type EncoderDecoderRun,
  encoderStates,
  withEncoderGradients,
} from './encoderDecoder';
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
 * Starts the updates of `model`'s weights by `engine`, from a fresh Adam or from `resume`'s state: the engine's own
 * whole steps where it has them, else TensorFlow.js's Adam over the engine's gradients, on this thread or with the
 * batch's rows shared with worker threads. A conditional or sequence-to-sequence run (`encoded`: `model` is its
 * generator) updates the generator and its encoder together with TensorFlow.js's Adam; the encoder runs on this
 * thread, the generator's rows on the engine's threads or the worker threads, each from its rows' initial states.
 */
export async function startUpdater(
  model: tf.LayersModel,
  engine: Engine,
  given: UpdaterSettings,
  resume?: RunState,
  encoded?: EncoderDecoderRun,
): Promise<Updater> {
  // A limit of 0 (or below) means no clipping, for every engine.
  const settings = { ...given, clipNorm: given.clipNorm !== null && given.clipNorm > 0 ? given.clipNorm : null };
  if (engine.startTraining !== undefined && encoded === undefined) {
    const fused = engine.startTraining(model, settings, resume?.optimizer ?? null);
    return {
      step: (batch) => Promise.resolve(fused.step(batch)),
      syncWeights: () => fused.syncWeights(),
      captureOptimizer: () => {
        fused.syncWeights();
        return Promise.resolve(fused.captureOptimizer());
      },
      dispose: () => Promise.resolve(fused.dispose()),
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
  const gradients = async (batch: Batch): Promise<LossAndGradients> => {
    if (encoded === undefined)
      return workers !== null
        ? workers.lossAndGradients(model, batch, engine)
        : engine.lossAndGradients(model, batch, settings.threads);
    const ids = batchEncoderIds(batch, encoded);
    if (workers === null) return encoderDecoderLossAndGradients(engine, encoded, batch, ids, settings.threads);
    const state = encoderStates(encoded, ids, batch.batchSize);
    return withEncoderGradients(
      encoded,
      ids,
      batch.batchSize,
      await workers.lossAndGradients(model, batch, engine, { state, layout: encoded.layout }),
      engine.name,
    );
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

/** Applies one batch's gradients (clipped to the global norm `clipNorm` unless null) with Adam; returns its loss. */
function applyAdam(optimizer: tf.Optimizer, { loss, grads }: LossAndGradients, clipNorm: number | null): number {
  try {
    tf.tidy(() => optimizer.applyGradients(clipNorm === null ? grads : clipByGlobalNorm(grads, clipNorm)));
  } finally {
    tf.dispose(grads);
  }
  return loss;
}

import type * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import type { EncoderMemory, ModelConfig, VectorStateStepper } from '../model';

/** The loss of one batch and its gradients, named as the network's trainable variables (the caller disposes them). */
export interface LossAndGradients {
  /** Mean loss per real target token (nats). */
  loss: number;
  /** Gradient of that loss for each trainable variable, by variable name. */
  grads: tf.NamedTensorMap;
  /** Gradient of the loss for the initial state, in its layout, when one was given (else absent). */
  initialStateGrad?: Float32Array;
  /** Gradient of the loss for the encoder memory (`[rows, length, width]`), when one was given (else absent). */
  memoryGrad?: Float32Array;
}

/** An optimizer's state as named tensors, in the layout `tf.train.adam` saves it (see `captureOptimizer`). */
export type OptimizerState = { name: string; tensor: tf.Tensor }[];

/**
 * How a training run updates the weights: Adam's learning rate (at the start: {@link FusedTraining.setLearningRate}
 * changes it between steps), the decoupled weight decay, the global gradient-norm limit, the threads.
 */
export interface UpdateSettings {
  learningRate: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter; `torch.optim.AdamW`): each step first multiplies every
   * decayed weight (see {@link isDecayedWeight}) by `1 − lr·weightDecay` (computed in double, then rounded to float32;
   * lr: the step's learning rate), then applies the plain Adam update. 0 is plain Adam.
   */
  weightDecay: number;
  /** null: no clipping. */
  clipNorm: number | null;
  threads: number;
  /** The training loss's label smoothing (see {@link Engine.lossAndGradients}); absent or 0 for none. */
  labelSmoothing?: number;
}

/**
 * Whether weight decay applies to a weight of this shape: to the matrices (input and recurrent kernels, embeddings,
 * dense kernels: rank ≥ 2), not to biases and other vectors (rank 1) or scalars — as nanoGPT and most PyTorch
 * training scripts split their parameter groups. The one rule every engine and the TensorFlow.js update follow.
 */
export function isDecayedWeight(shape: readonly number[]): boolean {
  return shape.length >= 2;
}

/** The encoder of a conditional or sequence-to-sequence run, for an engine that steps it with its decoder. */
export interface EncoderRun {
  /** The encoder network (`buildConditionEncoder`'s or `buildSequenceEncoder`'s). */
  network: tf.LayersModel;
  /** A batch's encoder ids `[batch, ids per row]` (each row's conditions, or its padded source). */
  ids(batch: Batch): Int32Array;
}

/**
 * A training run whose weights and Adam state the engine holds between steps, so that one call does a whole step —
 * loss, gradients, clipping, the weight decay and the Adam update, with `tf.train.adam`'s arithmetic. The network's
 * variables are brought up to date by {@link syncWeights} (before validation, checkpoints and at the end); weights
 * written into them during the run are not seen by the engine.
 */
export interface FusedTraining {
  /** One optimisation step; returns the batch's mean loss per real target token. */
  step(batch: Batch): number;
  /** Sets the learning rate of the steps from the next one on (a schedule's warmup, decay or plateau cut). */
  setLearningRate(learningRate: number): void;
  /** Writes the current weights into the network's variables. */
  syncWeights(): void;
  /**
   * Adam's state in `tf.train.adam`'s layout (iterations, first moments, second moments, accBeta1, accBeta2); the
   * caller disposes it.
   */
  captureOptimizer(): OptimizerState;
  /** Releases what the engine holds. */
  dispose(): void;
}

/**
 * What a training run on an engine keeps in memory at its peak (a step, validation, a checkpoint), in bytes, measured
 * on the wasm backend (see `train/memory.ts`): per trainable parameter (weights, gradients, Adam's moments, the copies
 * the engine and a checkpoint make); per gradient a tape keeps (a family's `TrainingShape.tapeGradients`); per float
 * that the reference engine keeps at each token (`TrainingShape.floatsPerToken`). The `heap` ones are the part of
 * those in the TensorFlow.js backend's memory (at most 4 GiB on wasm); the rest is the engine's own.
 */
export interface EngineMemory {
  perParam: number;
  perTapeGradient: number;
  perTokenFloat: number;
  heapPerParam: number;
  heapPerTokenFloat: number;
}

/**
 * The code that runs a generator network's training step and its generation steps. Every engine computes the same
 * function of the same weights (the network stays a tfjs-layers model, so artifacts do not depend on the engine);
 * they differ in speed and in what they can run. A new engine is one folder that exports such an object, plus one
 * line in the registry (`engines/registry.ts`).
 */
export interface Engine {
  /** Name in settings and on the command line (`--engine`). */
  readonly name: string;
  /** One line for `gennet engines`. */
  readonly description: string;
  /** What its training runs keep in memory, to refuse one that cannot fit before it starts. */
  readonly memory: EngineMemory;
  /** Why this engine cannot run on this machine (and how to get it), or null when it can. */
  unavailableReason(): string | null;
  /** Why this engine cannot run `network` (naming the layer or setting), or null when it can. */
  unsupportedReason(network: tf.LayersModel): string | null;
  /**
   * True when the engine splits a batch over threads itself (`lossAndGradients` gets the thread count); false when
   * the trainer splits it over worker threads that each run the engine on one thread.
   */
  readonly ownThreads: boolean;
  /**
   * True when `lossAndGradients` differentiates through TensorFlow.js's gradient tape (`tf.variableGrads`); false when
   * it computes its gradients itself — then it may run inside another tape without filling it (conditional training
   * runs the encoder's forward pass once, with the engine inside its tape).
   */
  readonly differentiatesOnTape: boolean;
  /**
   * Loss and gradients of one training batch (dropout on), with the network's current weights. Every row starts from
   * `initialState` (`batch.batchSize` rows, the layout of `stateLayout`; a condition's or an encoder's state) when
   * given, else from zeros; then the result has the state's gradient too. A decoder with attention attends to
   * `memory` (its rows the batch's), and the result has the memory's gradient; an engine that cannot run attention
   * refuses such a network in `unsupportedReason`. With `labelSmoothing` ε > 0 the loss is the cross-entropy against
   * the smoothed targets (1 − ε)·one-hot + ε/V (Szegedy et al. 2016; `torch.nn.CrossEntropyLoss(label_smoothing=ε)`);
   * {@link Engine.loss} always scores the plain one.
   */
  lossAndGradients(
    network: tf.LayersModel,
    batch: Batch,
    threads: number,
    initialState?: Float32Array | null,
    memory?: EncoderMemory | null,
    labelSmoothing?: number,
  ): LossAndGradients;
  /**
   * Mean loss per real target token (nats) of one batch, in inference mode (no dropout), from `initialState` or zeros
   * (attending to `memory`, a decoder with attention); an engine with its own threads (`ownThreads`) shares the rows
   * among `threads` of them (default 1).
   */
  loss(
    network: tf.LayersModel,
    batch: Batch,
    initialState?: Float32Array | null,
    threads?: number,
    memory?: EncoderMemory | null,
  ): number;
  /** A stepper for `batchSize` sequences over a snapshot of the network's weights; its state is the recurrent state. */
  createStepper(network: tf.LayersModel, config: ModelConfig, batchSize: number): VectorStateStepper;
  /**
   * When the engine can run whole optimisation steps itself: starts a run from the network's weights and a saved
   * Adam state (null for a fresh one; for a run with an encoder, the moments of the network's weights, then the
   * encoder's). Given `encoder` (a conditional or sequence-to-sequence run: `network` is its decoder), the steps
   * train both. Engines without it, or returning null for these networks, leave Adam and clipping to TensorFlow.js.
   */
  startTraining?(
    network: tf.LayersModel,
    settings: UpdateSettings,
    optimizer: OptimizerState | null,
    encoder?: EncoderRun,
  ): FusedTraining | null;
}

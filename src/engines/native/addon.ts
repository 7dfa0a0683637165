import type * as tf from '@tensorflow/tfjs';
import { loadAddonFile } from './addonLoader';

/** The shape of a network as the addon reads it (see native/src/network.h). */
export interface NativeSpec {
  /** The cell's name (`lstm`, `gru`, `rnn`: one of the addon's `cells`). */
  cell: string;
  /** 0 sigmoid, 1 hard sigmoid. */
  gate: number;
  layers: number;
  units: number;
  vocab: number;
  /** Embedding width; 0 for one-hot input. */
  embed: number;
  /** Rate of the dropout after every recurrent layer; 0 for none. */
  dropout: number;
  /** A decoder with attention: the width of the encoder memory it attends to (absent or 0: no attention). */
  attention?: number;
  /** Its score: 0 Luong's "general" one, 1 Bahdanau's additive one (absent: 0). */
  attentionKind?: number;
  /** The training loss's label smoothing (passes with gradients; absent: 0), read by builds with `labelSmoothing`. */
  labelSmoothing?: number;
}

/** The shape of a sequence-to-sequence model as the addon reads it (see native/src/seq2seq.h). */
export interface NativeSeq2SeqSpec {
  decoder: NativeSpec;
  encoder: {
    cell: string;
    gate: number;
    layers: number;
    /** Units of each direction. */
    units: number;
    bidirectional: boolean;
    vocab: number;
    embed: number;
    /**
     * Rate of the dropout on each layer's outputs (every layer below the top, and the top one when the decoder attends
     * to it; one seed each after the decoder's); 0 or absent for none.
     */
    dropout?: number;
  };
}

/** The shape of a conditional model as the addon reads it (see native/src/conditional.h). */
export interface NativeConditionalSpec {
  /** The recurrent network (no attention). */
  network: NativeSpec;
  /** Rows of the condition encoder's table (every condition's values). */
  values: number;
  /** Size of each value's vector. */
  dim: number;
  /** Conditions per row. */
  count: number;
}

/** An encoder memory as the addon takes it: `[rows, length, width]` batch-major, and each row's real positions. */
export interface NativeMemory {
  values: Float32Array;
  lengths: Int32Array;
  length: number;
}

/**
 * A network as the native engine hands it to the addon: its shape (`S`: a recurrent network's or a GPT's), its
 * variables in the addon's order, and the seeds of the next training call's dropout masks (one per dropout layer;
 * null without dropout).
 */
export interface NativeLayout<S = NativeSpec> {
  spec: S;
  variables: tf.LayerVariable[];
  nextDropoutSeeds: () => Uint32Array | null;
}

/** Milliseconds per training step in each phase (as the thread with the first rows of each batch saw them). */
export interface NativeStepProfile {
  steps: number;
  input: number;
  recurrentForward: number;
  output: number;
  recurrentBackward: number;
  weightGradients: number;
  update: number;
}

/** The shape of a GPT as the addon reads it (see native/src/gpt.h). */
export interface NativeGptSpec {
  layers: number;
  width: number;
  heads: number;
  context: number;
  vocab: number;
  tied: boolean;
  /** Rate of every dropout layer; 0 for none. */
  dropout: number;
  /** As {@link NativeSpec.labelSmoothing}. */
  labelSmoothing?: number;
}

/** A batch as the addon's passes take it: row-major ids and loss weights (null: all count), and the threads to use. */
export type BatchArguments = [
  inputs: Int32Array,
  targets: Int32Array,
  mask: Float32Array | null,
  batch: number,
  steps: number,
  threads: number,
];

/** Adam's state as the addon's trainers hold it (tf.train.adam's: moments in the order of the weights). */
export interface NativeAdamState {
  first: Float32Array[];
  second: Float32Array[];
  iterations: number;
  accBeta1: number;
  accBeta2: number;
}

/** What a sequence-to-sequence model's training step takes after the batch: `[rows, length]` padded source ids. */
export type SourceArguments = [sources: Int32Array, sourceLength: number];

/**
 * A run's weights and Adam state in the addon (native/src/trainerWrap.h), stepped a batch at a time; `Extra`: what
 * its steps take after the dropout seeds (a sequence-to-sequence model's sources).
 */
export interface NativeTrainer<Extra extends unknown[] = []> {
  /** Trains on one batch (rows from zeros; `dropoutSeeds` one per dropout layer, or null) and returns its loss. */
  step(...args: [...batch: BatchArguments, dropoutSeeds: Uint32Array | null, ...extra: Extra]): number;
  /** Sets the learning rate from the next step on (the weight decay's factor 1 − lr·wd follows it). */
  setLearningRate(learningRate: number): void;
  weights(): Float32Array[];
  state(): NativeAdamState;
}

/** The constructor of a {@link NativeTrainer} for networks of spec `S`. */
export type NativeTrainerClass<S, Extra extends unknown[] = []> = new (
  spec: S,
  weights: Float32Array[],
  /** null: a fresh Adam. */
  state: NativeAdamState | null,
  adam: { learningRate: number; beta1: number; beta2: number; epsilon: number; clipNorm: number; weightDecay: number },
  /** Per weight (in `weights`' order): whether the weight decay applies to it. */
  decayed: boolean[],
) => NativeTrainer<Extra>;

/** The C++ addon's exports (native/src/addon.cc). */
export interface NativeAddon {
  /**
   * A GPT batch's mean loss and, `withGradients`, its gradients (in the order of the weights: the network's trainable
   * weights); `dropoutSeeds`: one per dropout layer (after the embeddings, then each attention and MLP), or null.
   */
  gptLossAndGradients(
    spec: NativeGptSpec,
    weights: Float32Array[],
    ...args: [...batch: BatchArguments, dropoutSeeds: Uint32Array | null, withGradients: boolean]
  ): { loss: number; grads: Float32Array[] | null };
  /** The names of the cells the addon runs (its cell registry, native/src/cells/registry.cc). */
  cells: string[];
  /** The phases of the whole training steps so far; `reset` starts the count afresh. */
  profile(reset?: boolean): NativeStepProfile;
  /**
   * One training batch's loss and gradients; `dropoutSeeds` (one per layer, null: none) seed the dropout masks, the
   * rows start from `initialState` (null: zeros), a decoder with attention attends to `memory`. Also returns the
   * state after the last step and, given an initial state, the loss's gradient with respect to it (else null), and
   * with respect to the memory (a decoder with attention, else null). States: see {@link NativeAddon.Stepper}.
   */
  lossAndGradients(
    spec: NativeSpec,
    weights: Float32Array[],
    ...args: [
      ...batch: BatchArguments,
      dropoutSeeds: Uint32Array | null,
      initialState: Float32Array | null,
      memory?: NativeMemory | null,
    ]
  ): {
    loss: number;
    grads: Float32Array[];
    finalState: Float32Array;
    initialStateGrads: Float32Array | null;
    memoryGrads: Float32Array | null;
  };
  /** The mean loss alone (evaluation: no dropout), the rows starting from `initialState` (null: zeros). */
  loss(
    spec: NativeSpec,
    weights: Float32Array[],
    ...args: [...batch: BatchArguments, initialState: Float32Array | null, memory?: NativeMemory | null]
  ): number;
  /**
   * A sequence-to-sequence batch's mean loss and, `withGradients`, its gradients (the decoder's weights, then the
   * encoder's): the encoder reads the sources, the decoder runs from its state and attends to its memory (absent
   * from builds before native sequence-to-sequence models).
   */
  seq2seqLossAndGradients?(
    spec: NativeSeq2SeqSpec,
    weights: Float32Array[],
    ...args: [
      ...batch: BatchArguments,
      dropoutSeeds: Uint32Array | null,
      ...sources: SourceArguments,
      withGradients: boolean,
    ]
  ): { loss: number; grads: Float32Array[] | null };
  /**
   * A conditional batch's mean loss and, `withGradients`, its gradients (the network's weights, then the condition
   * encoder's): each row starts from the state its `conditions` ([batch, count] table rows) give (absent from builds
   * before native conditional models).
   */
  conditionalLossAndGradients?(
    spec: NativeConditionalSpec,
    weights: Float32Array[],
    ...args: [
      ...batch: BatchArguments,
      dropoutSeeds: Uint32Array | null,
      conditions: Int32Array,
      withGradients: boolean,
    ]
  ): { loss: number; grads: Float32Array[] | null };
  /** Whole training steps of a conditional model, condition encoder and network (absent from older builds). */
  ConditionalTrainer?: NativeTrainerClass<NativeConditionalSpec, [conditions: Int32Array]>;
  /** True when the specs' `labelSmoothing` is read (absent from older builds, which ignore it). */
  labelSmoothing?: boolean;
  /** True when the sequence-to-sequence passes run the encoder's dropout (absent from older builds). */
  seq2seqEncoderDropout?: boolean;
  /** Whole training steps of a sequence-to-sequence model, encoder and decoder (absent from older builds). */
  Seq2SeqTrainer?: NativeTrainerClass<NativeSeq2SeqSpec, SourceArguments>;
  /** Whole training steps of a recurrent network: its weights and Adam state live in the addon between steps. */
  Trainer: NativeTrainerClass<NativeSpec>;
  /** Whole training steps of a GPT, as {@link NativeAddon.Trainer} (absent from builds before fused GPT steps). */
  GptTrainer?: NativeTrainerClass<NativeGptSpec>;
  /**
   * The dropout masks the training steps draw from `seed`, batch-major [batch, steps, units] (0 or 1 / (1 − rate)).
   */
  dropoutMasks(seed: number, rate: number, batch: number, steps: number, units: number): Float32Array;
  /**
   * A generation stepper. A recurrent state of `batch` rows is one Float32Array: for each layer h [batch, units], then
   * (LSTM) c [batch, units]; `state()` reads it (zeros after a reset), `setState` continues from a given one.
   */
  Stepper: new (
    spec: NativeSpec,
    weights: Float32Array[],
    batch: number,
  ) => {
    feed(tokens: Int32Array, steps: number): Float32Array;
    reset(): void;
    state(): Float32Array;
    setState(state: Float32Array): void;
    /** A decoder with attention: the memory its rows attend to. */
    setMemory(memory: NativeMemory): void;
    /** A decoder with attention: `[batch, length]` the weights of the last token fed (empty before one). */
    lastAttention(): Float32Array;
    /** Frees the stepper's copy of the weights and its state now (the garbage collector does not see their size). */
    dispose(): void;
  };
}

let loaded: { addon: NativeAddon } | { reason: string } | null = null;

/** The addon, or why it cannot be loaded (and how to build it); loaded once. */
export function nativeAddon(): { addon: NativeAddon } | { reason: string } {
  loaded ??= loadAddonFile() as { addon: NativeAddon } | { reason: string };
  return loaded;
}

import type * as tf from '@tensorflow/tfjs';
import type { Initializer } from '../initializers';
import type { GateActivation } from './gates';

/** What every recurrent layer of a generator is built with (the cell adds its own activations). */
export interface RecurrentLayerArgs {
  units: number;
  returnSequences: true;
  /** Also return the final state (h, then c for LSTM) after the sequence: what an encoder hands on. */
  returnState?: boolean;
  stateful: boolean;
  name: string;
  kernelInitializer: Initializer | 'zeros';
  recurrentInitializer: Initializer | 'zeros';
}

/** Size of a time-major batch of sequences: row `t·batch + b` holds step `t` of sequence `b`. */
export interface SequenceShape {
  steps: number;
  batch: number;
}

/** One recurrent layer advancing a batch one step at a time, its state carried in plain arrays. */
export interface CellStepper {
  /**
   * Consumes this step's input projections `[batch, gates·units]` and returns the new hidden state `[batch, units]`
   * (the stepper's own buffer: read it before the next step).
   */
  step(projections: Float32Array): Float32Array;
  /** Forgets the state (back to zeros). */
  reset(): void;
  /**
   * The state the next step starts from: the cell's {@link Cell.states} arrays `[batch, units]` (copies; zeros after
   * a reset).
   */
  state(): Float32Array[];
  /** Continues from `parts` (as {@link state} returns them; copied). */
  setState(parts: readonly Float32Array[]): void;
  /** Releases the stepper's tensors. */
  dispose(): void;
}

/**
 * A recurrent cell, described once: its name, its saved tfjs-layers form, and its math for whole sequences
 * (training) and single steps (generation). The job of a cell is to turn the input projection `x·W + b` of a step
 * and the previous state into the next state; the loops over time and layers belong to the engines.
 * A new cell is one file that exports such an object, plus one line in the registry (`cells/index.ts`).
 */
export interface Cell<Name extends string = string> {
  /** Name in model configurations and on the command line (`--cell`). */
  readonly name: Name;
  /** tfjs-layers class of its layer, as `model.json` names it. */
  readonly layerClass: string;
  /** Width of the input projection and of the recurrent kernel, in units: LSTM 4 (i, f, c, o), GRU 3, RNN 1. */
  readonly gates: number;
  /** Arrays `[batch, units]` in its recurrent state, in tfjs-layers' order: LSTM 2 (h, c), GRU and RNN 1 (h). */
  readonly states: number;
  /** The cell's tfjs-layers layer: the saved form of the network and the reference implementation. */
  layer(args: RecurrentLayerArgs): tf.layers.Layer;
  /**
   * The cell over whole time-major sequences from `initial` (its {@link states} arrays `[batch, units]`; omitted or
   * empty: zeros), as one differentiable op (its backward pass walks the steps in reverse).
   * @param inputs time-major `[steps·batch, gates·units]` input projections.
   * @param recurrentKernel `[units, gates·units]`.
   * @param finalState also return the final state's arrays after h (LSTM: c) as `batch` more rows each (an encoder's
   * handoff; h is the last step's rows).
   * @returns time-major hidden states `[steps·batch, units]` (then the final arrays), differentiable in every
   * argument.
   */
  sequence(
    inputs: tf.Tensor2D,
    recurrentKernel: tf.Tensor2D,
    shape: SequenceShape,
    gate: GateActivation,
    initial?: readonly tf.Tensor2D[],
    finalState?: boolean,
  ): tf.Tensor2D;
  /** A stepper for `batch` sequences over a snapshot of `recurrentKernel` (the stepper owns its copy). */
  stepper(recurrentKernel: tf.Tensor2D, gate: GateActivation, batch: number): CellStepper;
}

import * as tf from '@tensorflow/tfjs';
import { transposedTimes } from './linear';

/** Size of a time-major batch of sequences: row `t·batch + b` holds step `t` of sequence `b`. */
export interface SequenceShape {
  steps: number;
  batch: number;
}

/**
 * The states each step started from, time-major `[steps·batch, units]`: zeros for step 0 (every training sequence
 * starts from a zero state), then the outputs of steps 0 … steps−2.
 */
export function previousStates(outputs: Float32Array, shape: SequenceShape, units: number): Float32Array {
  const stepSize = shape.batch * units;
  const previous = new Float32Array(outputs.length);
  previous.set(outputs.subarray(0, outputs.length - stepSize), stepSize);
  return previous;
}

/**
 * Gradient of a recurrent kernel: `Σ_t statesₜᵀ · dzₜ`, computed as one matMul over all steps.
 * @param states time-major `[steps·batch, units]` inputs of the recurrent matMul.
 * @param dz time-major `[steps·batch, columns]` gradients of its output.
 */
export function recurrentKernelGradient(states: Float32Array, dz: Float32Array, rows: number): tf.Tensor2D {
  return tf.tidy(() =>
    transposedTimes(tf.tensor2d(states, [rows, states.length / rows]), tf.tensor2d(dz, [rows, dz.length / rows])),
  );
}

/** A cell's forward pass over a whole sequence: its outputs, and how to get gradients back from theirs. */
export interface SequencePass {
  /** Time-major hidden states `[steps·batch, units]`. */
  outputs: Float32Array;
  /** Gradients of the input projections and of the recurrent kernel, from the outputs' gradient (time-major). */
  backward(dOutputs: Float32Array, recurrentKernel: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D];
}

/**
 * Runs a cell over whole sequences as one differentiable op: `forward` sees the input projections as a plain array
 * and the recurrent kernel as a tensor, and keeps in its closure what its `backward` needs.
 * @returns time-major hidden states `[steps·batch, units]`, differentiable in both arguments.
 */
export function sequenceOp(
  inputs: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  shape: SequenceShape,
  forward: (projections: Float32Array, recurrentKernel: tf.Tensor2D) => SequencePass,
): tf.Tensor2D {
  const rows = shape.steps * shape.batch;
  const run = tf.customGrad((x, u, save) => {
    (save as tf.GradSaveFunc)([u as tf.Tensor]);
    const pass = forward((x as tf.Tensor).dataSync() as Float32Array, u as tf.Tensor2D);
    return {
      value: tf.tensor2d(pass.outputs, [rows, recurrentKernel.shape[0]]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [kernel]: tf.Tensor[]) => pass.backward((dy as tf.Tensor).dataSync() as Float32Array, kernel as tf.Tensor2D),
    };
  });
  return run(inputs, recurrentKernel) as tf.Tensor2D;
}

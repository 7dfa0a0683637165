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

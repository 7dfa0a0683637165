import * as tf from '@tensorflow/tfjs';
import type { Cell, CellStepper, SequenceShape } from './cell';
import { multiplyRows } from './rowMath';
import { type RowMatrix, stepperMatrix, tensorRowMatrix } from './rowMatrix';
import { carriedStepper, projectionAndKernelGradients, runSteps, SequenceGradients, sequenceOp } from './sequence';

/**
 * One simple (Elman) RNN step for a batch of rows, as tfjs-layers' SimpleRNN computes it: `h' = tanh(x·W + b + h·U)`.
 * @param projections `[batch, units]` input projections `x·W + b` of this step.
 * @param hidden `[batch, units]` previous hidden state; null for a zero state.
 * @param outputs `[batch, units]` where the new hidden state is written.
 */
export function rnnStep(
  projections: Float32Array,
  hidden: Float32Array | null,
  recurrentKernel: RowMatrix,
  outputs: Float32Array,
): void {
  const recurrent = hidden === null ? null : recurrentKernel.times(hidden, hidden.length / recurrentKernel.inner);
  for (let n = 0; n < outputs.length; n++)
    outputs[n] = Math.tanh(projections[n] + (recurrent === null ? 0 : recurrent[n]));
}

/**
 * A simple (Elman) RNN layer over whole sequences from `initial` ([h]; empty: zeros), step by step with
 * {@link rnnStep}; the backward pass walks the steps in reverse (one matMul by `Uᵀ` per step) and sums the
 * recurrent-kernel gradient in one matMul.
 * @param inputs time-major `[steps·batch, units]`: the input projection `x·W + b` of every step.
 * @param recurrentKernel `[units, units]`.
 * @returns time-major hidden states `[steps·batch, units]`, differentiable in every argument.
 */
export function rnnSequence(
  inputs: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  shape: SequenceShape,
  initial: readonly tf.Tensor2D[] = [],
): tf.Tensor2D {
  return sequenceOp(
    inputs,
    recurrentKernel,
    shape,
    initial,
    ({ projections, recurrentKernel: u, steps, batch, units, stepStates, initial: start }) => {
      const h0 = start?.[0] ?? null;
      const recurrentRows = tensorRowMatrix(u);
      const { outputs } = runSteps(
        projections,
        shape,
        units,
        { outputs: 1 },
        (x, before, out) => rnnStep(x, before('outputs'), recurrentRows, out.outputs),
        h0 ? { outputs: h0 } : {},
      ).all;

      const backward = (dOutputs: Float32Array, kernel: tf.Tensor2D): SequenceGradients => {
        const kernelT = tf.transpose(kernel);
        const dz = new Float32Array(steps * stepStates);
        let dRecurrent: Float32Array | null = null;
        for (let t = steps - 1; t >= 0; t--) {
          const base = t * stepStates;
          for (let s = 0; s < stepStates; s++) {
            const h = outputs[base + s];
            dz[base + s] = (dOutputs[base + s] + (dRecurrent === null ? 0 : dRecurrent[s])) * (1 - h * h);
          }
          dRecurrent =
            t === 0 && h0 === null ? null : multiplyRows(dz.subarray(base, base + stepStates), batch, kernelT);
        }
        kernelT.dispose();
        const grads = projectionAndKernelGradients(dz, outputs, shape, units, h0);
        return h0 === null ? grads : [...grads, tf.tensor2d(dRecurrent!, [batch, units])];
      };
      return { outputs, backward };
    },
  );
}

/** A simple RNN layer's {@link CellStepper}: the hidden state in a plain array. */
function rnnStepper(recurrentKernel: tf.Tensor2D, _gate: unknown, batch: number): CellStepper {
  const kernel = stepperMatrix(recurrentKernel);
  return carriedStepper(
    batch,
    kernel.inner,
    { outputs: 1 },
    ['outputs'],
    (x, before, out) => rnnStep(x, before('outputs'), kernel, out.outputs),
    () => kernel.dispose(),
  );
}

/** The simple (Elman) RNN, as tfjs-layers' `SimpleRNN` (tanh, no gates). */
export const rnn = {
  name: 'rnn',
  layerClass: 'SimpleRNN',
  gates: 1,
  states: 1,
  layer: (args) => tf.layers.simpleRNN(args),
  sequence: (inputs, recurrentKernel, shape, _gate, initial) => rnnSequence(inputs, recurrentKernel, shape, initial),
  stepper: rnnStepper,
} as const satisfies Cell<'rnn'>;

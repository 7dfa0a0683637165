import * as tf from '@tensorflow/tfjs';
import type { Cell, CellStepper, SequenceShape } from './cell';
import { GateActivation, GateFunctions, gateFunctions } from './gates';
import { multiplyRows } from './rowMath';
import { type RowMatrix, stepperMatrix, tensorRowMatrix } from './rowMatrix';
import {
  carriedStepper,
  CellStep,
  previousStates,
  recurrentKernelGradient,
  runSteps,
  SequenceGradients,
  sequenceOp,
} from './sequence';

/** What one GRU step writes, each `[batch, units]`: views of a whole sequence's arrays, or a stepper's own buffers. */
export interface GruStepOutputs {
  /** Update gates z. */
  updates: Float32Array;
  /** Reset gates r. */
  resets: Float32Array;
  /** `r ⊙ h` (the input of the candidate's recurrent matMul). */
  resetStates: Float32Array;
  /** Candidate states hh. */
  candidates: Float32Array;
  /** Hidden states. */
  outputs: Float32Array;
}

/** The arrays a GRU step writes, in units per row. */
const GRU_BUFFERS: Record<keyof GruStepOutputs, number> = {
  updates: 1,
  resets: 1,
  resetStates: 1,
  candidates: 1,
  outputs: 1,
};

/**
 * The recurrent kernel of a GRU split as its step uses it: `[units, 2·units]` for z and r, `[units, units]` for hh.
 */
export interface GruKernels<Matrix = RowMatrix> {
  updateReset: Matrix;
  candidate: Matrix;
}

/** Splits a GRU recurrent kernel `[units, 3·units]` into {@link GruKernels} tensors (the caller disposes them). */
export function splitGruKernel(recurrentKernel: tf.Tensor2D): GruKernels<tf.Tensor2D> {
  const units = recurrentKernel.shape[0];
  const [updateReset, candidate] = tf.split(recurrentKernel, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  return { updateReset, candidate };
}

/**
 * One GRU step for a batch of rows, as tfjs-layers' GRU computes it (kernel columns hold z, r, h; the reset gate is
 * applied before the candidate's recurrent matMul: `hh = tanh(x_h + (r ⊙ h) · U_h)`,
 * `h' = z ⊙ h + (1 − z) ⊙ hh`). Two matMuls (`h · U_zr`, `(r ⊙ h) · U_h`), the rest fused in loops.
 * @param projections `[batch, 3·units]` input projections `x·W + b` of this step.
 * @param hidden `[batch, units]` previous hidden state; null for a zero state.
 */
export function gruStep(
  projections: Float32Array,
  hidden: Float32Array | null,
  kernels: GruKernels,
  gate: GateFunctions,
  out: GruStepOutputs,
): void {
  const units = kernels.candidate.inner;
  const width = 3 * units;
  const batch = projections.length / width;
  const recurrentZR = hidden === null ? null : kernels.updateReset.times(hidden, batch);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      const n = b * units + j;
      const rec = b * 2 * units + j;
      out.updates[n] = gate.value(projections[b * width + j] + (recurrentZR === null ? 0 : recurrentZR[rec]));
      out.resets[n] = gate.value(
        projections[b * width + units + j] + (recurrentZR === null ? 0 : recurrentZR[rec + units]),
      );
      out.resetStates[n] = hidden === null ? 0 : out.resets[n] * hidden[n];
    }
  }
  const recurrentH = hidden === null ? null : kernels.candidate.times(out.resetStates, batch);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      const n = b * units + j;
      const hh = Math.tanh(projections[b * width + 2 * units + j] + (recurrentH === null ? 0 : recurrentH[n]));
      out.candidates[n] = hh;
      out.outputs[n] = out.updates[n] * (hidden === null ? 0 : hidden[n]) + (1 - out.updates[n]) * hh;
    }
  }
}

/**
 * A GRU layer over whole sequences from `initial` ([h]; empty: zeros), step by step with {@link gruStep}; the backward
 * pass walks the steps in reverse (two matMuls per step, the rest fused) and sums the recurrent-kernel gradient in
 * two matMuls.
 * @param inputs time-major `[steps·batch, 3·units]`: the input projection `x·W + b` of every step.
 * @param recurrentKernel `[units, 3·units]`.
 * @returns time-major hidden states `[steps·batch, units]`, differentiable in every argument.
 */
export function gruSequence(
  inputs: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  shape: SequenceShape,
  gate: GateActivation,
  initial: readonly tf.Tensor2D[] = [],
): tf.Tensor2D {
  const gateFns = gateFunctions(gate);
  const slopeAt = gateFns.slopeAt;
  return sequenceOp(
    inputs,
    recurrentKernel,
    shape,
    initial,
    ({ projections, recurrentKernel: u, steps, batch, units, stepStates, initial: start }) => {
      const split = splitGruKernel(u);
      const kernels = { updateReset: tensorRowMatrix(split.updateReset), candidate: tensorRowMatrix(split.candidate) };
      const h0 = start?.[0] ?? null;
      const { updates, resets, resetStates, candidates, outputs } = runSteps(
        projections,
        shape,
        units,
        GRU_BUFFERS,
        (x, before, out) => gruStep(x, before('outputs'), kernels, gateFns, out),
        h0 === null ? {} : { outputs: h0 },
      ).all;
      tf.dispose([split.updateReset, split.candidate]);
      const width = 3 * units;

      const backward = (dOutputs: Float32Array, kernel: tf.Tensor2D): SequenceGradients => {
        const [kernelZRT, kernelHT] = tf.tidy(() => {
          const { updateReset, candidate } = splitGruKernel(kernel);
          return [tf.transpose(updateReset), tf.transpose(candidate)];
        });
        const rows = steps * batch;
        const dGatesZR = new Float32Array(rows * 2 * units);
        const dCandidate = new Float32Array(rows * units); // gradient of the candidate's pre-activation
        const dInputs = new Float32Array(rows * width);
        const dPrevious = new Float32Array(stepStates);
        let dRecurrent: Float32Array | null = null;
        for (let t = steps - 1; t >= 0; t--) {
          const base = t * stepStates;
          const previous = (n: number) => (t > 0 ? outputs[n - stepStates] : h0 === null ? 0 : h0[n]);
          const dUpdate = new Float32Array(stepStates);
          for (let s = 0; s < stepStates; s++) {
            const n = base + s;
            const dh = dOutputs[n] + dPrevious[s] + (dRecurrent === null ? 0 : dRecurrent[s]);
            const z = updates[n];
            const hh = candidates[n];
            dCandidate[n] = dh * (1 - z) * (1 - hh * hh);
            dUpdate[s] = dh * (previous(n) - hh) * slopeAt(z);
            dPrevious[s] = dh * z;
          }
          const dResetStates = multiplyRows(dCandidate.subarray(base, base + stepStates), batch, kernelHT);
          for (let b = 0; b < batch; b++) {
            const gateRow = (t * batch + b) * 2 * units;
            const inputRow = (t * batch + b) * width;
            for (let j = 0; j < units; j++) {
              const s = b * units + j;
              const n = base + s;
              const dReset = dResetStates[s] * previous(n) * slopeAt(resets[n]);
              dPrevious[s] += dResetStates[s] * resets[n];
              dGatesZR[gateRow + j] = dUpdate[s];
              dGatesZR[gateRow + units + j] = dReset;
              dInputs[inputRow + j] = dUpdate[s];
              dInputs[inputRow + units + j] = dReset;
              dInputs[inputRow + 2 * units + j] = dCandidate[n];
            }
          }
          dRecurrent =
            t === 0 && h0 === null
              ? null
              : multiplyRows(dGatesZR.subarray(2 * base, 2 * (base + stepStates)), batch, kernelZRT);
        }
        kernelZRT.dispose();
        kernelHT.dispose();
        const dKernel = tf.tidy(() =>
          tf.concat(
            [
              recurrentKernelGradient(previousStates(outputs, shape, units, h0), dGatesZR, rows),
              recurrentKernelGradient(resetStates, dCandidate, rows),
            ],
            1,
          ),
        );
        const grads: SequenceGradients = [tf.tensor2d(dInputs, [rows, width]), dKernel];
        // What flows past the first step (directly, through the reset state and through U) is the initial
        // state's gradient.
        return h0 === null
          ? grads
          : [
              ...grads,
              tf.tensor2d(
                dPrevious.map((d, s) => d + dRecurrent![s]),
                [batch, units],
              ),
            ];
      };
      return { outputs, backward };
    },
  );
}

/** A GRU layer's {@link CellStepper}: the hidden state in a plain array. */
function gruStepper(recurrentKernel: tf.Tensor2D, gate: GateActivation, batch: number): CellStepper {
  const units = recurrentKernel.shape[0];
  const kernels = {
    updateReset: stepperMatrix(recurrentKernel, 0, 2 * units),
    candidate: stepperMatrix(recurrentKernel, 2 * units, 3 * units),
  };
  const gateFns = gateFunctions(gate);
  const step: CellStep<keyof GruStepOutputs> = (x, before, out) => gruStep(x, before('outputs'), kernels, gateFns, out);
  return carriedStepper(batch, kernels.candidate.inner, GRU_BUFFERS, ['outputs'], step, () => {
    kernels.updateReset.dispose();
    kernels.candidate.dispose();
  });
}

/** Gated recurrent unit (Cho et al. 2014), as tfjs-layers' `GRU` (reset gate before the matMul) with logistic gates. */
export const gru = {
  name: 'gru',
  layerClass: 'GRU',
  gates: 3,
  states: 1,
  layer: (args) => tf.layers.gru({ ...args, recurrentActivation: 'sigmoid' }),
  sequence: gruSequence,
  stepper: gruStepper,
} as const satisfies Cell<'gru'>;

import * as tf from '@tensorflow/tfjs';
import type { Cell, CellStepper, SequenceShape } from './cell';
import { GateActivation, GateFunctions, gateFunctions } from './gates';
import { multiplyRows } from './rowMath';
import { type RowMatrix, stepperMatrix, tensorRowMatrix } from './rowMatrix';
import {
  carriedStepper,
  CellStep,
  projectionAndKernelGradients,
  runSteps,
  SequenceGradients,
  sequenceOp,
} from './sequence';

/** What one LSTM step writes, each `[batch, …]`: views of a whole sequence's arrays, or a stepper's own buffers. */
export interface LstmStepOutputs {
  /** `[batch, 4·units]` activations of the gates i, f, g, o. */
  gates: Float32Array;
  /** `[batch, units]` cell states. */
  cells: Float32Array;
  /** `[batch, units]` tanh of the cell states. */
  cellTanh: Float32Array;
  /** `[batch, units]` hidden states. */
  outputs: Float32Array;
}

/** The arrays an LSTM step writes, in units per row. */
const LSTM_BUFFERS: Record<keyof LstmStepOutputs, number> = { gates: 4, cells: 1, cellTanh: 1, outputs: 1 };

/**
 * One LSTM step for a batch of rows, as tfjs-layers' LSTM computes it (kernel columns hold the gates i, f, c, o in
 * that order; cell and output activation tanh): one matMul `h · U`, the gate math fused in one loop.
 * @param projections `[batch, 4·units]` input projections `x·W + b` of this step.
 * @param hidden `[batch, units]` previous hidden state; null for a zero state.
 * @param cell `[batch, units]` previous cell state; null for a zero state.
 * @param recurrentKernel `[units, 4·units]`.
 */
export function lstmStep(
  projections: Float32Array,
  hidden: Float32Array | null,
  cell: Float32Array | null,
  recurrentKernel: RowMatrix,
  gate: GateFunctions,
  out: LstmStepOutputs,
): void {
  const units = recurrentKernel.inner;
  const width = 4 * units;
  const batch = projections.length / width;
  const { gates } = out;
  const recurrent = hidden === null ? null : recurrentKernel.times(hidden, batch);
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let k = row; k < row + width; k++) gates[k] = projections[k] + (recurrent === null ? 0 : recurrent[k]);
    gate.activate(gates, row, row + 2 * units); // i, f
    for (let k = row + 2 * units; k < row + 3 * units; k++) gates[k] = Math.tanh(gates[k]); // g
    gate.activate(gates, row + 3 * units, row + width); // o
    for (let j = 0; j < units; j++) {
      const n = b * units + j;
      const c = gates[row + units + j] * (cell === null ? 0 : cell[n]) + gates[row + j] * gates[row + 2 * units + j];
      out.cells[n] = c;
      out.cellTanh[n] = Math.tanh(c);
      out.outputs[n] = gates[row + 3 * units + j] * out.cellTanh[n];
    }
  }
}

/**
 * An LSTM layer over whole sequences from `initial` ([h, c]; empty: zeros), step by step with {@link lstmStep}; the
 * backward pass walks the steps in reverse the same way (one matMul by `Uᵀ` per step, the rest fused) and sums the
 * recurrent-kernel gradient in one matMul at the end.
 * @param inputs time-major `[steps·batch, 4·units]`: the input projection `x·W + b` of every step.
 * @param recurrentKernel `[units, 4·units]`.
 * @returns time-major hidden states `[steps·batch, units]`, differentiable in every argument.
 */
export function lstmSequence(
  inputs: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  shape: SequenceShape,
  gate: GateActivation,
  initial: readonly tf.Tensor2D[] = [],
  finalState = false,
): tf.Tensor2D {
  const gateFns = gateFunctions(gate);
  const slopeAt = gateFns.slopeAt;
  return sequenceOp(
    inputs,
    recurrentKernel,
    shape,
    initial,
    ({ projections, recurrentKernel: u, steps, batch, units, stepStates, initial: start }) => {
      const width = 4 * units;
      const stepGates = batch * width;
      const [h0, c0] = start ?? [null, null];
      const recurrentRows = tensorRowMatrix(u);
      const lstmRun = runSteps(
        projections,
        shape,
        units,
        LSTM_BUFFERS,
        (x, before, out) => lstmStep(x, before('outputs'), before('cells'), recurrentRows, gateFns, out),
        start === null ? {} : { outputs: start[0], cells: start[1] },
      );
      const { gates, cells, cellTanh, outputs } = lstmRun.all;

      const backward = (
        dOutputs: Float32Array,
        kernel: tf.Tensor2D,
        dFinal: Float32Array[] | null,
      ): SequenceGradients => {
        const dz = new Float32Array(steps * stepGates);
        // what flows into c from after the last step
        const dCell = dFinal === null ? new Float32Array(stepStates) : Float32Array.from(dFinal[0]);
        const kernelT = tf.transpose(kernel);
        let dRecurrent: Float32Array | null = null;
        for (let t = steps - 1; t >= 0; t--) {
          for (let b = 0; b < batch; b++) {
            const row = t * stepGates + b * width;
            for (let j = 0; j < units; j++) {
              const s = b * units + j;
              const n = t * stepStates + s;
              const dh = dOutputs[n] + (dRecurrent === null ? 0 : dRecurrent[s]);
              const i = gates[row + j];
              const f = gates[row + units + j];
              const g = gates[row + 2 * units + j];
              const o = gates[row + 3 * units + j];
              const tc = cellTanh[n];
              const dc = dCell[s] + dh * o * (1 - tc * tc);
              dz[row + j] = dc * g * slopeAt(i);
              dz[row + units + j] = dc * (t > 0 ? cells[n - stepStates] : c0 === null ? 0 : c0[s]) * slopeAt(f);
              dz[row + 2 * units + j] = dc * i * (1 - g * g);
              dz[row + 3 * units + j] = dh * tc * slopeAt(o);
              dCell[s] = dc * f;
            }
          }
          dRecurrent =
            t === 0 && h0 === null
              ? null
              : multiplyRows(dz.subarray(t * stepGates, (t + 1) * stepGates), batch, kernelT);
        }
        kernelT.dispose();
        const grads = projectionAndKernelGradients(dz, outputs, shape, units, h0);
        // What flows past the first step is the gradient of the initial state: dh₀ through U, dc₀ through the
        // forget gate.
        return h0 === null
          ? grads
          : [...grads, tf.tensor2d(dRecurrent!, [batch, units]), tf.tensor2d(dCell, [batch, units])];
      };
      return { outputs, finalCarried: [cells.subarray((steps - 1) * stepStates)], backward };
    },
    finalState,
  );
}

/** An LSTM layer's {@link CellStepper}: hidden and cell state in plain arrays. */
function lstmStepper(recurrentKernel: tf.Tensor2D, gate: GateActivation, batch: number): CellStepper {
  const kernel = stepperMatrix(recurrentKernel);
  const gateFns = gateFunctions(gate);
  const step: CellStep<keyof LstmStepOutputs> = (x, before, out) =>
    lstmStep(x, before('outputs'), before('cells'), kernel, gateFns, out);
  return carriedStepper(batch, kernel.inner, LSTM_BUFFERS, ['outputs', 'cells'], step, () => kernel.dispose());
}

/** Long short-term memory (Hochreiter & Schmidhuber 1997), as tfjs-layers' `LSTM` with logistic gates. */
export const lstm = {
  name: 'lstm',
  layerClass: 'LSTM',
  gates: 4,
  states: 2,
  layer: (args) => tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' }),
  sequence: lstmSequence,
  stepper: lstmStepper,
} as const satisfies Cell<'lstm'>;

import * as tf from '@tensorflow/tfjs';
import type { CellStepper, SequenceShape } from './cell';
import { transposedTimes } from './rowMath';

/**
 * The arrays a cell fills while it runs over a sequence, one per name: `widths[name]·units` values per row,
 * time-major, so that step `t` of each is one contiguous slice. A cell's step writes into {@link at}`(t)` and reads the
 * state it starts from with {@link before}.
 */
export class StepBuffers<Name extends string> {
  /** The whole arrays, time-major `[steps·batch, width·units]`. */
  readonly all: Record<Name, Float32Array>;

  constructor(
    private readonly shape: SequenceShape,
    private readonly units: number,
    private readonly widths: Record<Name, number>,
    private readonly initial: Partial<Record<Name, Float32Array>> = {},
  ) {
    const names = Object.keys(widths) as Name[];
    this.all = Object.fromEntries(
      names.map((name) => [name, new Float32Array(shape.steps * shape.batch * widths[name] * units)]),
    ) as Record<Name, Float32Array>;
  }

  /** Step `t` of every array. */
  at(t: number): Record<Name, Float32Array> {
    const names = Object.keys(this.widths) as Name[];
    return Object.fromEntries(names.map((name) => [name, this.slice(name, t)])) as Record<Name, Float32Array>;
  }

  /** Step `t − 1` of one array: the state step `t` starts from; at `t = 0` the initial one, null for a zero state. */
  before(name: Name, t: number): Float32Array | null {
    return t === 0 ? (this.initial[name] ?? null) : this.slice(name, t - 1);
  }

  private slice(name: Name, t: number): Float32Array {
    const size = this.shape.batch * this.widths[name] * this.units;
    return this.all[name].subarray(t * size, (t + 1) * size);
  }
}

/**
 * One step of a cell for a batch of rows: reads this step's input projections and what the previous step wrote
 * (`before(name)`, null for a zero state) and writes its own arrays (`out`; `outputs` is the new hidden state).
 */
export type CellStep<Name extends string> = (
  projections: Float32Array,
  before: (name: Name) => Float32Array | null,
  out: Record<Name, Float32Array>,
) => void;

/**
 * Runs `step` over every step of a time-major sequence from `initial` (by name, e.g. `outputs` = h and `cells` = c;
 * missing: zeros); returns all that the steps wrote.
 */
export function runSteps<Name extends string>(
  projections: Float32Array,
  shape: SequenceShape,
  units: number,
  widths: Record<Name, number>,
  step: CellStep<Name>,
  initial: Partial<Record<Name, Float32Array>> = {},
): StepBuffers<Name> {
  const run = new StepBuffers(shape, units, widths, initial);
  const size = projections.length / shape.steps;
  for (let t = 0; t < shape.steps; t++)
    step(projections.subarray(t * size, (t + 1) * size), (name) => run.before(name, t), run.at(t));
  return run;
}

/**
 * A {@link CellStepper} that runs `step` once per call, carrying what the last call wrote into the next. `carried`
 * names the arrays a step reads of the previous one — the cell's state, in its order (`outputs` = h first).
 */
export function carriedStepper<Name extends string>(
  batch: number,
  units: number,
  widths: Record<Name | 'outputs', number>,
  carried: readonly (Name | 'outputs')[],
  step: CellStep<Name | 'outputs'>,
  dispose: () => void,
): CellStepper {
  // Two sets of buffers taken in turn: a step reads the one the last step wrote and writes the other.
  const buffers = [0, 1].map(() => new StepBuffers({ steps: 1, batch }, units, widths).at(0));
  let previous: Partial<Record<Name | 'outputs', Float32Array>> | null = null;
  const before = (name: Name | 'outputs') => previous?.[name] ?? null;
  return {
    step(projections) {
      const out = buffers[0] === previous ? buffers[1] : buffers[0];
      step(projections, before, out);
      previous = out;
      return out.outputs;
    },
    reset: () => (previous = null),
    state: () =>
      carried.map((name) => {
        const saved = previous?.[name];
        return saved ? Float32Array.from(saved) : new Float32Array(batch * units);
      }),
    setState(parts) {
      if (parts.length !== carried.length || parts.some((part) => part.length !== batch * units)) {
        throw new Error(
          `A cell state is ${carried.length} array(s) of ${batch}×${units} values, got ${parts.length} of ` +
            `${parts.map((p) => p.length).join(', ')}.`,
        );
      }
      previous = {};
      carried.forEach((name, i) => (previous![name] = Float32Array.from(parts[i])));
    },
    dispose,
  };
}

/**
 * The states each step started from, time-major `[steps·batch, units]`: `initial` (zeros when null) for step 0, then
 * the outputs of steps 0 … steps−2.
 */
export function previousStates(
  outputs: Float32Array,
  shape: SequenceShape,
  units: number,
  initial: Float32Array | null = null,
): Float32Array {
  const stepSize = shape.batch * units;
  const previous = new Float32Array(outputs.length);
  previous.set(outputs.subarray(0, outputs.length - stepSize), stepSize);
  if (initial !== null) previous.set(initial, 0);
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

/**
 * The gradients a one-matMul cell (`z = x + h·U`) returns: of its input projections, `dz` itself, and of its recurrent
 * kernel, `Σ_t hₜ₋₁ᵀ · dzₜ` over the states each step started from (`h₋₁` = `initialHidden`, or zeros).
 * @param dz time-major `[steps·batch, gates·units]`.
 * @param outputs time-major hidden states `[steps·batch, units]`.
 */
export function projectionAndKernelGradients(
  dz: Float32Array,
  outputs: Float32Array,
  shape: SequenceShape,
  units: number,
  initialHidden: Float32Array | null,
): [tf.Tensor2D, tf.Tensor2D] {
  const rows = shape.steps * shape.batch;
  return [
    tf.tensor2d(dz, [rows, dz.length / rows]),
    recurrentKernelGradient(previousStates(outputs, shape, units, initialHidden), dz, rows),
  ];
}

/** Gradients a cell's backward pass returns: input projections, recurrent kernel, then its initial state's arrays. */
export type SequenceGradients = [tf.Tensor2D, tf.Tensor2D, ...tf.Tensor2D[]];

/** A cell's forward pass over a whole sequence: its outputs, and how to get gradients back from theirs. */
export interface SequencePass {
  /** Time-major hidden states `[steps·batch, units]`. */
  outputs: Float32Array;
  /** The final state's arrays after h (`[batch, units]` each; LSTM: c), when the cell carries more than h. */
  finalCarried?: Float32Array[];
  /**
   * Gradients of the input projections and of the recurrent kernel, from the outputs' gradient (time-major) and, when
   * the op returned them, the gradients of the {@link finalCarried} arrays; and, when the pass started from a given
   * state, of each of its arrays (`[batch, units]`, the cell's order).
   */
  backward(
    dOutputs: Float32Array,
    recurrentKernel: tf.Tensor2D,
    dFinalCarried: Float32Array[] | null,
  ): SequenceGradients;
}

/** What a cell's forward pass over a sequence is given. */
export interface SequenceInputs {
  /** Time-major input projections `[steps·batch, gates·units]`. */
  projections: Float32Array;
  /** `[units, gates·units]`. */
  recurrentKernel: tf.Tensor2D;
  steps: number;
  batch: number;
  units: number;
  /** Values of one step's states: `batch · units`. */
  stepStates: number;
  /** The state's arrays the first step starts from (`[batch, units]` each, the cell's order), or null for zeros. */
  initial: Float32Array[] | null;
}

/**
 * Runs a cell over whole sequences as one differentiable op: `forward` sees the input projections (and the initial
 * state, if any) as plain arrays and the recurrent kernel as a tensor, and keeps in its closure what its `backward`
 * needs.
 * @param initial the state's arrays the first step starts from (`[batch, units]`, the cell's order); empty: zeros.
 * @param finalState also return the final state's arrays after h (see {@link SequencePass.finalCarried}).
 * @returns time-major hidden states `[steps·batch, units]` — with `finalState`, followed by `batch` rows per final
 * array after h — differentiable in every argument.
 */
export function sequenceOp(
  inputs: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  shape: SequenceShape,
  initial: readonly tf.Tensor2D[],
  forward: (given: SequenceInputs) => SequencePass,
  finalState = false,
): tf.Tensor2D {
  const units = recurrentKernel.shape[0];
  const stepRows = shape.steps * shape.batch;
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, u, ...states] = args.slice(0, -1) as tf.Tensor[];
    (args.at(-1) as tf.GradSaveFunc)([u]);
    const projections = x.dataSync() as Float32Array;
    const given = states.length === 0 ? null : states.map((state) => state.dataSync() as Float32Array);
    const pass = forward({
      projections,
      recurrentKernel: u as tf.Tensor2D,
      ...shape,
      units,
      stepStates: shape.batch * units,
      initial: given,
    });
    const carried = finalState ? (pass.finalCarried ?? []) : [];
    const value = carried.length === 0 ? pass.outputs : concatArrays([pass.outputs, ...carried]);
    return {
      value: tf.tensor2d(value, [stepRows + carried.length * shape.batch, units]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [kernel]: tf.Tensor[]) => {
        const d = (dy as tf.Tensor).dataSync() as Float32Array;
        const size = shape.batch * units;
        const dCarried = carried.map((_, k) =>
          d.subarray(stepRows * units + k * size, stepRows * units + (k + 1) * size),
        );
        return pass.backward(
          d.subarray(0, stepRows * units),
          kernel as tf.Tensor2D,
          carried.length === 0 ? null : dCarried,
        );
      },
    };
  });
  return run(inputs, recurrentKernel, ...initial);
}

/** The arrays one after another. */
function concatArrays(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

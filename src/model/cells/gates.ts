/**
 * Gate activations of the recurrent cells, as tfjs-layers names them in a layer's `recurrentActivation`:
 * `sigmoid` (the standard gate, PyTorch's) or `hardSigmoid` (tfjs-layers' default: clip(0.2x + 0.5, 0, 1)).
 */
export const GATE_ACTIVATIONS = ['sigmoid', 'hardSigmoid'] as const;
/** A gate activation. */
export type GateActivation = (typeof GATE_ACTIVATIONS)[number];

/** A gate activation: its value, in place over a range of an array or for one number, and its derivative. */
export interface GateFunctions {
  value: (x: number) => number;
  /** Replaces `values[from .. to)` by their activations. */
  activate: (values: Float32Array, from: number, to: number) => void;
  /** d value / dx at the point where the gate's value is `y`. */
  slopeAt: (y: number) => number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const hardSigmoid = (x: number) => Math.min(1, Math.max(0, 0.2 * x + 0.5));

const GATES: Record<GateActivation, GateFunctions> = {
  sigmoid: {
    value: sigmoid,
    activate: (values, from, to) => {
      for (let k = from; k < to; k++) values[k] = 1 / (1 + Math.exp(-values[k]));
    },
    slopeAt: (y) => y * (1 - y),
  },
  hardSigmoid: {
    value: hardSigmoid,
    activate: (values, from, to) => {
      for (let k = from; k < to; k++) values[k] = Math.min(1, Math.max(0, 0.2 * values[k] + 0.5));
    },
    slopeAt: (y) => (y > 0 && y < 1 ? 0.2 : 0),
  },
};

/** The value and slope functions of a gate activation. */
export function gateFunctions(name: GateActivation): GateFunctions {
  return GATES[name];
}

import * as tf from '@tensorflow/tfjs';
import type { Stepper } from '../stepper';
import { gateFunctions } from './gates';
import { gruStep, splitGruKernel } from './gruSequence';
import { multiplyRows } from './linear';
import { lstmStep } from './lstmSequence';
import { networkParts, RecurrentPart } from './networkParts';
import { rnnStep } from './rnnSequence';

/** One recurrent layer advancing a batch one step at a time, its state carried in plain arrays. */
interface LayerStepper {
  /** Consumes this step's input projections `[batch, gates·units]` and returns the new hidden state `[batch, units]`. */
  step(projections: Float32Array): Float32Array;
  reset(): void;
  dispose(): void;
}

function lstmLayer(part: RecurrentPart, batch: number): LayerStepper {
  const kernel = tf.clone(part.recurrentKernel.read()) as tf.Tensor2D;
  const units = kernel.shape[0];
  const gate = gateFunctions(part.gate);
  let hidden: Float32Array | null = null;
  let cell: Float32Array | null = null;
  return {
    step(projections) {
      const out = {
        gates: new Float32Array(batch * 4 * units),
        cells: new Float32Array(batch * units),
        cellTanh: new Float32Array(batch * units),
        outputs: new Float32Array(batch * units),
      };
      lstmStep(projections, hidden, cell, kernel, gate, out);
      [hidden, cell] = [out.outputs, out.cells];
      return out.outputs;
    },
    reset: () => ([hidden, cell] = [null, null]),
    dispose: () => kernel.dispose(),
  };
}

function gruLayer(part: RecurrentPart, batch: number): LayerStepper {
  const kernels = splitGruKernel(part.recurrentKernel.read() as tf.Tensor2D);
  const size = batch * kernels.candidate.shape[0];
  const gate = gateFunctions(part.gate);
  let hidden: Float32Array | null = null;
  return {
    step(projections) {
      const [updates, resets, resetStates, candidates, outputs] = Array.from({ length: 5 }, () => new Float32Array(size));
      gruStep(projections, hidden, kernels, gate, { updates, resets, resetStates, candidates, outputs });
      hidden = outputs;
      return outputs;
    },
    reset: () => (hidden = null),
    dispose: () => tf.dispose([kernels.updateReset, kernels.candidate]),
  };
}

function rnnLayer(part: RecurrentPart, batch: number): LayerStepper {
  const kernel = tf.clone(part.recurrentKernel.read()) as tf.Tensor2D;
  let hidden: Float32Array | null = null;
  return {
    step(projections) {
      const outputs = new Float32Array(batch * kernel.shape[0]);
      rnnStep(projections, hidden, kernel, outputs);
      hidden = outputs;
      return outputs;
    },
    reset: () => (hidden = null),
    dispose: () => kernel.dispose(),
  };
}

const LAYER_STEPPERS = { LSTM: lstmLayer, GRU: gruLayer, SimpleRNN: rnnLayer };

/** Adds `bias` (length = row width) to every row of `rows`, in place. */
function addBias(rows: Float32Array, bias: Float32Array): Float32Array {
  for (let k = 0; k < rows.length; k++) rows[k] += bias[k % bias.length];
  return rows;
}

/** Rows of `table` (`[rows, width]` row-major) picked by `ids`, plus `bias`. */
function tableRows(table: Float32Array, width: number, ids: Int32Array, bias: Float32Array | null): Float32Array {
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, r) => out.set(table.subarray(id * width, (id + 1) * width), r * width));
  return bias === null ? out : addBias(out, bias);
}

/**
 * The fast engine's {@link Stepper}: the recurrent state lives in plain arrays, each token costs per layer one
 * backend matMul (two for GRU) and fused JavaScript gate math — the same step functions the fast training engine
 * uses, so its logits equal the tf.layers stepper's up to float rounding. It snapshots the weights when created.
 */
export class FastStepper implements Stepper {
  readonly batchSize: number;
  private readonly layers: LayerStepper[];
  /** First layer: its kernel rows (one-hot input) or the embedding table, downloaded once. */
  private readonly inputTable: { values: Float32Array; width: number };
  private readonly inputKernel: tf.Tensor2D | null;
  private readonly kernels: tf.Tensor2D[];
  private readonly biases: Float32Array[];
  private readonly outputKernel: tf.Tensor2D;
  private readonly outputBias: Float32Array;

  /** @throws when the network has a layer the fast engine does not implement. */
  constructor(model: tf.LayersModel, batchSize = 1) {
    const parts = networkParts(model);
    this.batchSize = batchSize;
    const snapshot = (w: tf.LayerVariable) => tf.clone(w.read()) as tf.Tensor2D;
    const table = parts.embedding ?? parts.recurrent[0].kernel;
    this.inputTable = { values: table.read().dataSync() as Float32Array, width: table.shape[1]! };
    this.inputKernel = parts.embedding === null ? null : snapshot(parts.recurrent[0].kernel);
    this.kernels = parts.recurrent.slice(1).map((part) => snapshot(part.kernel));
    this.biases = parts.recurrent.map((part) => part.bias.read().dataSync() as Float32Array);
    this.layers = parts.recurrent.map((part) => LAYER_STEPPERS[part.className](part, batchSize));
    this.outputKernel = snapshot(parts.output.kernel);
    this.outputBias = parts.output.bias.read().dataSync() as Float32Array;
  }

  reset(): void {
    for (const layer of this.layers) layer.reset();
  }

  feed(tokens: Int32Array, steps: number): Float32Array {
    const { batchSize } = this;
    if (!(steps >= 1) || tokens.length !== batchSize * steps) throw new Error(`Stepper.feed expected ${batchSize}×${steps} tokens (steps ≥ 1), got ${tokens.length}.`);
    let hidden: Float32Array | null = null;
    for (let t = 0; t < steps; t++) {
      const ids = Int32Array.from({ length: batchSize }, (_, b) => tokens[b * steps + t]);
      const { values, width } = this.inputTable;
      const embedded = tableRows(values, width, ids, this.inputKernel === null ? this.biases[0] : null);
      hidden = this.inputKernel === null ? embedded : addBias(multiplyRows(embedded, batchSize, this.inputKernel), this.biases[0]);
      hidden = this.layers[0].step(hidden);
      for (let i = 1; i < this.layers.length; i++) {
        hidden = this.layers[i].step(addBias(multiplyRows(hidden, batchSize, this.kernels[i - 1]), this.biases[i]));
      }
    }
    return addBias(multiplyRows(hidden!, batchSize, this.outputKernel), this.outputBias);
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    tf.dispose([...this.kernels, this.outputKernel, ...(this.inputKernel === null ? [] : [this.inputKernel])]);
  }
}

import * as tf from '@tensorflow/tfjs';
import {
  CellStepper,
  groupByLayer,
  joinStateParts,
  type BoundAttention,
  multiplyRows,
  StateLayout,
  stateParts,
  VectorStateStepperBase,
} from '../../model';
import { networkParts } from '../networkParts';

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
 * The fast engine's stepper: the recurrent state lives in plain arrays, each token costs per layer one
 * backend matMul (two for GRU) and fused JavaScript gate math — the same step functions the fast training engine
 * uses, so its logits equal the tf.layers stepper's up to float rounding. It snapshots the weights when created.
 */
export class FastStepper extends VectorStateStepperBase {
  readonly batchSize: number;
  readonly layout: StateLayout;
  protected readonly modelName = 'A recurrent network';
  private readonly layers: CellStepper[];
  /** First layer: its kernel rows (one-hot input) or the embedding table, downloaded once. */
  private readonly inputTable: { values: Float32Array; width: number };
  private readonly inputKernel: tf.Tensor2D | null;
  private readonly kernels: tf.Tensor2D[];
  private readonly biases: Float32Array[];
  private readonly outputKernel: tf.Tensor2D;
  private readonly outputBias: Float32Array;
  /** State arrays of each layer's cell (LSTM 2, else 1). */
  private readonly statesPerLayer: number[];
  protected override readonly attention: BoundAttention | null;

  /** @throws when the network has a layer the fast engine does not implement. */
  constructor(model: tf.LayersModel, batchSize = 1) {
    super();
    const parts = networkParts(model, 'fast');
    this.batchSize = batchSize;
    const snapshot = (w: tf.LayerVariable) => tf.clone(w.read()) as tf.Tensor2D;
    const table = parts.embedding ?? parts.recurrent[0].kernel;
    this.inputTable = { values: table.read().dataSync() as Float32Array, width: table.shape[1]! };
    this.inputKernel = parts.embedding === null ? null : snapshot(parts.recurrent[0].kernel);
    this.kernels = parts.recurrent.slice(1).map((part) => snapshot(part.kernel));
    this.biases = parts.recurrent.map((part) => part.bias.read().dataSync() as Float32Array);
    this.layers = parts.recurrent.map((part) =>
      part.cell.stepper(part.recurrentKernel.read() as tf.Tensor2D, part.gate, batchSize),
    );
    this.outputKernel = snapshot(parts.output.kernel);
    this.outputBias = parts.output.bias.read().dataSync() as Float32Array;
    this.statesPerLayer = parts.recurrent.map((part) => part.cell.states);
    this.attention = parts.attention?.bind(true) ?? null;
    this.layout = { parts: this.statesPerLayer.reduce((a, b) => a + b, 0), units: parts.output.kernel.shape[0]! };
  }

  reset(): void {
    for (const layer of this.layers) layer.reset();
  }

  state(): Float32Array {
    return joinStateParts(this.layers.flatMap((layer) => layer.state()));
  }

  setState(state: Float32Array): void {
    const byLayer = groupByLayer(stateParts(state, this.layout, this.batchSize), this.statesPerLayer);
    this.layers.forEach((layer, i) => layer.setState(byLayer[i]));
  }

  feed(tokens: Int32Array, steps: number): Float32Array {
    const { batchSize } = this;
    if (!(steps >= 1) || tokens.length !== batchSize * steps)
      throw new Error(`Stepper.feed expected ${batchSize}×${steps} tokens (steps ≥ 1), got ${tokens.length}.`);
    let hidden: Float32Array | null = null;
    for (let t = 0; t < steps; t++) {
      const ids = Int32Array.from({ length: batchSize }, (_, b) => tokens[b * steps + t]);
      const { values, width } = this.inputTable;
      const embedded = tableRows(values, width, ids, this.inputKernel === null ? this.biases[0] : null);
      hidden =
        this.inputKernel === null
          ? embedded
          : addBias(multiplyRows(embedded, batchSize, this.inputKernel), this.biases[0]);
      hidden = this.layers[0].step(hidden);
      for (let i = 1; i < this.layers.length; i++) {
        hidden = this.layers[i].step(addBias(multiplyRows(hidden, batchSize, this.kernels[i - 1]), this.biases[i]));
      }
    }
    if (this.attention !== null) hidden = this.attend(hidden!);
    return addBias(multiplyRows(hidden!, batchSize, this.outputKernel), this.outputBias);
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.releaseMemory();
    this.attention?.dispose();
    tf.dispose([...this.kernels, this.outputKernel, ...(this.inputKernel === null ? [] : [this.inputKernel])]);
  }
}

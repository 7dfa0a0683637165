import * as tf from '@tensorflow/tfjs';
import {
  CellStepper,
  groupByLayer,
  joinStateParts,
  type BoundAttention,
  type RowMatrix,
  StateLayout,
  stateParts,
  sharedValues,
  stepperMatrix,
  VectorStateStepperBase,
} from '../../model';
import { networkParts } from '../networkParts';

/** Adds `bias` (length = row width) to every row of `rows`, in place. */
function addBias(rows: Float32Array, bias: Float32Array): Float32Array {
  for (let k = 0; k < rows.length; k++) rows[k] += bias[k % bias.length];
  return rows;
}

/**
 * The fast engine's stepper: the recurrent state lives in plain arrays, each token costs per layer one
 * matMul (two for GRU) and fused JavaScript gate math — the same step functions the fast training engine
 * uses, so its logits equal the tf.layers stepper's up to float rounding. It snapshots the weights when created
 * ({@link stepperMatrix}: on wasm in WebAssembly memory, multiplied there with the backend's own numbers) and
 * reuses its arrays from token to token.
 */
export class FastStepper extends VectorStateStepperBase {
  readonly batchSize: number;
  readonly layout: StateLayout;
  protected readonly modelName = 'A recurrent network';
  private readonly layers: CellStepper[];
  /** First layer: its kernel rows (one-hot input) or the embedding table, downloaded once. */
  private readonly inputTable: { values: Float32Array; width: number };
  private readonly inputKernel: RowMatrix | null;
  private readonly kernels: RowMatrix[];
  private readonly biases: Float32Array[];
  private readonly outputKernel: RowMatrix;
  private readonly outputBias: Float32Array;
  /** State arrays of each layer's cell (LSTM 2, else 1). */
  private readonly statesPerLayer: number[];
  protected override readonly attention: BoundAttention | null;
  /** The token ids of one step, their rows of {@link inputTable}, and the logits (reused). */
  private readonly ids: Int32Array;
  private readonly embedded: Float32Array;
  private readonly logits: Float32Array;

  /** @throws when the network has a layer the fast engine does not implement. */
  constructor(model: tf.LayersModel, batchSize = 1) {
    super();
    const parts = networkParts(model, 'fast');
    this.batchSize = batchSize;
    const snapshot = (w: tf.LayerVariable) => stepperMatrix(w.read() as tf.Tensor2D);
    const table = parts.embedding ?? parts.recurrent[0].kernel;
    this.inputTable = { values: sharedValues(table.read()), width: table.shape[1]! };
    this.inputKernel = parts.embedding === null ? null : snapshot(parts.recurrent[0].kernel);
    this.kernels = parts.recurrent.slice(1).map((part) => snapshot(part.kernel));
    this.biases = parts.recurrent.map((part) => sharedValues(part.bias.read()));
    this.layers = parts.recurrent.map((part) =>
      part.cell.stepper(part.recurrentKernel.read() as tf.Tensor2D, part.gate, batchSize),
    );
    this.outputKernel = snapshot(parts.output.kernel);
    this.outputBias = sharedValues(parts.output.bias.read());
    this.statesPerLayer = parts.recurrent.map((part) => part.cell.states);
    this.attention = parts.attention?.bind(true) ?? null;
    this.layout = { parts: this.statesPerLayer.reduce((a, b) => a + b, 0), units: parts.output.kernel.shape[0]! };
    this.ids = new Int32Array(batchSize);
    this.embedded = new Float32Array(batchSize * this.inputTable.width);
    this.logits = new Float32Array(batchSize * this.outputBias.length);
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
      for (let b = 0; b < batchSize; b++) this.ids[b] = tokens[b * steps + t];
      const embedded = this.tableRows(this.ids);
      hidden =
        this.inputKernel === null
          ? addBias(embedded, this.biases[0])
          : addBias(this.inputKernel.times(embedded, batchSize), this.biases[0]);
      hidden = this.layers[0].step(hidden);
      for (let i = 1; i < this.layers.length; i++) {
        hidden = this.layers[i].step(addBias(this.kernels[i - 1].times(hidden, batchSize), this.biases[i]));
      }
    }
    if (this.attention !== null) hidden = this.attend(hidden!);
    // The stepper's own array: the product's may be another stepper's once this one is disposed.
    this.logits.set(this.outputKernel.times(hidden!, batchSize));
    return addBias(this.logits, this.outputBias);
  }

  /** The rows of {@link inputTable} that `ids` pick, in the stepper's own array. */
  private tableRows(ids: Int32Array): Float32Array {
    const { values, width } = this.inputTable;
    ids.forEach((id, r) => this.embedded.set(values.subarray(id * width, (id + 1) * width), r * width));
    return this.embedded;
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.releaseMemory();
    this.attention?.dispose();
    for (const matrix of [...this.kernels, this.outputKernel, this.inputKernel]) matrix?.dispose();
  }
}

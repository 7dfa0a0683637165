import type * as tf from '@tensorflow/tfjs';
import {
  type EncoderMemory,
  type ModelConfig,
  type StateLayout,
  stateLayout,
  VectorStateStepperBase,
} from '../../model';
import { addon, nativeLayout } from './recurrentLayout';

/**
 * The values each variable had when a stepper last read them, with the data they were read from: a variable's data is
 * replaced, never changed in place, when it is written (TensorFlow.js tensors are immutable), so the same data means
 * the same values. Reading them again costs far more than a generation of a few hundred tokens on wasm.
 */
const readValues = new WeakMap<tf.Variable, { data: object; values: Float32Array }>();

/** The variables' current values, read once per write of each (the addon copies what it keeps). */
function currentValues(variables: tf.LayerVariable[]): Float32Array[] {
  return variables.map((layerVariable) => {
    const variable = layerVariable.read() as tf.Variable;
    const read = readValues.get(variable);
    if (read !== undefined && read.data === variable.dataId) return read.values;
    const values = variable.dataSync() as Float32Array;
    readValues.set(variable, { data: variable.dataId, values });
    return values;
  });
}

/**
 * The native engine's stepper: the C++ network steps the batch, the state stays in C++; a decoder with attention
 * attends there too, to the memory its rows started from.
 */
export class NativeStepper extends VectorStateStepperBase {
  readonly layout: StateLayout;
  protected readonly modelName = 'A recurrent network';
  private readonly stepper: InstanceType<ReturnType<typeof addon>['Stepper']>;
  /** The memory width of a decoder with attention, else null. */
  private readonly attentionWidth: number | null;
  private memoryGiven = false;

  constructor(
    network: tf.LayersModel,
    config: ModelConfig,
    readonly batchSize: number,
  ) {
    super();
    this.layout = stateLayout(config);
    const { spec, variables } = nativeLayout(network);
    this.attentionWidth = spec.attention! > 0 ? spec.attention! : null;
    this.stepper = new (addon().Stepper)(spec, currentValues(variables), batchSize);
  }

  protected override memoryWidth(): number | null {
    return this.attentionWidth;
  }

  protected override useMemory(rows: EncoderMemory): void {
    this.stepper.setMemory({ values: rows.values, lengths: rows.lengths, length: rows.length });
    this.memoryGiven = true;
  }

  reset(): void {
    this.stepper.reset();
  }

  state(): Float32Array {
    return this.stepper.state();
  }

  setState(state: Float32Array): void {
    this.stepper.setState(state);
  }

  feed(tokens: Int32Array, steps: number): Float32Array {
    if (!(steps >= 1) || tokens.length !== this.batchSize * steps)
      throw new Error(`Stepper.feed expected ${this.batchSize}×${steps} tokens (steps ≥ 1), got ${tokens.length}.`);
    if (this.attentionWidth !== null && !this.memoryGiven)
      throw new Error(`${this.modelName} with attention was fed before its rows were started from their sources.`);
    const logits = this.stepper.feed(tokens, steps);
    if (this.attentionWidth !== null) this.lastAttention = this.stepper.lastAttention();
    return logits;
  }

  dispose(): void {
    this.releaseMemory();
    this.stepper.dispose();
  }
}

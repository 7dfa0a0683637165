import type * as tf from '@tensorflow/tfjs';
import {
  type EncoderMemory,
  type ModelConfig,
  sharedValues,
  type StateLayout,
  stateLayout,
  VectorStateStepperBase,
} from '../../model';
import { addon, nativeLayout } from './recurrentLayout';

/** The variables' current values, read once per write of each (the addon copies what it keeps). */
function currentValues(variables: tf.LayerVariable[]): Float32Array[] {
  return variables.map((variable) => sharedValues(variable.read()));
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

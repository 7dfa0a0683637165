import * as tf from '@tensorflow/tfjs';
import {
  attentionLayerOf,
  buildGenerator,
  groupByLayer,
  joinStateParts,
  type BoundAttention,
  ModelConfig,
  StateLayout,
  stateLayout,
  stateParts,
  VectorStateStepperBase,
} from '../../model';

/** The reference stepper: a stateful tf.layers copy of the network for a fixed batch size. */
export class LayersStepper extends VectorStateStepperBase {
  /** Number of sequences advanced together. */
  readonly batchSize: number;
  readonly layout: StateLayout;
  protected readonly modelName = 'A recurrent network';
  private readonly net: tf.LayersModel;
  protected override readonly attention: BoundAttention | null;

  constructor(model: tf.LayersModel, config: ModelConfig, batchSize = 1) {
    super();
    this.batchSize = batchSize;
    this.net = buildGenerator(config, { stateful: { batchSize } });
    this.net.setWeights(model.getWeights());
    this.layout = stateLayout(config);
    this.attention = attentionLayerOf(this.net)?.bind(false) ?? null;
  }

  reset(): void {
    this.net.resetStates();
  }

  state(): Float32Array {
    return joinStateParts(
      this.recurrentLayers().flatMap((layer) => layer.states.map((s) => s.dataSync() as Float32Array)),
    );
  }

  setState(state: Float32Array): void {
    const layers = this.recurrentLayers();
    const byLayer = groupByLayer(
      stateParts(state, this.layout, this.batchSize),
      layers.map((layer) => layer.states.length),
    );
    tf.tidy(() =>
      layers.forEach((layer, i) =>
        layer.resetStates(byLayer[i].map((part) => tf.tensor2d(part, [this.batchSize, this.layout.units]))),
      ),
    );
  }

  private recurrentLayers(): tf.layers.RNN[] {
    return this.net.layers.filter((layer): layer is tf.layers.RNN => layer instanceof tf.layers.RNN);
  }

  feed(tokens: Int32Array, steps: number): Float32Array {
    if (tokens.length !== this.batchSize * steps) {
      throw new Error(`Stepper.feed expected ${this.batchSize}×${steps} tokens, got ${tokens.length}.`);
    }
    const attention = attentionLayerOf(this.net);
    if (attention === null) {
      const last = tf.tidy(() => {
        const logits = this.net.predictOnBatch(tf.tensor2d(tokens, [this.batchSize, steps], 'int32')) as tf.Tensor3D;
        return logits.slice([0, steps - 1, 0], [-1, 1, -1]);
      });
      const values = last.dataSync() as Float32Array;
      last.dispose();
      return values;
    }
    // The stateful layers up to the attention, then attention and logits on the last step's outputs.
    const at = this.net.layers.indexOf(attention);
    const top = tf.tidy(() => {
      let x: tf.Tensor = tf.tensor2d(tokens, [this.batchSize, steps], 'int32');
      for (const layer of this.net.layers.slice(1, at)) x = layer.apply(x) as tf.Tensor;
      return x.slice([0, steps - 1, 0], [-1, 1, -1]).reshape([this.batchSize, -1]);
    });
    const hidden = this.attend(top.dataSync() as Float32Array);
    top.dispose();
    return tf.tidy(() => {
      const logits = this.net.layers[at + 1].apply(tf.tensor3d(hidden, [this.batchSize, 1, attention.units]));
      return (logits as tf.Tensor).dataSync() as Float32Array;
    });
  }

  /**
   * Releases the weights and the recurrent state of the stateful copy (tf.layers' `dispose` frees the weights
   * but not the state tensors of stateful RNN layers, which would leak one set per generation).
   */
  dispose(): void {
    for (const layer of this.recurrentLayers())
      tf.dispose(layer.states.filter((state): state is tf.Tensor => state !== null));
    this.releaseMemory();
    this.net.dispose();
  }
}

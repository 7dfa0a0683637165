import * as tf from '@tensorflow/tfjs';
import { buildGenerator, ModelConfig } from './generator';

/**
 * Runs a generator one step at a time with its recurrent state carried between calls, so that producing n tokens
 * costs n steps (the prompt is fed once), never a re-run of the growing prefix.
 *
 * It is a stateful copy of the network for a fixed batch size, loaded with the trained model's current weights.
 */
export class Stepper {
  /** Number of sequences advanced together. */
  readonly batchSize: number;
  private readonly net: tf.LayersModel;

  constructor(model: tf.LayersModel, config: ModelConfig, batchSize = 1) {
    this.batchSize = batchSize;
    this.net = buildGenerator(config, { stateful: { batchSize } });
    this.net.setWeights(model.getWeights());
  }

  /** Forgets the recurrent state (every sequence starts afresh). */
  reset(): void {
    this.net.resetStates();
  }

  /**
   * Feeds `steps` tokens per sequence (`tokens` is row-major `[batchSize, steps]`) and returns the logits that
   * follow the last of them, row-major `[batchSize, vocabSize]`.
   */
  feed(tokens: Int32Array, steps: number): Float32Array {
    if (tokens.length !== this.batchSize * steps) {
      throw new Error(`Stepper.feed expected ${this.batchSize}×${steps} tokens, got ${tokens.length}.`);
    }
    const last = tf.tidy(() => {
      const logits = this.net.predictOnBatch(tf.tensor2d(tokens, [this.batchSize, steps], 'int32')) as tf.Tensor3D;
      return logits.slice([0, steps - 1, 0], [-1, 1, -1]);
    });
    const values = last.dataSync() as Float32Array;
    last.dispose();
    return values;
  }

  /**
   * Releases the weights and the recurrent state of the stateful copy (tf.layers' `dispose` frees the weights
   * but not the state tensors of stateful RNN layers, which would leak one set per generation).
   */
  dispose(): void {
    for (const layer of this.net.layers) {
      if (layer instanceof tf.layers.RNN) tf.dispose(layer.states.filter((state): state is tf.Tensor => state !== null));
    }
    this.net.dispose();
  }
}

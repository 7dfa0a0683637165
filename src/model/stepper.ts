import * as tf from '@tensorflow/tfjs';
import { FastStepper } from './fast/fastStepper';
import { buildGenerator, ModelConfig } from './generator';

/**
 * Runs a generator one step at a time with its recurrent state carried between calls, so that producing n tokens
 * costs n steps (the prompt is fed once), never a re-run of the growing prefix. It works on a snapshot of the
 * trained model's weights taken when it is created.
 */
export interface Stepper {
  /** Number of sequences advanced together. */
  readonly batchSize: number;
  /** Forgets the recurrent state (every sequence starts afresh). */
  reset(): void;
  /**
   * Feeds `steps` ≥ 1 tokens per sequence (`tokens` is row-major `[batchSize, steps]`) and returns the logits that
   * follow the last of them, row-major `[batchSize, vocabSize]`.
   */
  feed(tokens: Int32Array, steps: number): Float32Array;
  /** Releases the stepper's tensors. */
  dispose(): void;
}

/**
 * A {@link Stepper} for `model`: the fast engine's ({@link FastStepper}) when it implements every layer of the
 * network, else the tf.layers one ({@link LayersStepper}).
 */
export function createStepper(model: tf.LayersModel, config: ModelConfig, batchSize = 1): Stepper {
  try {
    return new FastStepper(model, batchSize);
  } catch {
    return new LayersStepper(model, config, batchSize);
  }
}

/** The reference {@link Stepper}: a stateful tf.layers copy of the network for a fixed batch size. */
export class LayersStepper implements Stepper {
  /** Number of sequences advanced together. */
  readonly batchSize: number;
  private readonly net: tf.LayersModel;

  constructor(model: tf.LayersModel, config: ModelConfig, batchSize = 1) {
    this.batchSize = batchSize;
    this.net = buildGenerator(config, { stateful: { batchSize } });
    this.net.setWeights(model.getWeights());
  }

  reset(): void {
    this.net.resetStates();
  }

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

import * as tf from '@tensorflow/tfjs';
import { linear } from '../linear';

/** What attention gives for decoder states: the attentional states and the weights over the source positions. */
export type Attended = {
  /** `[rows, steps, units]` the states the logits layer reads. */
  output: tf.Tensor3D;
  /** `[rows, steps, length]`: each step's weights over the memory's positions (0 on padding; each row sums to 1). */
  weights: tf.Tensor3D;
};

/**
 * The part every score shares (Luong, Pham & Manning 2015, without input feeding): weights a = softmax of `scores`
 * over the real source positions, the context c = Σ a·m and the attentional state tanh([c; h] · combine). Padded
 * positions get a weight of exactly 0 (their scores are pushed to −1e9 before the softmax, and the weights multiplied
 * by the mask after it, which also keeps an empty source's weights at 0). Differentiable in every input.
 * @param scores `[rows, steps, length]` each decoder state's score of each memory position.
 * @param states `[rows, steps, units]` the decoder's top-layer outputs.
 * @param memory `[rows, length, width]` the encoder's outputs.
 * @param mask `[rows, length]` 1 at real positions, 0 at padding.
 * @param combine `[width + units, units]` the attentional layer.
 */
export function attendWithScores(
  scores: tf.Tensor3D,
  states: tf.Tensor3D,
  memory: tf.Tensor3D,
  mask: tf.Tensor2D,
  combine: tf.Tensor2D,
): Attended {
  return tf.tidy(() => {
    const [rows, steps, units] = states.shape;
    const [, length, width] = memory.shape;
    const expandedMask = tf.reshape(mask, [rows, 1, length]);
    const masked = tf.add(scores, tf.mul(tf.sub(expandedMask, 1), 1e9));
    const weights = tf.mul<tf.Tensor3D>(tf.softmax(masked), expandedMask);
    const context = tf.matMul(weights, memory);
    const joined = tf.reshape<tf.Rank.R2>(tf.concat([context, states], 2), [rows * steps, width + units]);
    const output = tf.reshape<tf.Rank.R3>(tf.tanh(linear(joined, combine)), [rows, steps, units]);
    return { output, weights };
  });
}

/** The encoder memory an attention layer reads, as tensors. */
export interface MemoryTensors {
  /** `[rows, length, width]`. */
  memory: tf.Tensor3D;
  /** `[rows, length]` 1 at real positions, 0 at padding. */
  mask: tf.Tensor2D;
}

/** An attention layer's computation over given weights (see {@link AttentionLayer.bind}). */
export interface BoundAttention {
  /** Width of the memory it reads. */
  readonly memoryWidth: number;
  /** The attentional states of `states` `[rows, steps, units]` and their weights over the memory. */
  attend(states: tf.Tensor3D, memory: MemoryTensors): Attended;
  /** Releases its copy of the weights (if it made one). */
  dispose(): void;
}

/** Arguments of an attention layer. */
export interface AttentionLayerArgs {
  /** Width of the decoder states it reads (and of its output). */
  units: number;
  /** Width of the encoder memory's positions. */
  memoryWidth: number;
  seed: number;
  name?: string;
}

/**
 * An attention layer of a decoder network (between its top recurrent layer and its logits), so its weights are
 * saved, loaded and trained with the network's. It reads the encoder memory from its call's `memory` argument; applied
 * without one it refuses, as a decoder without its source cannot run. A kind of attention defines its weights
 * (`build`) and its scores ({@link attendTo}).
 */
export abstract class AttentionLayer<W extends { combine: tf.Tensor2D }> extends tf.layers.Layer {
  /** The kind of score, as `--attention` names it. */
  abstract readonly kind: string;
  readonly units: number;
  readonly memoryWidth: number;
  protected readonly seed: number;

  constructor(args: AttentionLayerArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.memoryWidth = args.memoryWidth;
    this.seed = args.seed;
  }

  /** The layer's weights as tensors (its variables' current values: gradients reach them). */
  abstract weightTensors(): W;

  /** Attention of `states` over the memory with weights `weights` (the layer's, or a snapshot of them). */
  abstract attendTo(states: tf.Tensor3D, memory: MemoryTensors, weights: W): Attended;

  /**
   * Attention with this layer's weights, for a stepper: the current values copied (`snapshot`, disposed by the
   * result's `dispose`) or the variables themselves.
   */
  bind(snapshot: boolean): BoundAttention {
    const live = this.weightTensors();
    const weights = snapshot
      ? (Object.fromEntries(Object.entries(live).map(([name, tensor]) => [name, tf.clone(tensor)])) as W)
      : live;
    return {
      memoryWidth: this.memoryWidth,
      attend: (states, memory) => this.attendTo(states, memory, weights),
      dispose: () => {
        if (snapshot) tf.dispose(Object.values(weights));
      },
    };
  }

  /** A glorot-uniform initializer seeded from the layer's seed and `salt`. */
  protected initializer(salt: number): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.seed + salt });
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { memory?: MemoryTensors }): tf.Tensor {
    if (kwargs.memory === undefined)
      throw new Error(
        `Layer "${this.name}" attends to an encoder memory and was run without one: a decoder with attention runs ` +
          'from its source (translate it with its sequence-to-sequence model).',
      );
    const states = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    const { output, weights } = this.attendTo(states, kwargs.memory, this.weightTensors());
    weights.dispose();
    return output;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, memoryWidth: this.memoryWidth, seed: this.seed };
  }
}

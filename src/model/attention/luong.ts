import * as tf from '@tensorflow/tfjs';
import { linear } from '../linear';

/** The weights of Luong attention: the "general" score and the attentional layer. */
export interface LuongWeights {
  /** `[units, width]`: score(h, m) = h · score · m. */
  score: tf.Tensor2D;
  /** `[width + units, units]`: the attentional state tanh([context; h] · combine). */
  combine: tf.Tensor2D;
}

/** What attention gives for decoder states: the attentional states and the weights over the source positions. */
export interface Attended {
  /** `[rows, steps, units]` the states the logits layer reads. */
  output: tf.Tensor3D;
  /** `[rows, steps, length]`: each step's weights over the memory's positions (0 on padding; each row sums to 1). */
  weights: tf.Tensor3D;
}

/**
 * Global attention with the "general" score (Luong, Pham & Manning 2015, without input feeding): for every decoder
 * state h of the top layer, weights a = softmax over the real source positions of h·W_a·m, the context c = Σ a·m,
 * and the attentional state tanh(W_c [c; h]). Padded positions get a weight of exactly 0 (their scores are pushed to
 * −1e9 before the softmax, and the weights multiplied by the mask after it, which also keeps an empty source's
 * weights at 0). Differentiable in every input.
 * @param states `[rows, steps, units]` the decoder's top-layer outputs.
 * @param memory `[rows, length, width]` the encoder's outputs.
 * @param mask `[rows, length]` 1 at real positions, 0 at padding.
 */
export function luongAttention(
  states: tf.Tensor3D,
  memory: tf.Tensor3D,
  mask: tf.Tensor2D,
  weights: LuongWeights,
): Attended {
  return tf.tidy(() => {
    const [rows, steps, units] = states.shape;
    const [, length, width] = memory.shape;
    const flat = tf.reshape<tf.Rank.R2>(states, [rows * steps, units]);
    const queries = tf.reshape<tf.Rank.R3>(linear(flat, weights.score), [rows, steps, width]);
    const keys = tf.transpose(memory, [0, 2, 1]); // explicit: a transposed matMul is slow on wasm
    const expandedMask = tf.reshape(mask, [rows, 1, length]);
    const scores = tf.add(tf.matMul(queries, keys), tf.mul(tf.sub(expandedMask, 1), 1e9));
    const attention = tf.mul<tf.Tensor3D>(tf.softmax(scores), expandedMask);
    const context = tf.matMul(attention, memory);
    const joined = tf.reshape<tf.Rank.R2>(tf.concat([context, states], 2), [rows * steps, width + units]);
    const output = tf.reshape<tf.Rank.R3>(tf.tanh(linear(joined, weights.combine)), [rows, steps, units]);
    return { output, weights: attention };
  });
}

/** Arguments of {@link LuongAttention}. */
export interface LuongAttentionArgs {
  /** Width of the decoder states it reads (and of its output). */
  units: number;
  /** Width of the encoder memory's positions. */
  memoryWidth: number;
  seed: number;
  name?: string;
}

/** The encoder memory a {@link LuongAttention} layer reads, as tensors. */
export interface MemoryTensors {
  /** `[rows, length, width]`. */
  memory: tf.Tensor3D;
  /** `[rows, length]` 1 at real positions, 0 at padding. */
  mask: tf.Tensor2D;
}

/**
 * Luong attention as a layer of a decoder network (between its top recurrent layer and its logits), so its weights
 * are saved, loaded and trained with the network's. It reads the encoder memory from its call's `memory` argument
 * (see {@link luongAttention}); applied without one it refuses, as a decoder without its source cannot run.
 */
export class LuongAttention extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'LuongAttention';
  readonly units: number;
  readonly memoryWidth: number;
  private readonly seed: number;
  private scoreKernel!: tf.LayerVariable;
  private combineKernel!: tf.LayerVariable;

  constructor(args: LuongAttentionArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.memoryWidth = args.memoryWidth;
    this.seed = args.seed;
  }

  override build(): void {
    const init = (salt: number) => tf.initializers.glorotUniform({ seed: this.seed + salt });
    this.scoreKernel = this.addWeight('score_kernel', [this.units, this.memoryWidth], 'float32', init(0));
    this.combineKernel = this.addWeight(
      'combine_kernel',
      [this.memoryWidth + this.units, this.units],
      'float32',
      init(1),
    );
    this.built = true;
  }

  /** The layer's weights as tensors (its variables' current values: gradients reach them). */
  weightTensors(): LuongWeights {
    return { score: this.scoreKernel.read() as tf.Tensor2D, combine: this.combineKernel.read() as tf.Tensor2D };
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
    const { output, weights } = luongAttention(states, kwargs.memory.memory, kwargs.memory.mask, this.weightTensors());
    weights.dispose();
    return output;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, memoryWidth: this.memoryWidth, seed: this.seed };
  }
}

tf.serialization.registerClass(LuongAttention);

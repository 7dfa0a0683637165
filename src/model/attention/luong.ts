import * as tf from '@tensorflow/tfjs';
import { linear } from '../linear';
import { type Attended, attendWithScores, AttentionLayer, type MemoryTensors } from './attend';

/** The weights of Luong attention: the "general" score and the attentional layer. */
export interface LuongWeights {
  /** `[units, width]`: score(h, m) = h · score · m. */
  score: tf.Tensor2D;
  /** `[width + units, units]`: the attentional state tanh([context; h] · combine). */
  combine: tf.Tensor2D;
}

/**
 * Global attention with the "general" score (Luong, Pham & Manning 2015, without input feeding): for every decoder
 * state h of the top layer, the score of memory position m is h·W_a·m (then see {@link attendWithScores}).
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
    const width = memory.shape[2];
    const flat = tf.reshape<tf.Rank.R2>(states, [rows * steps, units]);
    const queries = tf.reshape<tf.Rank.R3>(linear(flat, weights.score), [rows, steps, width]);
    const keys = tf.transpose(memory, [0, 2, 1]); // explicit: a transposed matMul is slow on wasm
    return attendWithScores(tf.matMul(queries, keys), states, memory, mask, weights.combine);
  });
}

/** Luong attention ({@link luongAttention}) as a decoder layer; weights `score_kernel`, `combine_kernel`. */
export class LuongAttention extends AttentionLayer<LuongWeights> {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'LuongAttention';
  readonly kind = 'luong';
  private scoreKernel!: tf.LayerVariable;
  private combineKernel!: tf.LayerVariable;

  override build(): void {
    this.scoreKernel = this.addWeight('score_kernel', [this.units, this.memoryWidth], 'float32', this.initializer(0));
    const combine = [this.memoryWidth + this.units, this.units];
    this.combineKernel = this.addWeight('combine_kernel', combine, 'float32', this.initializer(1));
    this.built = true;
  }

  weightTensors(): LuongWeights {
    return { score: this.scoreKernel.read() as tf.Tensor2D, combine: this.combineKernel.read() as tf.Tensor2D };
  }

  attendTo(states: tf.Tensor3D, { memory, mask }: MemoryTensors, weights: LuongWeights): Attended {
    return luongAttention(states, memory, mask, weights);
  }
}

tf.serialization.registerClass(LuongAttention);

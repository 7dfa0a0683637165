import * as tf from '@tensorflow/tfjs';
import { linear } from '../linear';
import { type Attended, attendWithScores, AttentionLayer, type MemoryTensors } from './attend';

/** The weights of Bahdanau (additive) attention: the score's projections and vector, and the attentional layer. */
export interface BahdanauWeights {
  /** `[units, units]`: the decoder state's projection. */
  query: tf.Tensor2D;
  /** `[width, units]`: the memory's projection. */
  key: tf.Tensor2D;
  /** `[units, 1]`: score(h, m) = tanh(h·query + m·key) · vector. */
  vector: tf.Tensor2D;
  /** `[width + units, units]`: the attentional state tanh([context; h] · combine). */
  combine: tf.Tensor2D;
}

/**
 * Global attention with the additive score of Bahdanau, Cho & Bengio (2015): for every decoder state h of the top
 * layer, the score of memory position m is v · tanh(W_q h + W_k m); then the weights, context and attentional state
 * as Luong's (see {@link attendWithScores}; no input feeding). It costs a `[rows, steps, length, units]` tensor.
 * @param states `[rows, steps, units]` the decoder's top-layer outputs.
 * @param memory `[rows, length, width]` the encoder's outputs.
 * @param mask `[rows, length]` 1 at real positions, 0 at padding.
 */
export function bahdanauAttention(
  states: tf.Tensor3D,
  memory: tf.Tensor3D,
  mask: tf.Tensor2D,
  weights: BahdanauWeights,
): Attended {
  return tf.tidy(() => {
    const [rows, steps, units] = states.shape;
    const [, length, width] = memory.shape;
    const hidden = weights.query.shape[1];
    const queries = tf.reshape(linear(tf.reshape<tf.Rank.R2>(states, [rows * steps, units]), weights.query), [
      rows,
      steps,
      1,
      hidden,
    ]);
    const keys = tf.reshape(linear(tf.reshape<tf.Rank.R2>(memory, [rows * length, width]), weights.key), [
      rows,
      1,
      length,
      hidden,
    ]);
    const joint = tf.reshape<tf.Rank.R2>(tf.tanh(tf.add(queries, keys)), [rows * steps * length, hidden]);
    const scores = tf.reshape<tf.Rank.R3>(linear(joint, weights.vector), [rows, steps, length]);
    return attendWithScores(scores, states, memory, mask, weights.combine);
  });
}

/**
 * Bahdanau attention ({@link bahdanauAttention}) as a decoder layer; weights `query_kernel`, `key_kernel`,
 * `score_vector`, `combine_kernel`.
 */
export class BahdanauAttention extends AttentionLayer<BahdanauWeights> {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'BahdanauAttention';
  readonly kind = 'bahdanau';
  private query!: tf.LayerVariable;
  private key!: tf.LayerVariable;
  private vector!: tf.LayerVariable;
  private combine!: tf.LayerVariable;

  override build(): void {
    const { units, memoryWidth } = this;
    this.query = this.addWeight('query_kernel', [units, units], 'float32', this.initializer(0));
    this.key = this.addWeight('key_kernel', [memoryWidth, units], 'float32', this.initializer(1));
    this.vector = this.addWeight('score_vector', [units, 1], 'float32', this.initializer(2));
    this.combine = this.addWeight('combine_kernel', [memoryWidth + units, units], 'float32', this.initializer(3));
    this.built = true;
  }

  weightTensors(): BahdanauWeights {
    const read = (v: tf.LayerVariable) => v.read() as tf.Tensor2D;
    return { query: read(this.query), key: read(this.key), vector: read(this.vector), combine: read(this.combine) };
  }

  attendTo(states: tf.Tensor3D, { memory, mask }: MemoryTensors, weights: BahdanauWeights): Attended {
    return bahdanauAttention(states, memory, mask, weights);
  }
}

tf.serialization.registerClass(BahdanauAttention);

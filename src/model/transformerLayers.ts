import * as tf from '@tensorflow/tfjs';
import { linear } from './linear';
import { lookupRows } from './rowLookup';

/** GPT-2's initial deviation of every weight matrix (nanoGPT's `normal_(std=0.02)`). */
export const TRANSFORMER_INIT_STDDEV = 0.02;

/** A seeded normal(0, `stddev`) initializer, GPT-2's for every weight matrix by default. */
function normalInit(seed: number, stddev = TRANSFORMER_INIT_STDDEV) {
  return tf.initializers.randomNormal({ mean: 0, stddev, seed });
}

/** Arguments of {@link TokenTable}. */
export interface TokenTableArgs {
  vocabSize: number;
  width: number;
  seed: number;
  name?: string;
}

/**
 * The token embedding table `[vocabSize, width]`, which can also be the output layer (weight tying, Press & Wolf
 * 2017): applied to token ids `[batch, time]` it looks their rows up → `[batch, time, width]`; applied to vectors
 * `[batch, time, width]` it gives their logits against every row → `[batch, time, vocabSize]`. A tied GPT applies this
 * one layer twice, so the table is one weight, trained by both uses.
 */
export class TokenTable extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'TokenTable';
  private readonly settings: Omit<TokenTableArgs, 'name'>;
  private table!: tf.LayerVariable;

  constructor({ name, ...settings }: TokenTableArgs) {
    super({ name });
    this.settings = settings;
  }

  override build(): void {
    const { vocabSize, width, seed } = this.settings;
    this.table = this.addWeight('embeddings', [vocabSize, width], 'float32', normalInit(seed));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const { vocabSize, width } = this.settings;
    return inputShape.length === 2 ? [...inputShape, width] : [...inputShape.slice(0, -1), vocabSize];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const table = this.table.read() as tf.Tensor2D;
    if (x.rank === 2) return lookupRows(table, x);
    return tf.tidy(() => {
      const [batch, time, width] = x.shape as [number, number, number];
      const logits = linear(tf.reshape(x, [batch * time, width]), tf.transpose(table));
      return tf.reshape(logits, [batch, time, this.settings.vocabSize]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.settings };
  }
}

/** Arguments of {@link PositionEmbedding}. */
export interface PositionEmbeddingArgs {
  /** Positions it has vectors for: the longest sequence the network reads. */
  context: number;
  seed: number;
  name?: string;
}

/**
 * Learned position vectors (GPT-2's `wpe`): `[batch, time, width]` → the same plus position t's vector at time t.
 * A sequence longer than the context is refused: there is no vector for its later positions.
 */
export class PositionEmbedding extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'PositionEmbedding';
  private readonly settings: Omit<PositionEmbeddingArgs, 'name'>;
  private positions!: tf.LayerVariable;

  constructor({ name, ...settings }: PositionEmbeddingArgs) {
    super({ name });
    this.settings = settings;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const width = (inputShape as tf.Shape).at(-1) as number;
    const { context, seed } = this.settings;
    this.positions = this.addWeight('positions', [context, width], 'float32', normalInit(seed));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    const [, time, width] = x.shape;
    const { context } = this.settings;
    if (time > context)
      throw new Error(
        `A GPT with a context of ${context} tokens reads at most ${context} at once, got ${time}: ` +
          `train it on sequences of at most ${context} (--seq-len), or give it a longer context (ctxN).`,
      );
    return tf.tidy(() => tf.add(x, tf.slice(this.positions.read(), [0, 0], [time, width])));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.settings };
  }
}

/** Arguments of {@link CausalSelfAttention}. */
export interface CausalSelfAttentionArgs {
  heads: number;
  /** Blocks in the network: the output projection starts at 0.02/√(2·blocks), as in GPT-2. */
  blocks: number;
  seed: number;
  name?: string;
}

/** `x` `[batch·time, heads·size]` → `[batch, heads, time, size]`. */
function splitHeads(x: tf.Tensor2D, batch: number, time: number, heads: number): tf.Tensor4D {
  const size = x.shape[1] / heads;
  return tf.transpose(tf.reshape(x, [batch, time, heads, size]), [0, 2, 1, 3]);
}

/**
 * Causal multi-head self-attention (Vaswani et al. 2017; GPT-2's `attn`): `[batch, time, width]` → the same shape.
 * One `[width, 3·width]` product gives each position's query, key and value, split into `heads` heads of
 * `width / heads`; position t of a head attends to positions 0…t with softmax(q·kᵀ/√size) and takes that mixture of
 * their values; the heads side by side go through the output projection `[width, width]`.
 */
export class CausalSelfAttention extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'CausalSelfAttention';
  private readonly settings: Omit<CausalSelfAttentionArgs, 'name'>;
  private qkvKernel!: tf.LayerVariable;
  private qkvBias!: tf.LayerVariable;
  private outKernel!: tf.LayerVariable;
  private outBias!: tf.LayerVariable;

  constructor({ name, ...settings }: CausalSelfAttentionArgs) {
    super({ name });
    this.settings = settings;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const width = (inputShape as tf.Shape).at(-1) as number;
    const { heads, blocks, seed } = this.settings;
    if (width % heads !== 0) throw new Error(`A width of ${width} does not split into ${heads} heads.`);
    this.qkvKernel = this.addWeight('qkv_kernel', [width, 3 * width], 'float32', normalInit(seed));
    this.qkvBias = this.addWeight('qkv_bias', [3 * width], 'float32', tf.initializers.zeros());
    const outStddev = TRANSFORMER_INIT_STDDEV / Math.sqrt(2 * blocks);
    this.outKernel = this.addWeight('out_kernel', [width, width], 'float32', normalInit(seed + 1, outStddev));
    this.outBias = this.addWeight('out_bias', [width], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [batch, time, width] = x.shape;
      const [q, k, v] = this.queriesKeysValues(x);
      const mixed = tf.reshape(tf.transpose(tf.matMul(this.weightsOf(q, k), v), [0, 2, 1, 3]), [batch * time, width]);
      const out = tf.add(linear(mixed as tf.Tensor2D, this.outKernel.read() as tf.Tensor2D), this.outBias.read());
      return tf.reshape(out, [batch, time, width]);
    });
  }

  /**
   * What each head attends to in `x` (`[batch, time, width]`, the block's normalised input): `[batch, heads, time,
   * time]`, row t the weights position t gives to positions 0…t (those after t are 0), each row summing to 1.
   */
  attentionWeights(x: tf.Tensor3D): tf.Tensor4D {
    return tf.tidy(() => {
      const [q, k] = this.queriesKeysValues(x);
      return this.weightsOf(q, k);
    });
  }

  /** Each position's query, key and value, split into heads: three `[batch, heads, time, width / heads]`. */
  private queriesKeysValues(x: tf.Tensor3D): tf.Tensor4D[] {
    const [batch, time, width] = x.shape;
    const qkv = tf.add<tf.Tensor2D>(
      linear(tf.reshape(x, [batch * time, width]), this.qkvKernel.read() as tf.Tensor2D),
      this.qkvBias.read(),
    );
    return tf.split(qkv, 3, 1).map((part) => splitHeads(part as tf.Tensor2D, batch, time, this.settings.heads));
  }

  /** softmax(q·kᵀ/√size), position t seeing 0…t: the later ones get −1e9, whose exp is exactly 0. */
  private weightsOf(q: tf.Tensor4D, k: tf.Tensor4D): tf.Tensor4D {
    const [, , time, size] = q.shape;
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(size)); // [B, H, T, T]
    const future = tf.sub(1, tf.linalg.bandPart(tf.ones([time, time]), -1, 0));
    return tf.softmax(tf.add(scores, tf.mul(future, -1e9))) as tf.Tensor4D;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.settings };
  }
}

/** Arguments of {@link LayerNorm}. */
export interface LayerNormArgs {
  /** Added to the variance under the root (PyTorch's `nn.LayerNorm` default: 1e-5). */
  epsilon: number;
  name?: string;
}

/**
 * Layer normalisation over the last axis (Ba et al. 2016): `(x − mean) / √(variance + ε) · γ + β`, the variance
 * biased, γ starting at 1 and β at 0. Written in plain ops: tf.layers' own layerNormalization takes its gradient
 * position by position (thousands of slices a batch: 95 % of a GPT step on wasm).
 */
export class LayerNorm extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'LayerNorm';
  private readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor({ name, epsilon }: LayerNormArgs) {
    super({ name });
    this.epsilon = epsilon;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const width = (inputShape as tf.Shape).at(-1) as number;
    this.gamma = this.addWeight('gamma', [width], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [width], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const centered = tf.sub(x, tf.mean(x, -1, true));
      const variance = tf.mean(tf.square(centered), -1, true);
      const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma.read()), this.beta.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(TokenTable);
tf.serialization.registerClass(LayerNorm);
tf.serialization.registerClass(PositionEmbedding);
tf.serialization.registerClass(CausalSelfAttention);

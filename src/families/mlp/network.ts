import * as tf from '@tensorflow/tfjs';
import { linear, TokenEmbedding } from '../../model';
import { deriveSeed } from '../../random';
import type { NetworkConfig } from '../family';

/** The settings of Bengio et al.'s (2003) neural probabilistic language model, as saved in `config.json`. */
export interface MlpConfig extends NetworkConfig {
  family: 'mlp';
  /** Tokens of context: the previous `context` tokens predict the next. */
  context: number;
  /** Units of the tanh hidden layer. */
  units: number;
  /** Size of each token's embedding (the hidden layer reads `context × embeddingDim` values). */
  embeddingDim: number;
}

/** Arguments of {@link ContextWindow}. */
export interface ContextWindowArgs {
  context: number;
  name?: string;
}

/**
 * At every position t of `[batch, time, width]`, the vectors of positions t − context + 1 … t side by side, oldest
 * first → `[batch, time, context × width]`; zeros stand for positions before the sequence's start. A dense layer
 * after it is Bengio's hidden layer over the concatenated embeddings of the last `context` tokens, applied at every
 * position of a training window at once (a causal convolution, built from shifts: wasm has no gradient of
 * conv1d's filter).
 */
export class ContextWindow extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'ContextWindow';
  private readonly context: number;

  constructor(args: ContextWindowArgs) {
    super({ name: args.name });
    this.context = args.context;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const [batch, time, width] = inputShape;
    return [batch, time, width === null ? null : width * this.context];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D; // (B, T, E)
    if (this.context === 1) return x;
    return tf.tidy(() => {
      const [batch, time, width] = x.shape;
      const padded = tf.pad(x, [
        [0, 0],
        [this.context - 1, 0],
        [0, 0],
      ]); // (B, context − 1 + T, E)
      // Slot k (oldest first) at position t holds position t − (context − 1 − k): a slice of the padded sequence.
      const slots = Array.from({ length: this.context }, (_, k) => tf.slice(padded, [0, k, 0], [batch, time, width]));
      return tf.concat(slots, 2); // (B, T, context·E)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), context: this.context };
  }
}
tf.serialization.registerClass(ContextWindow);

/** Arguments of {@link PositionDense}. */
export interface PositionDenseArgs {
  units: number;
  activation: 'tanh' | 'linear';
  seed: number;
  name?: string;
}

/**
 * A dense layer applied at every position of `[batch, time, in]` → `[batch, time, units]`, as one `[batch·time, in]`
 * product whose gradient transposes explicitly (see `linear`): tf.layers' dense layer differentiates a 3-D input with
 * batched, transposed matMuls, 20× slower on wasm. Its weights are a dense layer's (`kernel` `[in, units]`, `bias`).
 */
export class PositionDense extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'PositionDense';
  private readonly units: number;
  private readonly activation: 'tanh' | 'linear';
  private readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: PositionDenseArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.activation = args.activation;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const inputs = (inputShape as tf.Shape).at(-1) as number;
    this.kernel = this.addWeight(
      'kernel',
      [inputs, this.units],
      'float32',
      tf.initializers.glorotUniform({ seed: this.seed }),
    );
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D; // (B, T, in)
    return tf.tidy(() => {
      const [batch, time, width] = x.shape;
      const y = tf.add(
        linear(tf.reshape(x, [batch * time, width]), this.kernel.read() as tf.Tensor2D),
        this.bias.read(),
      ); // (B·T, units)
      return tf.reshape(this.activation === 'tanh' ? tf.tanh(y) : y, [batch, time, this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, seed: this.seed };
  }
}
tf.serialization.registerClass(PositionDense);

/**
 * Builds the MLP generator: token ids `[batch, time]` → logits `[batch, time, vocabSize]`. Embedding → the last
 * `context` embeddings side by side → tanh layer of `units` → dense logits (makemore's MLP; Bengio's direct
 * connections from the embeddings to the logits are left out, as there).
 */
export function buildMlp(config: MlpConfig): tf.LayersModel {
  const input = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  const embedded = new TokenEmbedding({
    inputDim: config.vocabSize,
    outputDim: config.embeddingDim,
    seed: deriveSeed(config.seed, 'embedding'),
    name: 'embedding',
  }).apply(input) as tf.SymbolicTensor;
  const window = new ContextWindow({ context: config.context, name: 'context' }).apply(embedded) as tf.SymbolicTensor;
  const hidden = new PositionDense({
    units: config.units,
    activation: 'tanh',
    seed: deriveSeed(config.seed, 'hidden'),
    name: 'hidden',
  }).apply(window) as tf.SymbolicTensor;
  const logits = new PositionDense({
    units: config.vocabSize,
    activation: 'linear',
    seed: deriveSeed(config.seed, 'logits'),
    name: 'logits',
  }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'mlp_generator' });
}

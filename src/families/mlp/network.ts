import * as tf from '@tensorflow/tfjs';
import { TokenEmbedding } from '../../model';
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
 * first → `[batch, time, context × width]`; zeros stand for positions before the sequence's start. A dense layer after
 * it is Bengio's hidden layer over the concatenated embeddings of the last `context` tokens, applied at every
 * position of a training window at once (a causal convolution, built from shifts: wasm has no gradient of conv1d's
 * filter).
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
    return tf.tidy(() => {
      const [batch, time, width] = x.shape;
      const shifted = Array.from({ length: this.context }, (_, k) => {
        const lag = this.context - 1 - k; // oldest first
        return lag === 0 ? x : tf.pad(x, [[0, 0], [lag, 0], [0, 0]]).slice([0, 0, 0], [batch, time, width]);
      });
      return this.context === 1 ? x : tf.concat(shifted, 2); // (B, T, context·E)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), context: this.context };
  }
}
tf.serialization.registerClass(ContextWindow);

/**
 * Builds the MLP generator: token ids `[batch, time]` → logits `[batch, time, vocabSize]`. Embedding → the last
 * `context` embeddings side by side → tanh layer of `units` → dense logits (makemore's MLP; Bengio's direct
 * connections from the embeddings to the logits are left out, as there).
 */
export function buildMlp(config: MlpConfig): tf.LayersModel {
  const input = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  const embedded = new TokenEmbedding({
    inputDim: config.vocabSize, outputDim: config.embeddingDim, seed: deriveSeed(config.seed, 'embedding'), name: 'embedding',
  }).apply(input) as tf.SymbolicTensor;
  const window = new ContextWindow({ context: config.context, name: 'context' }).apply(embedded) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({
    units: config.units, activation: 'tanh', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, 'hidden') }),
  }).apply(window) as tf.SymbolicTensor;
  const logits = tf.layers.dense({
    units: config.vocabSize, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, 'logits') }),
  }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'mlp_generator' });
}

import * as tf from '@tensorflow/tfjs';
import { ContextDense, TokenEmbedding } from '../../model';
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
  const hidden = new ContextDense({
    context: config.context,
    units: config.units,
    activation: 'tanh',
    seed: deriveSeed(config.seed, 'hidden'),
    name: 'hidden',
  }).apply(embedded) as tf.SymbolicTensor;
  const logits = new ContextDense({
    context: 1,
    units: config.vocabSize,
    activation: 'linear',
    seed: deriveSeed(config.seed, 'logits'),
    name: 'logits',
  }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'mlp_generator' });
}

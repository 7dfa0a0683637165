import * as tf from '@tensorflow/tfjs';
import {
  CausalSelfAttention,
  ContextDense,
  LayerNorm,
  TRANSFORMER_INIT_STDDEV,
  PositionEmbedding,
  SeededDropout,
  TokenTable,
} from '../../model';
import { deriveSeed } from '../../random';
import type { FamilyModel, NetworkConfig, NetworkModel } from '../family';

/** The settings of a GPT (a decoder-only transformer), as saved in `config.json`. */
export interface GptConfig extends NetworkConfig {
  family: 'gpt';
  /** Transformer blocks. */
  layers: number;
  /** Width of every position's vector (GPT-2's `n_embd`); the MLP inside a block is 4× as wide. */
  width: number;
  /** Attention heads per block, each of `width / heads`. */
  heads: number;
  /** Longest sequence it reads: it has a position vector for each of these. */
  context: number;
  /** Dropout after the embeddings and after each attention and MLP, before they join the residual stream. */
  dropout: number;
  /** Whether the output layer is the token embedding table (weight tying) instead of a dense layer of its own. */
  tied: boolean;
}

/** Whether `model` is a GPT of this family (a network whose config says `gpt`). */
export function isGptModel(model: FamilyModel): model is NetworkModel<GptConfig> {
  return 'network' in model && (model as NetworkModel).config.family === 'gpt';
}

/** The layer names a GPT's parts have, for the stepper (and any engine) to find their weights. */
export const GPT_LAYERS = {
  tokens: 'token_embedding',
  positions: 'position_embedding',
  attentionNorm: (block: number) => `block${block}_ln1`,
  attention: (block: number) => `block${block}_attention`,
  mlpNorm: (block: number) => `block${block}_ln2`,
  mlpIn: (block: number) => `block${block}_mlp_in`,
  mlpOut: (block: number) => `block${block}_mlp_out`,
  finalNorm: 'final_ln',
  logits: 'logits',
} as const;

/** LayerNorm's ε, as PyTorch's `nn.LayerNorm` (tf.layers' default is 1e-3). */
export const LAYER_NORM_EPSILON = 1e-5;

/**
 * Builds a GPT (Radford et al. 2019, as nanoGPT): token ids `[batch, time]` → logits `[batch, time, vocabSize]`. Token
 * + learned position embeddings → `layers` pre-LayerNorm blocks (x + attention(LN(x)), then x + MLP(LN(x)) with a GELU
 * MLP of 4× the width) → a final LayerNorm → the logits (the token table again when tied). Weights start as GPT-2's:
 * normal(0, 0.02), the projections into the residual stream 0.02/√(2·layers), biases 0, LayerNorms 1 and 0.
 */
export function buildGpt(config: GptConfig): tf.LayersModel {
  const { layers, width, heads, context, dropout, vocabSize, seed } = config;
  const seedOf = (label: string) => deriveSeed(seed, label);
  let dropouts = 0;
  const drop = (x: tf.SymbolicTensor) =>
    dropout === 0
      ? x
      : (new SeededDropout({ rate: dropout, seed: seedOf(`dropout${dropouts}`), name: `dropout${dropouts++}` }).apply(
          x,
        ) as tf.SymbolicTensor);
  const norm = (name: string, x: tf.SymbolicTensor) =>
    new LayerNorm({ epsilon: LAYER_NORM_EPSILON, name }).apply(x) as tf.SymbolicTensor;
  const dense = (name: string, units: number, activation: 'gelu' | 'linear', stddev: number, x: tf.SymbolicTensor) =>
    new ContextDense({ context: 1, units, activation, stddev, seed: seedOf(name), name }).apply(x) as tf.SymbolicTensor;
  const residual = (x: tf.SymbolicTensor, y: tf.SymbolicTensor) => tf.layers.add().apply([x, y]) as tf.SymbolicTensor;

  const input = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  const table = new TokenTable({ vocabSize, width, seed: seedOf('tokens'), name: GPT_LAYERS.tokens });
  const positions = new PositionEmbedding({ context, seed: seedOf('positions'), name: GPT_LAYERS.positions });
  let x = drop(positions.apply(table.apply(input)) as tf.SymbolicTensor);
  const projectionStddev = TRANSFORMER_INIT_STDDEV / Math.sqrt(2 * layers);
  for (let b = 0; b < layers; b++) {
    const attention = new CausalSelfAttention({
      heads,
      blocks: layers,
      seed: seedOf(`attention${b}`),
      name: GPT_LAYERS.attention(b),
    });
    x = residual(x, drop(attention.apply(norm(GPT_LAYERS.attentionNorm(b), x)) as tf.SymbolicTensor));
    const hidden = dense(
      GPT_LAYERS.mlpIn(b),
      4 * width,
      'gelu',
      TRANSFORMER_INIT_STDDEV,
      norm(GPT_LAYERS.mlpNorm(b), x),
    );
    x = residual(x, drop(dense(GPT_LAYERS.mlpOut(b), width, 'linear', projectionStddev, hidden)));
  }
  x = norm(GPT_LAYERS.finalNorm, x);
  const logits = config.tied
    ? (table.apply(x) as tf.SymbolicTensor)
    : dense(GPT_LAYERS.logits, vocabSize, 'linear', TRANSFORMER_INIT_STDDEV, x);
  return tf.model({ inputs: input, outputs: logits, name: 'gpt' });
}

import * as tf from '@tensorflow/tfjs';
import { listSome, quoted } from '../../messages';
import { CausalSelfAttention } from '../../model';
import { EOS_ID, unknownTokens } from '../../vocab';
import type { FamilyModel } from '../family';
import { GPT_LAYERS, isGptModel } from './network';

/** What one block of a GPT attends to as it reads a text. */
export interface AttentionMaps {
  /** The tokens it read, in order: `<eos>` (where every generation starts) and then the text's. */
  tokens: string[];
  /** Per head, `[query position][key position]`: row t the weights position t gives to positions 0…t (later: 0). */
  heads: number[][][];
}

/**
 * The attention weights of block `block` (0 = the first) of the GPT `model` on `text`, read as generation reads a
 * prompt (after `<eos>`): what each head of that block looks at from each position. Refuses a model of another
 * family, a block it does not have, a text longer than its context and tokens it never saw.
 */
export function attentionMaps(model: FamilyModel, text: string, block = 0): AttentionMaps {
  if (!isGptModel(model)) throw new Error('Attention maps need a GPT (the gpt family); this model is not one.');
  const { layers, context } = model.config;
  if (!Number.isInteger(block) || block < 0 || block >= layers)
    throw new Error(`The GPT has blocks 0 to ${layers - 1}; there is no block ${block}.`);
  const unknown = unknownTokens(model.vocab, text);
  if (unknown.length > 0)
    throw new Error(
      `The text ${quoted(text, 60)} has tokens the model never saw: ${listSome(unknown, quoted)}; remove them.`,
    );
  const ids = [EOS_ID, ...model.vocab.encode(text)];
  if (ids.length > context)
    throw new Error(
      `The text is ${ids.length - 1} tokens long; the GPT reads at most ${context - 1} after <eos>: shorten it.`,
    );
  const network = model.network;
  // A view of the GPT's own layers up to the block's LayerNorm: it shares their weights, so it is not disposed.
  const normed = tf.model({
    inputs: network.inputs,
    outputs: network.getLayer(GPT_LAYERS.attentionNorm(block)).output,
  });
  const attention = network.getLayer(GPT_LAYERS.attention(block)) as CausalSelfAttention;
  const weights = tf.tidy(() => {
    const input = normed.predict(tf.tensor2d([ids], [1, ids.length], 'int32')) as tf.Tensor3D;
    return attention.attentionWeights(input).squeeze([0]);
  });
  const heads = weights.arraySync() as number[][][];
  weights.dispose();
  return { tokens: ids.map((id) => (id === EOS_ID ? '<eos>' : model.vocab.decode([id]))), heads };
}

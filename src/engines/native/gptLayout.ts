import type * as tf from '@tensorflow/tfjs';
import { CausalSelfAttention, PositionEmbedding, SeededDropout, TokenTable } from '../../model';
import type { NativeGptSpec, NativeLayout } from './addon';

/** A GPT as the addon takes it: its shape, its trainable weights (in the addon's order), its dropout layers' seeds. */
export type NativeGptLayout = NativeLayout<NativeGptSpec>;

/** Whether `network` is a GPT (see `buildGpt`): it has a token table (its layout is checked by `nativeGptLayout`). */
export function isGpt(network: tf.LayersModel): boolean {
  return network.layers.some((layer) => layer instanceof TokenTable);
}

/** The sizes of the addon's parameter arrays for `spec`, in its order (native/src/gpt.h, gpt_param_sizes). */
function parameterSizes({ vocab, width: c, context, layers, tied }: NativeGptSpec): number[] {
  const block = [c, c, c * 3 * c, 3 * c, c * c, c, c, c, c * 4 * c, 4 * c, 4 * c * c, c];
  return [
    vocab * c,
    context * c,
    ...Array.from({ length: layers }, () => block).flat(),
    c,
    c,
    ...(tied ? [] : [c * vocab, vocab]),
  ];
}

/** The GPT `network` as the addon takes it, or why it cannot (a layer or setting the addon does not run). */
export function nativeGptLayout(network: tf.LayersModel): NativeGptLayout | { reason: string } {
  const table = network.layers.find((layer): layer is TokenTable => layer instanceof TokenTable);
  const positions = network.layers.find((layer): layer is PositionEmbedding => layer instanceof PositionEmbedding);
  const attention = network.layers.filter(
    (layer): layer is CausalSelfAttention => layer instanceof CausalSelfAttention,
  );
  const dropouts = network.layers.filter((layer): layer is SeededDropout => layer instanceof SeededDropout);
  if (table === undefined || positions === undefined || attention.length === 0)
    return { reason: 'not a GPT of the gpt family (a token table, position vectors and attention blocks)' };
  const rates = new Set(dropouts.map((layer) => Number(layer.getConfig().rate)));
  if (rates.size > 1 || (dropouts.length > 0 && dropouts.length !== 1 + 2 * attention.length))
    return { reason: 'dropout other than one rate after the embeddings, each attention and each MLP' };
  const heads = new Set(attention.map((layer) => Number(layer.getConfig().heads)));
  if (heads.size > 1) return { reason: 'blocks with different numbers of heads' };
  const [vocab, width] = table.getWeights()[0].shape;
  const spec: NativeGptSpec = {
    layers: attention.length,
    width,
    heads: [...heads][0],
    context: positions.getWeights()[0].shape[0],
    vocab,
    tied: network.outputs[0].sourceLayer === table,
    dropout: dropouts.length === 0 ? 0 : [...rates][0],
  };
  const variables = network.trainableWeights;
  const sizes = parameterSizes(spec);
  if (
    variables.length !== sizes.length ||
    variables.some((v, i) => v.shape.reduce<number>((a, b) => a * b!, 1) !== sizes[i])
  )
    return { reason: 'weights in another order or of other shapes than a GPT of the gpt family' };
  const nextDropoutSeeds = () =>
    dropouts.length === 0 ? null : Uint32Array.from(dropouts.map((layer) => layer.nextSeed() >>> 0));
  return { spec, variables, nextDropoutSeeds };
}

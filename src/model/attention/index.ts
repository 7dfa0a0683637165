import type * as tf from '@tensorflow/tfjs';
import type { AttentionLayerArgs } from './attend';
import { BahdanauAttention } from './bahdanau';
import { LuongAttention } from './luong';

/**
 * How a sequence-to-sequence decoder looks at its source: `none` — only through the state the encoder leaves (the
 * lesson's fixed-state model); `luong` — global attention with the multiplicative "general" score at each target step
 * (see `luongAttention`); `bahdanau` — the same with the additive score (see `bahdanauAttention`).
 */
export const ATTENTIONS = ['none', 'luong', 'bahdanau'] as const;
/** An attention kind. */
export type AttentionKind = (typeof ATTENTIONS)[number];

/** A decoder's attention layer, of any kind. */
export type DecoderAttention = LuongAttention | BahdanauAttention;

/** Whether `layer` is a decoder's attention layer. */
export function isAttentionLayer(layer: tf.layers.Layer): layer is DecoderAttention {
  return layer instanceof LuongAttention || layer instanceof BahdanauAttention;
}

/** The attention layer of a decoder network, or null for a decoder without attention. */
export function attentionLayerOf(network: tf.LayersModel): DecoderAttention | null {
  return network.layers.find(isAttentionLayer) ?? null;
}

/** A new attention layer of `kind`. */
export function attentionLayer(kind: Exclude<AttentionKind, 'none'>, args: AttentionLayerArgs): DecoderAttention {
  return kind === 'luong' ? new LuongAttention(args) : new BahdanauAttention(args);
}

export * from './attend';
export * from './bahdanau';
export * from './luong';
export * from './memory';

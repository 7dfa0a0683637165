import type * as tf from '@tensorflow/tfjs';
import { LuongAttention } from './luong';

/**
 * How a sequence-to-sequence decoder looks at its source: `none` — only through the state the encoder leaves (the
 * lesson's fixed-state model); `luong` — global attention over every encoder output at each target step (see
 * `luongAttention`).
 */
export const ATTENTIONS = ['none', 'luong'] as const;
/** An attention kind. */
export type AttentionKind = (typeof ATTENTIONS)[number];

/** The attention layer of a decoder network, or null for a decoder without attention. */
export function attentionLayerOf(network: tf.LayersModel): LuongAttention | null {
  return network.layers.find((layer): layer is LuongAttention => layer instanceof LuongAttention) ?? null;
}

export * from './luong';
export * from './memory';

import * as tf from '@tensorflow/tfjs';
import { buildGenerator, buildSequenceEncoder, type CellType, resolveModelConfig, stateLayout } from '../src/model';
import { VOCAB } from './engineFixtures';

// Shared by the attention tests: three sources of different lengths and a small decoder with attention.

/** Three sources (3, 5 and 1 tokens) for the rows of `maskedBatch()`. */
export const SOURCES = [Int32Array.of(3, 1, 4), Int32Array.of(5, 9, 2, 6, 5), Int32Array.of(8)];
/** The padded length of {@link SOURCES}. */
export const MAX_LEN = 6;

/**
 * A two-layer decoder with attention (Luong's or Bahdanau's) and its source encoder, one way or both ways (non-zero
 * biases, so their gradients count).
 */
export function attentionModel(cell: CellType, bidirectional = false, attention: 'luong' | 'bahdanau' = 'luong') {
  const config = resolveModelConfig({
    vocabSize: VOCAB,
    cell,
    units: 6,
    layers: 2,
    seed: 3,
    attention,
    ...(bidirectional && { bidirectional: true }),
  });
  const generator = buildGenerator(config);
  generator.trainableWeights
    .filter((w) => w.originalName.endsWith('/bias'))
    .forEach((w, k) => w.write(tf.tidy(() => tf.sin(tf.range(k, k + w.shape[0]!)).mul(0.3))));
  const encoder = buildSequenceEncoder({ vocabSize: VOCAB, maxLen: MAX_LEN, embeddingDim: 4, seed: 7 }, config);
  return { config, generator, encoder, layout: stateLayout(config) };
}

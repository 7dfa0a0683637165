import type { SourceData } from '../data';
import type { SavedSource } from '../io';
import { buildSequenceEncoder, type ModelConfig, type SequenceEncoderConfig } from '../model';

/** A sequence-to-sequence run's encoder side, with what it trains on: every corpus document's padded source ids. */
export interface RunSource extends SavedSource {
  /** `[documents, maxLen]` row-major, in the corpus's document order. */
  documentIds: Int32Array;
}

/**
 * The encoder side of a sequence-to-sequence run on `data` (the corpus's sources), or null for a corpus without
 * sources: a new encoder of the decoder's cell, layers and units (`config`), or when `resuming` the `saved` one —
 * which must exist, its vocabulary and length the sources' again.
 */
export function sourceForRun(data: SourceData | null, config: ModelConfig, saved: SavedSource | null, resuming = false): RunSource | null {
  if (data === null) {
    if (saved !== null) throw new Error('The model is sequence-to-sequence, but its run names no source column (damaged config.json?). Re-train or restore the model folder.');
    return null;
  }
  if (resuming && saved === null) throw new Error('The run names a source column, but the model has no source encoder (damaged model folder?). Re-train or restore it.');
  if (saved !== null) {
    if (JSON.stringify(saved.vocab.toJSON()) !== JSON.stringify(data.vocab.toJSON()) || saved.config.maxLen !== data.maxLen) {
      throw new Error('The corpus\'s sources are not the ones the run started on (their vocabulary or longest source differs); resuming needs the same corpus.');
    }
    return { ...saved, documentIds: data.ids };
  }
  const encoderConfig: SequenceEncoderConfig = { vocabSize: data.vocab.size, maxLen: data.maxLen, embeddingDim: config.embeddingDim, seed: config.seed };
  return { config: encoderConfig, encoder: buildSequenceEncoder(encoderConfig, config), vocab: data.vocab, documentIds: data.ids };
}

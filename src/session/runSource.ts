import type { SourceData } from '../data';
import type { NetworkConfig, NetworkFamily } from '../families';
import type { SavedSource } from '../io';

/** A sequence-to-sequence run's encoder side, with what it trains on: every corpus document's padded source ids. */
export interface RunSource extends SavedSource {
  /** `[documents, maxLen]` row-major, in the corpus's document order. */
  documentIds: Int32Array;
}

/** Network settings that only an encoder of sources has: the setting, what it is, its flag. */
const SOURCE_SETTINGS = [
  ['attention', 'Attention', '--attention'],
  ['bidirectional', 'A bidirectional encoder', '--bidirectional'],
  ['encoderDropout', 'Encoder dropout', '--encoder-dropout'],
] as const;

/**
 * The encoder side of a sequence-to-sequence run on `data` (the corpus's sources), or null for a corpus without
 * sources: a new encoder that the decoder's family builds for its network (`config`; a family without one is refused),
 * or when `resuming` the `saved` one — which must exist, its vocabulary and length the sources' again.
 */
export function sourceForRun(
  data: SourceData | null,
  family: NetworkFamily,
  config: NetworkConfig,
  saved: SavedSource | null,
  resuming = false,
): RunSource | null {
  if (data === null) {
    if (saved !== null)
      throw new Error(
        'The model is sequence-to-sequence, but its run names no source column (damaged config.json?). ' +
          'Re-train or restore the model folder.',
      );
    const given = SOURCE_SETTINGS.find(
      ([key]) => (config as { [setting in (typeof SOURCE_SETTINGS)[number][0]]?: unknown })[key] !== undefined,
    );
    if (given !== undefined)
      throw new Error(
        `${given[1]} needs a source: train a sequence-to-sequence model (--task seq2seq, --source-column), ` +
          `or drop ${given[2]}.`,
      );
    return null;
  }
  if (resuming && saved === null)
    throw new Error(
      'The run names a source column, but the model has no source ' +
        'encoder (damaged model folder?). Re-train or restore it.',
    );
  if (saved !== null) {
    if (
      JSON.stringify(saved.vocab.toJSON()) !== JSON.stringify(data.vocab.toJSON()) ||
      saved.config.maxLen !== data.maxLen
    ) {
      throw new Error(
        "The corpus's sources are not the ones the run started on (their vocabulary or longest source " +
          'differs); resuming needs the same corpus.',
      );
    }
    return { ...saved, documentIds: data.ids };
  }
  if (family.buildSourceEncoder === undefined || !family.supports.seq2seq) {
    throw new Error(
      `A ${family.name} model cannot be the decoder of a sequence-to-sequence model (it has no state for an ` +
        'encoder to set); train a recurrent network (e.g. --model lstm).',
    );
  }
  const built = family.buildSourceEncoder(config, { vocabSize: data.vocab.size, maxLen: data.maxLen });
  return { ...built, vocab: data.vocab, documentIds: data.ids };
}

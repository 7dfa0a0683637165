import { CharVocab, type Vocabulary, type VocabularyUnit, WordVocab } from '../vocab';

/** The sources of a sequence-to-sequence corpus, ready for the encoder. */
export interface SourceData {
  vocab: Vocabulary;
  /** `[documents, maxLen]` row-major: each document's source ids, padded with `<pad>` (0) at the end. */
  ids: Int32Array;
  /** Tokens of the longest source: the encoder's input length. */
  maxLen: number;
}

/** Options of {@link prepareSourceData}. */
export interface SourceDataOptions {
  level: VocabularyUnit;
  /** Tokens seen fewer times become `<unk>`. */
  minCount?: number;
  /** Largest vocabulary, specials included. */
  maxVocab?: number;
  /** With words: lower-case them. */
  lowercase?: boolean;
}

/** Builds the source vocabulary (characters or words) from every source and encodes each, padded to the longest. */
export function prepareSourceData(sources: readonly string[], options: SourceDataOptions): SourceData {
  const limits = { minCount: options.minCount, maxSize: options.maxVocab };
  const vocab: Vocabulary =
    options.level === 'word'
      ? WordVocab.build(sources, { ...limits, lowercase: options.lowercase })
      : CharVocab.build(sources, limits);
  const encoded = sources.map((source) => vocab.encode(source));
  const maxLen = encoded.reduce((n, ids) => Math.max(n, ids.length), 1);
  return { vocab, ids: padSources(encoded, maxLen), maxLen };
}

/**
 * Source ids `[rows, maxLen]` for an encoder: each source's ids, then `<pad>` (0). Throws naming a source longer
 * than `maxLen` (the longest a model was trained on).
 */
export function padSources(sources: readonly Int32Array[], maxLen: number): Int32Array {
  const ids = new Int32Array(sources.length * maxLen);
  sources.forEach((source, row) => {
    if (source.length > maxLen)
      throw new Error(
        `Source ${row + 1} has ${source.length} tokens; the model ` +
          `reads at most ${maxLen} (its longest training source).`,
      );
    ids.set(source, row * maxLen);
  });
  return ids;
}

/** The source length of each row of padded ids `[rows, maxLen]` (see {@link padSources}): tokens before its `<pad>`s. */
export function sourceLengths(ids: Int32Array, rows: number): Int32Array {
  const maxLen = ids.length / Math.max(rows, 1);
  return Int32Array.from({ length: rows }, (_, r) => {
    let length = maxLen;
    while (length > 0 && ids[r * maxLen + length - 1] === 0) length -= 1;
    return length;
  });
}

/**
 * A stream of token ids in the smallest integer array that holds every id of its vocabulary: 1 byte per token up to
 * 256 tokens (characters), 2 up to 65 536 (most word vocabularies), else 4. A 50 MB text encoded for training takes
 * 50 MB this way instead of 200 MB as an `Int32Array`.
 */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

/** A zeroed {@link TokenIds} of `length` ids for a vocabulary of `vocabSize` tokens. */
export function allocateIds(vocabSize: number, length: number): TokenIds {
  if (vocabSize <= 0x100) return new Uint8Array(length);
  if (vocabSize <= 0x10000) return new Uint16Array(length);
  return new Int32Array(length);
}

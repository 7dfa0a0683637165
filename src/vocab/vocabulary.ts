import type { TokenIds } from './tokenIds';

/** The serialisable form shared by all vocabularies: a kind tag, a format version and the tokens in id order. */
export interface VocabularyJSON {
  kind: string;
  version: number;
  tokens: string[];
}

/** What one token of a vocabulary is: a character or a word (or punctuation mark). */
export type VocabularyUnit = 'char' | 'word';

/**
 * What the data, model, training and sampling code need from a vocabulary, whatever its unit
 * (characters, words). Ids 0, 1, 2 are always `<pad>`, `<eos>`, `<unk>` (see `PAD_ID`, `EOS_ID`, `UNK_ID`).
 */
export interface Vocabulary {
  /** What one token is: `'char'` or `'word'`. */
  readonly unit: VocabularyUnit;
  /** Number of tokens, specials included (the model's input and output width). */
  readonly size: number;
  /** All tokens in id order. */
  readonly tokens: readonly string[];
  /** Id of a token; the `<unk>` id when the vocabulary does not hold it. */
  idOf(token: string): number;
  /** Token of an id; throws when the id is outside the vocabulary. */
  tokenOf(id: number): string;
  /** Encodes one text into ids (unknown tokens become `<unk>`). */
  encode(text: string): Int32Array;
  /** Encodes documents into one flat array with `<eos>` after each document. */
  encodeCorpus(texts: readonly string[]): Int32Array;
  /** The same ids as {@link Vocabulary.encodeCorpus}, in the smallest array that holds them (see {@link TokenIds}). */
  encodeCorpusCompact(texts: readonly string[]): TokenIds;
  /** Decodes ids back into text; with `stopAtEos` decoding stops at the first `<eos>`. */
  decode(ids: ArrayLike<number>, options?: { stopAtEos?: boolean }): string;
  /**
   * The text that token `id` adds to `decode(previous)`, for printing generated tokens one at a time:
   * `decode(previous) + decodeStep(previous, id) === decode([...previous, id])` (word vocabularies choose
   * the spacing before a token from the tokens before it).
   */
  decodeStep(previous: ArrayLike<number>, id: number): string;
  /** The serialisable form, to save next to a model. */
  toJSON(): VocabularyJSON;
}

import type { TokenDataset } from './dataset';
import { LineDataset } from './lineDataset';
import { splitIds, splitItems } from './trainValSplit';
import { unigramEntropy } from './unigramEntropy';
import { WindowDataset } from './windowDataset';
import { createRng } from '../random';
import { CharVocab, EOS_ID, TokenIds, Vocabulary, VocabularyUnit, WordVocab } from '../vocab';

/**
 * How text becomes training examples: windows over the whole stream (PyTorch lesson) or one padded line each
 * (TensorFlow lesson).
 */
export const DATA_MODES = ['windows', 'lines'] as const;
/** A way of cutting text into examples. */
export type DataMode = (typeof DATA_MODES)[number];

/** Token levels (a vocabulary's unit): characters (the lesson) or words and punctuation (the lab). */
export const LEVELS: readonly VocabularyUnit[] = ['char', 'word'];

/** Options of {@link prepareCharData}. */
export interface CharDataOptions {
  /** `windows`: fixed windows of `seqLen` characters; `lines`: each document is one example, cut at `seqLen`. */
  mode: DataMode;
  seqLen: number;
  /** Share of the text held out for validation, in [0, 1). */
  valFraction: number;
  /** Seed of the line split (windows split by position and need none). */
  seed: number;
  /** Characters seen fewer times become `<unk>`. */
  minCount?: number;
  /** Largest vocabulary, specials included. */
  maxVocab?: number;
}

/** Options of {@link prepareWordData}: those of characters, plus lower-casing. */
export interface WordDataOptions extends CharDataOptions {
  /** Lower-case every word before counting and encoding (default false). */
  lowercase?: boolean;
}

/** A vocabulary and the training and validation examples made from a corpus. */
export interface TokenData<V extends Vocabulary = Vocabulary> {
  vocab: V;
  train: TokenDataset;
  val: TokenDataset | null;
  /** Entropy of the training tokens' frequencies in nats: the loss of a model that ignores context. */
  unigramEntropy: number;
  /**
   * Characters of text per token, measured by decoding the validation tokens (the training tokens without a
   * validation split): 1 for characters, about 4–5 for English words. Loss in nats per token / ln 2 / this
   * = bits per character, comparable between char- and word-level models.
   */
  charsPerToken: number;
}

/** Characters, their training and validation examples. */
export type CharData = TokenData<CharVocab>;
/** Words, their training and validation examples. */
export type WordData = TokenData<WordVocab>;

/**
 * Builds the character vocabulary from all documents and cuts training and validation examples.
 * Windows split the encoded stream by position (the last `valFraction` is validation, so no window crosses
 * the split); lines are split into two seeded random sets.
 */
export function prepareCharData(texts: readonly string[], options: CharDataOptions): CharData {
  return prepareTokenData(
    CharVocab.build(texts, { minCount: options.minCount, maxSize: options.maxVocab }),
    texts,
    options,
  );
}

/**
 * The lab's word level: builds a word vocabulary (words and punctuation, rare ones → `<unk>`) and cuts examples
 * exactly as {@link prepareCharData} does, with `seqLen` counted in words.
 */
export function prepareWordData(texts: readonly string[], options: WordDataOptions): WordData {
  const vocab = WordVocab.build(texts, {
    minCount: options.minCount,
    maxSize: options.maxVocab,
    lowercase: options.lowercase,
  });
  return prepareTokenData(vocab, texts, options);
}

function prepareTokenData<V extends Vocabulary>(
  vocab: V,
  texts: readonly string[],
  options: CharDataOptions,
): TokenData<V> {
  const unit = vocab.unit === 'char' ? 'characters' : 'words';
  if (options.mode === 'windows') {
    const { train, val } = splitIds(vocab.encodeCorpusCompact(texts), options.valFraction);
    if (options.valFraction > 0 && val.length < options.seqLen + 1) {
      throw new Error(
        `The validation split has ${val.length} ${unit}, fewer than one window of ${options.seqLen + 1}. ` +
          'Use a larger --val, a shorter --seq-len or a larger corpus.',
      );
    }
    const trainSet = new WindowDataset(train, { seqLen: options.seqLen });
    return {
      vocab,
      train: trainSet,
      val:
        options.valFraction > 0
          ? new WindowDataset(val, { seqLen: options.seqLen, firstDocument: trainSet.endDocument })
          : null,
      unigramEntropy: unigramEntropy(train, vocab.size),
      charsPerToken: charsPerToken(vocab, options.valFraction > 0 ? val : train),
    };
  }
  const lines = texts.map((text, document) => ({ ids: vocab.encode(text), document }));
  const { train, val } = splitItems(lines, options.valFraction, createRng(options.seed));
  if (options.valFraction > 0 && val.length === 0) {
    throw new Error(`The validation split of ${lines.length} lines is empty; use a larger --val or more lines.`);
  }
  const dataset = (part: typeof lines) =>
    new LineDataset(
      part.map((l) => l.ids),
      { maxLen: options.seqLen, documents: part.map((l) => l.document) },
    );
  const [trainIds, valIds] = [train, val].map((part) => part.map((l) => l.ids));
  return {
    vocab,
    train: dataset(train),
    val: options.valFraction > 0 ? dataset(val) : null,
    unigramEntropy: unigramEntropy(concatLines(trainIds), vocab.size),
    charsPerToken: charsPerToken(vocab, concatLines(valIds.length > 0 ? valIds : trainIds, EOS_ID)),
  };
}

/** Tokens decoded at a time by {@link charsPerToken} when tokens decode independently of each other (characters). */
const DECODE_SLICE = 1 << 16;

/**
 * Code points of the decoded text per token (`<eos>` decodes to one line break); 1 for an empty stream.
 * Characters are decoded slice by slice, so that measuring a large stream never holds its whole text at once
 * (words stay whole: the spacing between two words depends on both).
 */
function charsPerToken(vocab: Vocabulary, ids: TokenIds): number {
  if (ids.length === 0) return 1;
  const slice = vocab.unit === 'char' ? DECODE_SLICE : ids.length;
  let chars = 0;
  for (let start = 0; start < ids.length; start += slice)
    chars += countCodePoints(vocab.decode(ids.subarray(start, start + slice)));
  return chars / ids.length;
}

/** Number of code points of a text (a surrogate pair counts once, as in `Array.from(text)`). */
function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; count++) i += (text.codePointAt(i) as number) > 0xffff ? 2 : 1;
  return count;
}

/** The lines one after another, each followed by `separator` when one is given. */
function concatLines(lines: readonly Int32Array[], separator?: number): Int32Array {
  const extra = separator === undefined ? 0 : 1;
  const out = new Int32Array(lines.reduce((n, l) => n + l.length + extra, 0));
  let offset = 0;
  for (const line of lines) {
    out.set(line, offset);
    offset += line.length;
    if (separator !== undefined) out[offset++] = separator;
  }
  return out;
}

import { LineDataset, splitIds, splitItems, TokenDataset, unigramEntropy, WindowDataset } from '../data';
import { createRng } from '../random';
import { CharVocab } from '../vocab';

/** How text becomes training examples: windows over the whole stream (PyTorch lesson) or one padded line each (TensorFlow lesson). */
export const DATA_MODES = ['windows', 'lines'] as const;
/** A way of cutting text into examples. */
export type DataMode = (typeof DATA_MODES)[number];

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

/** A vocabulary and the training and validation examples made from a corpus. */
export interface CharData {
  vocab: CharVocab;
  train: TokenDataset;
  val: TokenDataset | null;
  /** Entropy of the training characters' frequencies in nats: the loss of a model that ignores context. */
  unigramEntropy: number;
}

/**
 * Builds the character vocabulary from all documents and cuts training and validation examples.
 * Windows split the encoded stream by position (the last `valFraction` is validation, so no window crosses
 * the split); lines are split into two seeded random sets.
 */
export function prepareCharData(texts: readonly string[], options: CharDataOptions): CharData {
  const vocab = CharVocab.build(texts, { minCount: options.minCount, maxSize: options.maxVocab });
  if (options.mode === 'windows') {
    const { train, val } = splitIds(vocab.encodeCorpus(texts), options.valFraction);
    if (options.valFraction > 0 && val.length < options.seqLen + 1) {
      throw new Error(
        `The validation split has ${val.length} characters, fewer than one window of ${options.seqLen + 1}. ` +
          'Use a larger --val, a shorter --seq-len or a larger corpus.',
      );
    }
    return {
      vocab,
      train: new WindowDataset(train, { seqLen: options.seqLen }),
      val: options.valFraction > 0 ? new WindowDataset(val, { seqLen: options.seqLen }) : null,
      unigramEntropy: unigramEntropy(train, vocab.size),
    };
  }
  const lines = texts.map((text) => vocab.encode(text));
  const { train, val } = splitItems(lines, options.valFraction, createRng(options.seed));
  if (options.valFraction > 0 && val.length === 0) {
    throw new Error(`The validation split of ${lines.length} lines is empty; use a larger --val or more lines.`);
  }
  return {
    vocab,
    train: new LineDataset(train, { maxLen: options.seqLen }),
    val: options.valFraction > 0 ? new LineDataset(val, { maxLen: options.seqLen }) : null,
    unigramEntropy: unigramEntropy(concatLines(train), vocab.size),
  };
}

function concatLines(lines: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(lines.reduce((n, l) => n + l.length, 0));
  let offset = 0;
  for (const line of lines) {
    out.set(line, offset);
    offset += line.length;
  }
  return out;
}

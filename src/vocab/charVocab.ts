import { checkBuildLimits, keepFrequent, rankByCount, requireText } from './frequency';
import { EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID } from './specialTokens';
import { allocateIds, type TokenIds } from './tokenIds';
import type { Vocabulary, VocabularyJSON } from './vocabulary';
import { readVocabularyTokens } from './vocabularyJSON';

/** What `<unk>` decodes to: U+FFFD, the Unicode replacement character, so lost characters stay visible. */
export const UNK_REPLACEMENT = '\uFFFD';

/** The saved form of a {@link CharVocab}. */
export interface CharVocabJSON extends VocabularyJSON {
  kind: 'char';
  version: 1;
}

/** Options of {@link CharVocab.build}. */
export interface CharVocabBuildOptions {
  /** Characters seen fewer times than this become `<unk>` (default 1: keep all). */
  minCount?: number;
  /** Largest vocabulary size, the 3 specials included (default: no limit); the rarest characters go first. */
  maxSize?: number;
}

const CHAR_KIND = 'char';
const CHAR_VERSION = 1;

/**
 * A character-level vocabulary over Unicode code points (an emoji or astral CJK character is one token,
 * never two UTF-16 halves). Ids: `<pad>` 0, `<eos>` 1, `<unk>` 2, then the characters by descending
 * count, ties by code point.
 *
 * Decoding: `<pad>` decodes to nothing, `<unk>` to {@link UNK_REPLACEMENT} (U+FFFD), `<eos>` to `'\n'`
 * (or ends decoding with `stopAtEos`). A corpus that contains `'\n'` itself keeps it as an ordinary
 * character, so decoded text may show line breaks from both.
 */
export class CharVocab implements Vocabulary {
  /** Tokens are single characters. */
  readonly unit = 'char';
  /** Number of tokens, specials included. */
  readonly size: number;
  /** All tokens in id order: the specials, then one character each. */
  readonly tokens: readonly string[];
  private readonly idByToken: Map<string, number>;
  private readonly idByCodePoint: Map<number, number>;

  private constructor(tokens: readonly string[]) {
    this.tokens = Object.freeze([...tokens]);
    this.size = tokens.length;
    this.idByToken = new Map(tokens.map((token, id) => [token, id]));
    this.idByCodePoint = new Map();
    for (let id = SPECIAL_TOKENS.length; id < tokens.length; id++) {
      this.idByCodePoint.set(tokens[id].codePointAt(0) as number, id);
    }
  }

  /**
   * Builds a vocabulary from texts (for example a corpus column). The result depends only on the
   * character counts, not on the order of the texts.
   */
  static build(texts: Iterable<string>, options: CharVocabBuildOptions = {}): CharVocab {
    const limits = checkBuildLimits(options, 'character');
    const ranked = rankByCount(countCodePoints(texts), (a, b) => a - b);
    const characters = keepFrequent(ranked, limits, 'character').map((codePoint) => String.fromCodePoint(codePoint));
    return new CharVocab([...SPECIAL_TOKENS, ...characters]);
  }

  /**
   * Restores a vocabulary saved with {@link CharVocab.toJSON}; throws an Error saying what is wrong if it is not one.
   */
  static fromJSON(json: unknown): CharVocab {
    const tokens = readVocabularyTokens(json, CHAR_KIND, CHAR_VERSION);
    for (let id = SPECIAL_TOKENS.length; id < tokens.length; id++) {
      const length = countCodePointsOf(tokens[id]);
      if (length !== 1) {
        throw new Error(
          `Token ${id} of a saved char vocabulary is ${JSON.stringify(tokens[id])} (${length} characters); a ` +
            'char vocabulary holds exactly one character per ' +
            'token. The file is damaged or is a word vocabulary.',
        );
      }
    }
    return new CharVocab(tokens);
  }

  /** Id of a token (a special or one character); `UNK_ID` when the vocabulary does not hold it. */
  idOf(token: string): number {
    return this.idByToken.get(token) ?? UNK_ID;
  }

  /** Token of an id; throws when the id is not in `0 .. size-1`. */
  tokenOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) {
      throw new Error(
        `Token id ${id} is outside this vocabulary (ids 0..${this.size - 1}). The ids probably come from a ` +
          'model trained with another vocabulary; load the vocabulary saved with that model.',
      );
    }
    return this.tokens[id];
  }

  /** Encodes a text into one id per code point; characters not in the vocabulary become `UNK_ID`. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(countCodePointsOf(requireText(text, 0)));
    this.encodeInto(text, ids, 0);
    return ids;
  }

  /**
   * Encodes documents into one flat array with `EOS_ID` after each document. The total length is
   * counted first and one array is filled, so memory is one integer per character.
   */
  encodeCorpus(texts: readonly string[]): Int32Array {
    return this.encodeCorpusWith(texts, (length) => new Int32Array(length));
  }

  /**
   * {@link CharVocab.encodeCorpus} into the smallest array that holds the ids: one byte per character for up to
   * 256 tokens (a 50 MB text takes 50 MB, not 200 MB), two bytes up to 65 536.
   */
  encodeCorpusCompact(texts: readonly string[]): TokenIds {
    return this.encodeCorpusWith(texts, (length) => allocateIds(this.size, length));
  }

  /** Counts the ids of all documents, allocates one array of that length and fills it. */
  private encodeCorpusWith<T extends TokenIds>(texts: readonly string[], allocate: (length: number) => T): T {
    let total = 0;
    texts.forEach((text, index) => {
      total += countCodePointsOf(requireText(text, index)) + 1;
    });
    const ids = allocate(total);
    let offset = 0;
    for (const text of texts) {
      offset = this.encodeInto(text, ids, offset);
      ids[offset++] = EOS_ID;
    }
    return ids;
  }

  /**
   * Decodes ids into text: `<pad>` gives nothing, `<unk>` gives U+FFFD, `<eos>` gives `'\n'`, or ends
   * decoding when `stopAtEos` is set. Throws on ids outside the vocabulary.
   */
  decode(ids: ArrayLike<number>, options: { stopAtEos?: boolean } = {}): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === EOS_ID) {
        if (options.stopAtEos) break;
        text += '\n';
      } else if (id === UNK_ID) {
        text += UNK_REPLACEMENT;
      } else if (id !== PAD_ID) {
        text += this.tokenOf(id);
      }
    }
    return text;
  }

  /** The text `id` adds after `previous` ids: `decode([id])`, as characters never change their neighbours. */
  decodeStep(_previous: ArrayLike<number>, id: number): string {
    return this.decode([id]);
  }

  /** The saved form `{ kind: 'char', version: 1, tokens }`; `JSON.stringify(vocab)` uses it. */
  toJSON(): CharVocabJSON {
    return { kind: CHAR_KIND, version: CHAR_VERSION, tokens: [...this.tokens] };
  }

  /** Writes the ids of `text` into `ids` from `offset` on and returns the offset after the last one. */
  private encodeInto(text: string, ids: TokenIds, offset: number): number {
    for (let i = 0; i < text.length;) {
      const codePoint = text.codePointAt(i) as number;
      ids[offset++] = this.idByCodePoint.get(codePoint) ?? UNK_ID;
      i += codePoint > 0xffff ? 2 : 1;
    }
    return offset;
  }
}

/** Number of code points in a text, counted as `for..of` does (a lone surrogate counts as one). */
function countCodePointsOf(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; count++) {
    i += (text.codePointAt(i) as number) > 0xffff ? 2 : 1;
  }
  return count;
}

/** How often each code point occurs in the texts. */
function countCodePoints(texts: Iterable<string>): Map<number, number> {
  const counts = new Map<number, number>();
  let index = 0;
  for (const text of texts) {
    for (const character of requireText(text, index++)) {
      const codePoint = character.codePointAt(0) as number;
      counts.set(codePoint, (counts.get(codePoint) ?? 0) + 1);
    }
  }
  return counts;
}

import { checkBuildLimits, keepFrequent, rankByCount, requireText } from './frequency';
import { EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID } from './specialTokens';
import { allocateIds, type TokenIds } from './tokenIds';
import type { Vocabulary, VocabularyJSON } from './vocabulary';
import { readVocabularyTokens } from './vocabularyJSON';
import { PARAGRAPH_BREAK, detokenizeWords, joinToken, tokenizeWords } from './wordTokenizer';

/** The saved form of a {@link WordVocab}. Counts are not saved. */
export interface WordVocabJSON extends VocabularyJSON {
  kind: 'word';
  version: 1;
  /** Whether texts are lower-cased before lookup. */
  lowercase: boolean;
}

/** Options of {@link WordVocab.build}. */
export interface WordVocabBuildOptions {
  /** Lower-case texts when building and encoding, so "The" and "the" share an id (default false). */
  lowercase?: boolean;
  /** Words seen fewer times than this become `<unk>` (default 1: keep all). */
  minCount?: number;
  /** Largest vocabulary size, the 3 specials included (default: no limit); the rarest words go first. */
  maxSize?: number;
}

const WORD_KIND = 'word';
const WORD_VERSION = 1;
/** What `<eos>` decodes to: one line break, which the detokenizer treats like a paragraph break. */
const EOS_TEXT = '\n';

/**
 * A word-level vocabulary over the tokens of {@link tokenizeWords}: words, punctuation marks, emoji and
 * the {@link PARAGRAPH_BREAK} token. Ids: `<pad>` 0, `<eos>` 1, `<unk>` 2, then the tokens by descending
 * count, ties in JavaScript string order.
 *
 * Decoding joins tokens with {@link detokenizeWords}: `<pad>` decodes to nothing, `<unk>` shows as
 * "<unk>", `<eos>` gives `'\n'` (or ends decoding with `stopAtEos`).
 */
export class WordVocab implements Vocabulary {
  /** Tokens are words and punctuation marks. */
  readonly unit = 'word';
  /** Number of tokens, specials included. */
  readonly size: number;
  /** All tokens in id order: the specials, then the words and punctuation marks. */
  readonly tokens: readonly string[];
  /** Whether texts are lower-cased before lookup (then every token is lower-case). */
  readonly lowercase: boolean;
  private readonly idByToken: Map<string, number>;
  private readonly tokenCounts: ReadonlyMap<string, number> | null;

  private constructor(tokens: readonly string[], lowercase: boolean, tokenCounts: ReadonlyMap<string, number> | null) {
    this.tokens = Object.freeze([...tokens]);
    this.size = tokens.length;
    this.lowercase = lowercase;
    this.idByToken = new Map(tokens.map((token, id) => [token, id]));
    this.tokenCounts = tokenCounts;
  }

  /**
   * Builds a vocabulary from texts (for example a corpus column): tokenizes each with
   * {@link tokenizeWords} and keeps the tokens seen at least `minCount` times, the most frequent first,
   * at most `maxSize` with the specials. The result depends only on the counts, not on the text order.
   */
  static build(texts: Iterable<string>, options: WordVocabBuildOptions = {}): WordVocab {
    const lowercase = options.lowercase ?? false;
    if (typeof lowercase !== 'boolean') {
      throw new Error(`lowercase must be true or false, got ${JSON.stringify(lowercase)}.`);
    }
    const limits = checkBuildLimits(options, 'word');
    const counts = new Map<string, number>();
    let index = 0;
    for (const text of texts) {
      for (const token of tokenizeWords(requireText(text, index++), { lowercase })) {
        counts.set(token, (counts.get(token) ?? 0) + 1);
      }
    }
    const ranked = rankByCount(counts, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const words = keepFrequent(ranked, limits, 'word');
    return new WordVocab([...SPECIAL_TOKENS, ...words], lowercase, new Map(ranked));
  }

  /**
   * Restores a vocabulary saved with {@link WordVocab.toJSON}; throws an Error saying what is wrong if it
   * is not one. Tokens, ids and the lowercase flag come back; counts do not (they are not saved).
   */
  static fromJSON(json: unknown): WordVocab {
    const tokens = readVocabularyTokens(json, WORD_KIND, WORD_VERSION);
    const lowercase = (json as Record<string, unknown>).lowercase;
    if (typeof lowercase !== 'boolean') {
      throw new Error(
        'The lowercase flag of a saved word vocabulary must be true or false, got ' +
          `${JSON.stringify(lowercase) ?? 'nothing'}. The file is damaged; save the vocabulary again.`,
      );
    }
    for (let id = SPECIAL_TOKENS.length; id < tokens.length; id++) {
      const token = tokens[id];
      if (token === '' || (token !== PARAGRAPH_BREAK && /\p{White_Space}/u.test(token))) {
        throw new Error(
          `Token ${id} of a saved word vocabulary is ${JSON.stringify(token)}; word tokens are not empty and ` +
            'hold no whitespace (except the paragraph break "\\n\\n"). ' +
            'The file is damaged; save the vocabulary again.',
        );
      }
      if (lowercase && token !== token.toLowerCase()) {
        throw new Error(
          `Token ${id} of a saved word vocabulary is ${JSON.stringify(token)}, not lower-case, but the ` +
            'vocabulary says lowercase: true. The file is damaged; save the vocabulary again.',
        );
      }
    }
    return new WordVocab(tokens, lowercase, null);
  }

  /**
   * How often each token occurred in the texts the vocabulary was built from, the specials excluded and
   * the tokens dropped by `minCount` / `maxSize` included, in id order (most frequent first) — for
   * frequency tables and coverage plots. Throws for a vocabulary restored with `fromJSON` (counts are
   * not saved).
   */
  counts(): ReadonlyMap<string, number> {
    if (this.tokenCounts === null) {
      throw new Error(
        'This word vocabulary was restored from JSON, which does not save token counts. Rebuild it with ' +
          'WordVocab.build(texts) to see the counts.',
      );
    }
    return this.tokenCounts;
  }

  /** Id of a token (lower-cased first when the vocabulary is); `UNK_ID` when the vocabulary does not hold it. */
  idOf(token: string): number {
    return this.idByToken.get(this.lowercase ? token.toLowerCase() : token) ?? UNK_ID;
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

  /** Encodes a text into one id per token of {@link tokenizeWords}; tokens not in the vocabulary become `UNK_ID`. */
  encode(text: string): Int32Array {
    return Int32Array.from(this.idsOf(requireText(text, 0)));
  }

  /** Encodes documents into one flat array with `EOS_ID` after each document. */
  encodeCorpus(texts: readonly string[]): Int32Array {
    const ids: number[] = [];
    texts.forEach((text, index) => {
      for (const id of this.idsOf(requireText(text, index))) ids.push(id);
      ids.push(EOS_ID);
    });
    return Int32Array.from(ids);
  }

  /**
   * The ids of {@link WordVocab.encodeCorpus} in the smallest array that holds them (two bytes per word up to 65
   * 536 tokens).
   */
  encodeCorpusCompact(texts: readonly string[]): TokenIds {
    const wide = this.encodeCorpus(texts);
    const ids = allocateIds(this.size, wide.length);
    ids.set(wide);
    return ids;
  }

  /**
   * Decodes ids into text with {@link detokenizeWords}: `<pad>` gives nothing, `<unk>` shows as "<unk>",
   * `<eos>` gives `'\n'`, or ends decoding when `stopAtEos` is set. Throws on ids outside the vocabulary.
   */
  decode(ids: ArrayLike<number>, options: { stopAtEos?: boolean } = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === EOS_ID && options.stopAtEos) break;
      tokens.push(this.textOf(ids[i]));
    }
    return detokenizeWords(tokens);
  }

  /**
   * The text token `id` adds after the `previous` ids (its leading space, if any, and the token), so a
   * sampler can print one token at a time: `decode(previous) + decodeStep(previous, id)` equals
   * `decode([...previous, id])`.
   */
  decodeStep(previous: ArrayLike<number>, id: number): string {
    const tokens = Array.from(previous, (previousId) => this.textOf(previousId));
    return joinToken(tokens, this.textOf(id));
  }

  /** The saved form `{ kind: 'word', version: 1, tokens, lowercase }`; `JSON.stringify(vocab)` uses it. */
  toJSON(): WordVocabJSON {
    return { kind: WORD_KIND, version: WORD_VERSION, tokens: [...this.tokens], lowercase: this.lowercase };
  }

  /** The ids of the tokens of a text. */
  private idsOf(text: string): number[] {
    return tokenizeWords(text, { lowercase: this.lowercase }).map((token) => this.idByToken.get(token) ?? UNK_ID);
  }

  /** The text of one id for the detokenizer: '' for `<pad>`, a line break for `<eos>`, else its token. */
  private textOf(id: number): string {
    if (id === PAD_ID) return '';
    return id === EOS_ID ? EOS_TEXT : this.tokenOf(id);
  }
}

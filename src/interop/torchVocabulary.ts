import { CharVocab, SPECIAL_TOKENS, type Vocabulary, vocabularyFromJSON, WordVocab } from '../vocab';

/** A PyTorch model's vocabulary as gennet's, and where each of its tokens went. */
export interface TorchVocabulary {
  vocab: Vocabulary;
  /** gennet's id of PyTorch's token t. */
  gennetIds: number[];
}

/** Whether `json` is a vocabulary gennet saved (an export's `vocab.json`): a kind, a version and the specials first. */
const isGennetVocabulary = ({ version, tokens }: Record<string, unknown>) =>
  version !== undefined && Array.isArray(tokens) && SPECIAL_TOKENS.every((s, id) => tokens[id] === s);

/**
 * The vocabulary of a PyTorch model's `vocab.json`: gennet's own saved form (an export's), or the tokens in id order —
 * a list (`json.dump(vocab.get_itos(), f)`) or `{"tokens": [...], "kind"?: "char" | "word"}`. Without a kind, single
 * characters (gennet's `<pad>`, `<eos>`, `<unk>` aside) make a character vocabulary and anything else a word
 * vocabulary, lower-cased when no token has a capital. gennet's specials come first; the model's own go to their ids.
 */
export function torchVocabulary(json: unknown, where: string): TorchVocabulary {
  const record =
    typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  if (record !== null && isGennetVocabulary(record)) {
    const vocab = vocabularyFromJSON(record);
    return { vocab, gennetIds: vocab.tokens.map((_, id) => id) };
  }
  const tokens = Array.isArray(json) ? (json as unknown[]) : record?.tokens;
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string'))
    throw new Error(
      `${where} must list the model's tokens in id order: a JSON array of strings ` +
        '(torchtext: json.dump(vocab.get_itos(), f)) or {"tokens": [...], "kind": "char" or "word"}.',
    );
  const seen = new Map<string, number>();
  tokens.forEach((token, id) => {
    if (seen.has(token))
      throw new Error(
        `${where} lists ${JSON.stringify(token)} twice (ids ${seen.get(token)} and ${id}); fix the list.`,
      );
    seen.set(token, id);
  });
  const own = tokens.filter((t) => !SPECIAL_TOKENS.includes(t));
  const kind = record?.kind ?? (own.every((t) => [...t].length === 1) ? 'char' : 'word');
  if (kind !== 'char' && kind !== 'word')
    throw new Error(`${where}: "kind" must be "char" or "word", not ${JSON.stringify(kind)}.`);
  const saved = { kind, version: 1, tokens: [...SPECIAL_TOKENS, ...own] };
  let vocab: Vocabulary;
  try {
    vocab =
      kind === 'char'
        ? CharVocab.fromJSON(saved)
        : WordVocab.fromJSON({ ...saved, lowercase: own.every((t) => t === t.toLowerCase()) });
  } catch (error) {
    throw new Error(
      `${where} cannot be a ${kind} vocabulary of gennet: ${(error as Error).message.replace(/ The file is.*$/u, '')} ` +
        'Give "kind" in vocab.json, or leave out tokens gennet cannot read.',
    );
  }
  return { vocab, gennetIds: tokens.map((t) => vocab.tokens.indexOf(t)) };
}

import { CharVocab } from './charVocab';
import type { Vocabulary } from './vocabulary';
import { WordVocab } from './wordVocab';

/** Rebuilds a vocabulary from its saved JSON (`vocab.json`), whatever its kind (`char` or `word`). */
export function vocabularyFromJSON(json: unknown): Vocabulary {
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (kind === 'char') return CharVocab.fromJSON(json);
  if (kind === 'word') return WordVocab.fromJSON(json);
  throw new Error(`Unknown vocabulary kind ${JSON.stringify(kind)}; this model needs a newer generative-networks.`);
}

import { UNK_ID } from './specialTokens';
import type { Vocabulary } from './vocabulary';
import { tokenizeWords } from './wordTokenizer';

/**
 * The distinct tokens of `text` (characters or words, by the vocabulary's unit) that the vocabulary does not hold
 * and would encode as `<unk>`, in order of first appearance — e.g. to warn about a prompt the model cannot read.
 */
export function unknownTokens(vocab: Vocabulary, text: string): string[] {
  const units = vocab.unit === 'char' ? Array.from(text) : tokenizeWords(text);
  return [...new Set(units.filter((unit) => vocab.idOf(unit) === UNK_ID))];
}

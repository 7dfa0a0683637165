import { unknownTokens, Vocabulary } from '../vocab';
import { listSome, quoted } from '../messages';

/**
 * Checks prompts for tokens the model never saw, which it reads as `<unk>`: each such prompt gets a warning through
 * `warn` naming them, or with `strict` an error.
 */
export function checkPrompts(
  vocab: Vocabulary,
  prompts: readonly string[],
  strict: boolean,
  warn: (line: string) => void,
): void {
  for (const prompt of prompts) {
    const unknown = unknownTokens(vocab, prompt);
    if (unknown.length === 0) continue;
    const what =
      `The prompt ${quoted(prompt, 60)} contains ${vocab.unit === 'char' ? 'characters' : 'words'} the ` +
      `model never saw: ${listSome(unknown, quoted)}`;
    if (strict)
      throw new Error(`${what}. Remove or replace them, or turn strict off (drop --strict) to let them become <unk>.`);
    warn(`warning: ${what}; they become <unk>.`);
  }
}

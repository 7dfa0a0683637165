import { SPECIAL_TOKENS } from './specialTokens';

/**
 * Checks the parts of a saved vocabulary that every vocabulary kind shares (kind tag, version, token
 * list of distinct strings starting with the specials) and returns its tokens.
 * Throws an Error saying what is wrong otherwise.
 */
export function readVocabularyTokens(json: unknown, kind: string, version: number): string[] {
  const what = `a saved ${kind} vocabulary`;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(
      `Expected ${what} (an object with kind, version and tokens), got ` +
        `${describe(json)}. Pass the parsed vocab.json saved with the model.`,
    );
  }
  const record = json as Record<string, unknown>;
  if (record.kind !== kind) {
    throw new Error(
      `Expected ${what} (kind '${kind}'), got kind ${describe(record.kind)}. ` +
        'Load it with the vocabulary class of that kind.',
    );
  }
  if (record.version !== version) {
    throw new Error(
      `Unsupported ${kind} vocabulary version ${describe(record.version)}; this library reads version ` +
        `${version}. Rebuild the vocabulary or use the library version that saved it.`,
    );
  }
  const tokens = record.tokens;
  if (!Array.isArray(tokens)) {
    throw new Error(
      `The tokens of ${what} must be an array of strings, got ${describe(tokens)}. ` +
        'The file is damaged; save the vocabulary again.',
    );
  }
  const seen = new Map<string, number>();
  tokens.forEach((token: unknown, id: number) => {
    if (typeof token !== 'string') {
      throw new Error(
        `Token ${id} of ${what} must be a string, got ${describe(token)}. ` +
          'The file is damaged; save the vocabulary again.',
      );
    }
    const first = seen.get(token);
    if (first !== undefined) {
      throw new Error(
        `Token ${JSON.stringify(token)} appears twice in ${what} (ids ${first} and ${id}). The file is ` +
          'damaged; save the vocabulary again.',
      );
    }
    seen.set(token, id);
  });
  SPECIAL_TOKENS.forEach((special, id) => {
    if (tokens[id] !== special) {
      throw new Error(
        `Id ${id} of ${what} must be the special token ${special}, got ${describe(tokens[id])}. The file is ` +
          'damaged or from another tool; rebuild the vocabulary.',
      );
    }
  });
  return tokens as string[];
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value; // a bigint, a symbol or a function: no JSON value
}

import type { NetworkConfig } from './family';

/**
 * Checks a family's settings and completes them: `given` ones for a vocabulary of `vocabSize`, the missing ones from
 * `defaults`; `where` ends its refusals (`" (in DIR/config.json)"` or nothing).
 */
export type SettingsCheck<C extends NetworkConfig, D> = (
  given: Readonly<Record<string, unknown>>,
  vocabSize: number,
  where: string,
  defaults: Partial<D>,
) => C;

/**
 * A family's `resolveConfig` (a new model's settings, defaults filling what is not given) and `readConfig` (the
 * settings `config.json` records, the vocabulary size among them and none defaulted) from its one check of settings.
 */
export function settingsReaders<C extends NetworkConfig, D>(
  check: SettingsCheck<C, D>,
  defaults: D,
): {
  resolveConfig: (given: Readonly<Record<string, unknown>>, vocab: { size: number }) => C;
  readConfig: (record: unknown, where: string) => C;
} {
  return {
    resolveConfig: (given, vocab) => check(given, vocab.size, '', defaults),
    readConfig(record, where) {
      const saved = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>;
      const { vocabSize, family: _family, ...settings } = saved;
      return check(settings, Number(vocabSize), ` (in ${where})`, {});
    },
  };
}

import { createHash } from 'node:crypto';
import { Corpus, CorpusFormat, type CorpusOptions, describeCorpus, loadCorpus, SplitMode } from '../corpus';
import type { VocabularyUnit } from '../vocab';
import { DataMode, prepareCharData, prepareWordData, TokenData } from './prepare';
import { prepareSourceData, type SourceData } from './sourceData';
import { printable } from '../messages';

/**
 * Everything that turns a corpus into training examples: which text (corpus, columns, cutting, limit, repair), which
 * tokens (level, case, rare-token limits) and which examples (mode, length, validation share, split seed). Saved with
 * a run, so that resuming prepares exactly the same data.
 */
export interface DataSettings {
  /** Built-in corpus name or file path (a saved run records the resolved source, e.g. `builtin:sotu`). */
  corpus: string;
  /** File format of a corpus file; null: from its extension. */
  format: CorpusFormat | null;
  /** Text columns of a table corpus; null for the default column. */
  columns: string[] | null;
  /** Condition columns of a conditional model (`party`, `year:decade`); null for a plain language model. */
  conditions: string[] | null;
  /** A sequence-to-sequence model: the column of each pair's source (`columns` holds the target); null otherwise. */
  sourceColumn: string | null;
  /** Tokens of the sources: characters or words (the targets' is `level`). */
  sourceLevel: VocabularyUnit;
  split: SplitMode;
  /** Only the first N documents; null for all. */
  limit: number | null;
  repairMojibake: boolean;
  level: VocabularyUnit;
  lowercase: boolean;
  minCount: number;
  /** Largest vocabulary (specials included); null for no limit. */
  maxVocab: number | null;
  mode: DataMode;
  /** Tokens per training window (or longest line). */
  seqLen: number;
  valFraction: number;
  /** Seed of the line split. */
  seed: number;
}

/** Defaults of the lesson: characters, windows of 100, a tenth held out. */
export const DEFAULT_DATA_SETTINGS: Omit<DataSettings, 'corpus'> = {
  format: null,
  columns: null,
  conditions: null,
  sourceColumn: null,
  sourceLevel: 'char',
  split: 'none',
  limit: null,
  repairMojibake: false,
  level: 'char',
  lowercase: false,
  minCount: 1,
  maxVocab: null,
  mode: 'windows',
  seqLen: 100,
  valFraction: 0.1,
  seed: 42,
};

/** A corpus and the examples prepared from it, with the settings as they resolved (corpus source, columns). */
export interface CorpusData {
  corpus: Corpus;
  data: TokenData;
  settings: DataSettings;
  /** SHA-256 of the corpus text (its documents in order): a resumed run checks it is training on the same text. */
  corpusSha256: string;
  /** A sequence-to-sequence corpus's sources, ready for the encoder; null otherwise. */
  source: SourceData | null;
}

/** SHA-256 of a corpus's documents, in order (a reordered corpus hashes differently), with their sources if any. */
function corpusDigest(texts: readonly string[], sources: readonly string[] | null): string {
  const hash = createHash('sha256');
  texts.forEach((text, d) => {
    if (sources !== null) hash.update(sources[d]).update('\u0001');
    hash.update(text).update('\u0000');
  });
  return hash.digest('hex');
}

/**
 * Loads the corpus that `settings` names and prepares its vocabulary and examples; `log` hears what was loaded and
 * any warning about the text (invalid UTF-8, mojibake). `scoring.referencesColumn` also reads each pair's other right
 * targets (into `corpus.references`; they are not trained on).
 */
export async function prepareCorpusData(
  settings: DataSettings,
  log: (line: string) => void = () => {},
  scoring: Pick<CorpusOptions, 'referencesColumn'> = {},
): Promise<CorpusData> {
  if (settings.sourceColumn !== null && settings.conditions !== null) {
    throw new Error('A model is either conditional (--condition) or sequence-to-sequence (--source-column), not both.');
  }
  if (settings.sourceColumn !== null && settings.mode !== 'lines') {
    throw new Error('A sequence-to-sequence run reads one pair per example: use the mode lines (--mode lines).');
  }
  const corpus = await loadCorpus(settings.corpus, {
    format: settings.format ?? undefined,
    column: settings.columns ?? undefined,
    conditions: settings.conditions ?? undefined,
    sourceColumn: settings.sourceColumn ?? undefined,
    split: settings.split,
    limit: settings.limit ?? undefined,
    repairMojibake: settings.repairMojibake,
    referencesColumn: scoring.referencesColumn,
  });
  const stats = describeCorpus(corpus);
  log(
    `corpus: ${corpus.name} (${stats.documents} documents, ${stats.characters} ` +
      `characters, column ${corpus.columns.map((column) => printable(column, 'inline')).join('+')})`,
  );
  for (const warning of corpus.warnings) log(`corpus: warning: ${warning}`);
  const options = {
    mode: settings.mode,
    seqLen: settings.seqLen,
    valFraction: settings.valFraction,
    seed: settings.seed,
    minCount: settings.minCount,
    maxVocab: settings.maxVocab ?? undefined,
  };
  const data: TokenData =
    settings.level === 'word'
      ? prepareWordData(corpus.texts, { ...options, lowercase: settings.lowercase })
      : prepareCharData(corpus.texts, options);
  const source =
    corpus.sources === null
      ? null
      : prepareSourceData(corpus.sources, {
          level: settings.sourceLevel,
          minCount: settings.minCount,
          maxVocab: settings.maxVocab ?? undefined,
          lowercase: settings.lowercase,
        });
  return {
    corpus,
    data,
    source,
    settings: { ...settings, corpus: corpus.source, columns: corpus.columns },
    corpusSha256: corpusDigest(corpus.texts, corpus.sources),
  };
}

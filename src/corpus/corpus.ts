import type { DataFrame } from 'danfojs-node';
import type { DocumentConditions } from './conditions';

/** A loaded corpus: the table for inspection and the documents for training. */
export interface Corpus {
  /** Built-in name or file base name (without extension). */
  name: string;
  /** Absolute file path, or `builtin:<name>`. */
  source: string;
  /**
   * The table as loaded (all columns; for text files one `text` row per document), for inspection in notebooks.
   * {@link loadCorpus} builds it on first read, so code that only trains never loads danfojs.
   */
  readonly frame: DataFrame;
  /** The text column(s) used. */
  columns: string[];
  /** One string per document: cleaned, split, empty ones dropped, limited. */
  texts: string[];
  /** Each document's condition values when conditions were asked for, else null. */
  conditions: DocumentConditions | null;
  /** A sequence-to-sequence corpus: each document's source text (the document's text is its target), else null. */
  sources: string[] | null;
  /** Each document's other right targets when a references column was asked for (scoring only), else null. */
  references: string[][] | null;
  /** What was wrong with the file's bytes (invalid UTF-8, mojibake): one line each, for the user to see. */
  warnings: string[];
}

/** Size figures of a corpus; characters are Unicode code points. */
export interface CorpusStats {
  documents: number;
  characters: number;
  distinctCharacters: number;
  meanLength: number;
}

/** Counts documents, characters (code points), distinct characters and mean document length. */
export function describeCorpus(corpus: Corpus): CorpusStats {
  const distinct = new Set<string>();
  let characters = 0;
  for (const text of corpus.texts) {
    for (const char of text) {
      distinct.add(char);
      characters++;
    }
  }
  const documents = corpus.texts.length;
  return {
    documents,
    characters,
    distinctCharacters: distinct.size,
    meanLength: documents === 0 ? 0 : characters / documents,
  };
}

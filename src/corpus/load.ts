import * as path from 'node:path';
import { fetchAgNews, type FetchAgNewsOptions } from './agNewsDownload';
import { cleanAgNewsText } from './agNewsText';
import { builtinCorpora, findBuiltin } from './builtins';
import type { DataFrame } from 'danfojs-node';
import { documentConditions } from './conditions';
import { documentReferences, documentSources } from './sourceColumn';
import type { Corpus } from './corpus';
import { parseCsv, type CsvOptions } from './csv';
import { resolveFormat, type CorpusFormat } from './formats';
import { parseJsonArray, parseJsonLines } from './json';
import { SPLIT_MODES, splitText, type SplitMode } from './documentSplit';
import { tableToFrame, type Table } from './table';
import { cellText, chooseTextColumns, joinFields } from './textColumns';
import { normaliseNewlines, readTextFile } from './textFile';
import { listSome } from '../messages';

/** How a built-in corpus's `source` starts (`builtin:sotu`); {@link loadCorpus} accepts a source in either form. */
const BUILTIN_PREFIX = 'builtin:';

/** Options for {@link loadCorpus}. */
export interface CorpusOptions extends CsvOptions {
  /** File format; default from the extension (.csv, .json, .jsonl/.ndjson, .txt/.text/.md). */
  format?: CorpusFormat;
  /**
   * Text column, or several joined as `"<a>. <b>"`; default `text`, else `title` for AG News, else the only
   * string column.
   */
  column?: string | string[];
  /** Cut documents further: `'none'` (default), `'line'`, `'paragraph'` or `'sentence'`. */
  split?: SplitMode;
  /** Keep only the first N documents (after splitting). */
  limit?: number;
  /** For the built-in `ag_news`: which file (train/test), cache folder, download address. */
  agNews?: FetchAgNewsOptions;
  /** Replace mojibake (UTF-8 text once read as Windows-1252 or Mac Roman, e.g. `â€™`) by what it meant. */
  repairMojibake?: boolean;
  /** Condition columns to read for each document (`party`, `year:decade`; see {@link documentConditions}). */
  conditions?: string[];
  /** A sequence-to-sequence corpus: the column of each document's source (its text columns hold the target). */
  sourceColumn?: string;
  /** With `sourceColumn`: a column of other right targets for each pair, separated by `|` (for scoring only). */
  referencesColumn?: string;
}

/** A table read from a source, before the text is taken out of it. */
interface LoadedTable {
  name: string;
  source: string;
  table: Table;
  format: CorpusFormat;
  agNews: boolean;
  /** What was wrong with the file's bytes. */
  warnings: string[];
}

/** Reads a built-in corpus into a table. */
async function loadBuiltinTable(name: string, options: CorpusOptions): Promise<LoadedTable> {
  const source = `${BUILTIN_PREFIX}${name}`;
  if (name === 'ag_news') {
    const file = await fetchAgNews(options.agNews);
    const { text, warnings } = await readTextFile(file, 'or delete it to download it again', options);
    const { table } = parseCsv(text, file, { layout: 'agnews' });
    return { name, source, table, format: 'csv', agNews: true, warnings };
  }
  const table = await findBuiltin(name)!.loadTable!();
  return { name, source, table, format: 'json', agNews: false, warnings: [] };
}

/** Reads a corpus file into a table according to its format. */
async function loadFileTable(file: string, options: CorpusOptions): Promise<LoadedTable> {
  const names = builtinCorpora()
    .map((info) => info.name)
    .join(', ');
  const { text, warnings } = await readTextFile(file, `or use a built-in corpus name (${names})`, options);
  const format = resolveFormat(file, options.format);
  const base = { name: path.basename(file, path.extname(file)), source: path.resolve(file), format, warnings };
  if (format === 'csv') return { ...base, ...parseCsv(text, file, options) };
  const table =
    format === 'json'
      ? parseJsonArray(text, file)
      : format === 'jsonl'
        ? parseJsonLines(text, file)
        : { columns: ['text'], rows: [[text]] };
  return { ...base, table, agNews: false };
}

/** Checks `split`, `limit` and the columns of pairs, returning `split` and `limit` with defaults. */
function checkOptions(options: CorpusOptions): { split: SplitMode; limit: number } {
  const split = options.split ?? 'none';
  if (!SPLIT_MODES.includes(split)) {
    throw new Error(`Unknown split '${String(split)}'. Use one of: ${SPLIT_MODES.join(', ')}.`);
  }
  if (options.sourceColumn !== undefined && split !== 'none') {
    throw new Error(`A sequence-to-sequence corpus keeps each row one pair; drop the split '${split}'.`);
  }
  if (options.referencesColumn !== undefined && options.sourceColumn === undefined) {
    throw new Error('A references column holds other right targets of pairs; name the source column of the pairs too.');
  }
  const limit = options.limit ?? Infinity;
  if (limit !== Infinity && !(Number.isInteger(limit) && limit > 0)) {
    throw new Error(
      `limit must be a positive whole number of documents, got ${limit}. Leave it out to keep every document.`,
    );
  }
  return { split, limit };
}

/**
 * Documents of a table: the text columns cleaned and joined per row, then split; stops after `limit` documents.
 * `rowOfDocument[d]` is the row document d came from.
 */
function collectDocuments(
  table: Table,
  columns: string[],
  clean: (text: string) => string,
  split: SplitMode,
  limit: number,
): { texts: string[]; rowOfDocument: number[]; rowsUsed: number } {
  const indices = columns.map((column) => table.columns.indexOf(column));
  const texts: string[] = [];
  const rowOfDocument: number[] = [];
  let rowsUsed = 0;
  for (const row of table.rows) {
    if (texts.length >= limit) break;
    rowsUsed++;
    const text = joinFields(indices.map((i) => clean(cellText(row[i]))));
    for (const document of splitText(text, split).slice(0, limit - texts.length)) {
      texts.push(document);
      rowOfDocument.push(rowsUsed - 1);
    }
  }
  return { texts, rowOfDocument, rowsUsed };
}

/**
 * Loads a corpus from a built-in name (`sotu`, `moby-dick`, `cmudict`, `ag_news`) or a file (.csv, .json, .jsonl, .txt,
 * .md) into a danfojs DataFrame plus one cleaned string per document. With `limit`, the frame keeps only the rows the
 * documents came from. The frame is built when it is first read.
 *
 * @example
 * const corpus = await loadCorpus('moby-dick', { split: 'paragraph', limit: 500 });
 * corpus.frame.head().print();
 */
export async function loadCorpus(source: string, options: CorpusOptions = {}): Promise<Corpus> {
  const { split, limit } = checkOptions(options);
  const builtin = source.startsWith(BUILTIN_PREFIX) ? source.slice(BUILTIN_PREFIX.length) : source;
  const loaded = findBuiltin(builtin) ? await loadBuiltinTable(builtin, options) : await loadFileTable(source, options);
  const { table } = loaded;
  if (table.rows.length === 0) {
    throw new Error(
      `Corpus ${loaded.source} is empty (no rows). Check the file, or use a built-in corpus such as moby-dick.`,
    );
  }
  const columns = chooseTextColumns(
    table,
    options.column,
    loaded.agNews ? 'title' : findBuiltin(builtin)?.defaultColumn,
  );
  const clean = loaded.agNews ? cleanAgNewsText : normaliseNewlines;
  const { texts, rowOfDocument, rowsUsed } = collectDocuments(table, columns, clean, split, limit);
  if (texts.length === 0) {
    throw new Error(
      `Corpus ${loaded.source} has no text in column ${columns.join(' + ')}. ` +
        `Check the file, or pick another column (available: ${listSome(table.columns)}).`,
    );
  }
  const frameTable: Table =
    loaded.format === 'txt'
      ? { columns: ['text'], rows: texts.map((text) => [text]) }
      : { ...table, rows: table.rows.slice(0, rowsUsed) };
  let frame: DataFrame | undefined;
  return {
    name: loaded.name,
    source: loaded.source,
    // Built on first use: loading danfojs takes about half a second and 90 MB, which training never needs.
    get frame() {
      return (frame ??= tableToFrame(frameTable));
    },
    columns,
    texts,
    conditions:
      options.conditions === undefined || options.conditions.length === 0
        ? null
        : documentConditions(table, options.conditions, rowOfDocument),
    sources:
      options.sourceColumn === undefined ? null : documentSources(table, options.sourceColumn, rowOfDocument, clean),
    references:
      options.referencesColumn === undefined
        ? null
        : documentReferences(table, options.referencesColumn, rowOfDocument, clean),
    warnings: loaded.warnings,
  };
}

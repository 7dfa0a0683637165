import { AG_NEWS_COLUMNS, looksLikeAgNews } from './agNewsLayout';
import type { Table } from './table';

/** The part of papaparse's API used here (it ships without types; danfojs-node depends on it). */
interface PapaParse {
  parse(input: string, config: { header: false; skipEmptyLines: true; step: (result: PapaStep) => void }): void;
}

/** One row as papaparse's step callback reports it. */
interface PapaStep {
  data: string[];
  errors: { code: string; message: string; index?: number }[];
  meta: { cursor: number };
}

/** How the rows of a CSV file are laid out. */
export type CsvLayout = 'auto' | 'agnews' | 'plain';

/** Options for reading a CSV corpus. */
export interface CsvOptions {
  /** Whether the first row names the columns (default true, unless the AG News layout is detected). */
  header?: boolean;
  /** Column names for a file without header row (default `col0, col1, ...`). */
  names?: string[];
  /** `'agnews'` forces the AG News layout, `'plain'` disables its detection; default `'auto'`. */
  layout?: CsvLayout;
}

/** A parsed CSV file and whether it is in the AG News layout. */
export interface ParsedCsv {
  table: Table;
  agNews: boolean;
}

/** Line number (1-based) of a character offset in the text. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Splits CSV text into rows of string fields, remembering where each row starts; broken quoting throws. */
function parseRows(text: string, file: string): { rows: string[][]; starts: number[] } {
  const papa = require('papaparse') as PapaParse;
  const rows: string[][] = [];
  const starts: number[] = [];
  let start = 0;
  papa.parse(text, {
    header: false,
    skipEmptyLines: true,
    step: (result) => {
      // a file of one column has no delimiter to detect: papaparse says so, then reads it with ',' as it should
      const error = result.errors.find((e) => e.code !== 'UndetectableDelimiter');
      if (error !== undefined) {
        const where = error.index === undefined ? `row ${rows.length + 1}` : `line ${lineAt(text, error.index)}`;
        throw new Error(
          `CSV file ${file} is malformed at ${where}: ${error.message}. ` +
            'Check the quotes there (a quote inside a quoted field must be doubled: "").',
        );
      }
      while (text[start] === '\n') start++; // skipped blank lines belong to no row
      rows.push(result.data);
      starts.push(start);
      start = result.meta.cursor;
    },
  });
  return { rows, starts };
}

/** Gives the column names: from `names`, from the header row, or `col0, col1, ...`. */
function columnNames(header: string[] | undefined, width: number, names: string[] | undefined, file: string): string[] {
  if (names !== undefined) {
    if (names.length !== width) {
      throw new Error(
        `CSV file ${file} has ${width} columns but ${names.length} names ` +
          `were given (${names.join(', ')}). Pass exactly ${width} names.`,
      );
    }
    return names;
  }
  const columns =
    header?.map((name, i) => name.trim() || `col${i}`) ?? Array.from({ length: width }, (_, i) => `col${i}`);
  const duplicate = columns.find((name, i) => columns.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new Error(
      `CSV file ${file} has the column name '${duplicate}' twice in ` +
        'its header. Rename one, or pass header: false with names: [...].',
    );
  }
  return columns;
}

/**
 * Parses CSV text (with papaparse) into a table. Detects the AG News layout (no header, three columns,
 * class index 1–4 first) unless `header` or `names` is given or `layout` says otherwise.
 * Every row must have as many fields as the first; a row that does not throws an error naming its line.
 */
export function parseCsv(text: string, file: string, options: CsvOptions = {}): ParsedCsv {
  const { rows, starts } = parseRows(text, file);
  const layout = options.layout ?? 'auto';
  const detectable = layout === 'auto' && options.header === undefined && options.names === undefined;
  const agNews = layout === 'agnews' || (detectable && looksLikeAgNews(rows));
  const hasHeader = !agNews && (options.header ?? true);
  const header = hasHeader ? rows[0] : undefined;
  const width = rows[0]?.length ?? 0;
  const columns = agNews ? [...AG_NEWS_COLUMNS] : columnNames(header, width, options.names, file);
  const first = hasHeader ? 1 : 0;
  for (let r = first; r < rows.length; r++) {
    if (rows[r].length !== columns.length) {
      throw new Error(
        `CSV file ${file} has ${rows[r].length} fields on line ${lineAt(text, starts[r])} but ` +
          `${columns.length} columns ` +
          `(${columns.join(', ')}). Fix that row (quote fields that contain commas).`,
      );
    }
  }
  return { table: { columns, rows: rows.slice(first) }, agNews };
}

import type { DataFrame } from 'danfojs-node';
import { loadDanfo } from './danfo';

/** One cell of a loaded table, as it came from the file (CSV cells are always strings). */
export type Cell = string | number | boolean | null;

/** A loaded table before it becomes a DataFrame: column names and rows of cells in that order. */
export interface Table {
  columns: string[];
  rows: Cell[][];
}

/** What a column holds, decided from all its non-empty cells. */
export type ColumnKind = 'int' | 'float' | 'boolean' | 'string';

const NUMERIC_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Reads a cell as a number if it is one or is written as one (CSV), else returns undefined. */
function asNumber(cell: Cell): number | undefined {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'string' && NUMERIC_TEXT.test(cell)) return Number(cell);
  return undefined;
}

/** Decides the kind of every column: numbers (also numeric CSV text), booleans, or strings. */
export function inferColumnKinds(table: Table): ColumnKind[] {
  return table.columns.map((_, c) => {
    const cells = table.rows.map((row) => row[c]).filter((cell) => cell !== null && cell !== '');
    if (cells.length === 0) return 'string';
    if (cells.every((cell) => typeof cell === 'boolean')) return 'boolean';
    const numbers = cells.map(asNumber);
    if (numbers.every((n) => n !== undefined)) return numbers.every((n) => Number.isInteger(n)) ? 'int' : 'float';
    return 'string';
  });
}

const DTYPE: Record<ColumnKind, string> = { int: 'int32', float: 'float32', boolean: 'boolean', string: 'string' };

/** Converts a cell to the column's kind; empty cells of non-string columns become null. */
function convertCell(cell: Cell, kind: ColumnKind): Cell {
  if (cell === null) return null;
  if (kind === 'string') return String(cell);
  if (kind === 'boolean') return cell;
  return cell === '' ? null : (asNumber(cell) ?? null);
}

/** Builds a danfojs DataFrame from a table, with explicit dtypes (numbers, booleans, strings). */
export function tableToFrame(table: Table): DataFrame {
  const kinds = inferColumnKinds(table);
  const rows = table.rows.map((row) => row.map((cell, c) => convertCell(cell, kinds[c])));
  const { DataFrame: Frame } = loadDanfo();
  return new Frame(rows, { columns: table.columns, dtypes: kinds.map((k) => DTYPE[k]) });
}

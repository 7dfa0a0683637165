import type { Cell, Table } from './table';

/** Keeps JSON scalars as they are and writes nested arrays/objects as JSON text. */
function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * Builds a table from records: columns in order of first appearance, missing fields as null. Values nested deeper
 * than JSON.stringify can follow are refused by name (`file`) instead of overflowing the stack.
 */
function recordsToTable(records: Record<string, unknown>[], file: string): Table {
  const columns = [...new Set(records.flatMap((record) => Object.keys(record)))];
  try {
    return { columns, rows: records.map((record) => columns.map((column) => toCell(record[column]))) };
  } catch (error) {
    if (!(error instanceof RangeError && /call stack/i.test(error.message))) throw error;
    throw new Error(
      `JSON file ${file} nests its values too deeply to read; give each document's text as a string, e.g. ` +
        '{"text": "..."}.',
    );
  }
}

/** Checks that a parsed JSON value is a plain object; `where` names it in the error. */
function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    throw new Error(`${where} is ${kind}, expected an object such as {"text": "..."}. Give one object per document.`);
  }
  return value as Record<string, unknown>;
}

/** Parses a JSON file holding an array of objects (one per document) into a table. */
export function parseJsonArray(text: string, file: string): Table {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `JSON file ${file} is not valid JSON (${(error as Error).message}). ` +
        'Fix the file, or use .jsonl for one object per line.',
    );
  }
  if (!Array.isArray(data)) {
    throw new Error(
      `JSON file ${file} must hold an array of objects like [{"text": "..."}, ...]; it holds ` +
        `${typeof data === 'object' ? 'an object' : `a ${typeof data}`}.`,
    );
  }
  return recordsToTable(
    data.map((item, i) => asRecord(item, `Item ${i} of JSON file ${file}`)),
    file,
  );
}

/** Parses a JSON-lines file (one object per non-empty line) into a table; a bad line throws naming its number. */
export function parseJsonLines(text: string, file: string): Table {
  const records: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(
        `JSON-lines file ${file} has invalid JSON on line ${i + 1} (${(error as Error).message}). Fix that line.`,
      );
    }
    records.push(asRecord(value, `Line ${i + 1} of JSON-lines file ${file}`));
  });
  return recordsToTable(records, file);
}

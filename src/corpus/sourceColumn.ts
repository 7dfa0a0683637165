import type { Table } from './table';
import { listSome, quoted } from '../messages';

/**
 * The source text of each document of a sequence-to-sequence corpus (its target is the document's text):
 * `rowOfDocument[d]` is the table row document d came from. Throws naming a missing column (with the available ones)
 * or an empty cell.
 */
export function documentSources(
  table: Table,
  column: string,
  rowOfDocument: readonly number[],
  clean: (text: string) => string,
): string[] {
  const index = table.columns.indexOf(column);
  if (index < 0)
    throw new Error(`Source column ${quoted(column)} is not in the corpus (columns: ${listSome(table.columns)}).`);
  return rowOfDocument.map((row) => {
    const cell = table.rows[row][index];
    const text = cell === null ? '' : clean(String(cell)).trim();
    if (text === '')
      throw new Error(
        `Source column "${column}" is empty in row ${row + 1}; ` +
          'every pair needs a source — fill it in or remove the row.',
      );
    return text;
  });
}

/** How a references cell joins several right targets (`gennet evaluate --references`); split at `|`. */
export const REFERENCE_SEPARATOR = ' | ';

/**
 * Other right targets of each document of a sequence-to-sequence corpus, read from a references column: the cell split
 * at `|` (so a reference cannot hold one), each trimmed, empty ones dropped (an empty cell: none). Throws naming a
 * missing column.
 */
export function documentReferences(
  table: Table,
  column: string,
  rowOfDocument: readonly number[],
  clean: (text: string) => string,
): string[][] {
  const index = table.columns.indexOf(column);
  if (index < 0)
    throw new Error(`References column ${quoted(column)} is not in the corpus (columns: ${listSome(table.columns)}).`);
  return rowOfDocument.map((row) => {
    const cell = table.rows[row][index];
    return cell === null
      ? []
      : clean(String(cell))
          .split('|')
          .map((reference) => reference.trim())
          .filter((reference) => reference !== '');
  });
}

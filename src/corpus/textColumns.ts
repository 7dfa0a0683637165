import { inferColumnKinds, type Cell, type Table } from './table';
import { listSome, printable } from '../messages';

/** How to name the text column, for the CLI and the library alike. */
const CHOOSE_COLUMN = "Name it with --column NAME (several: --column A B, joined; the library's `column` option)";

/**
 * Chooses the text column(s) of a table: the requested ones (each must exist), else `text` if present,
 * else `fallback` (e.g. `title` for AG News) if present, else the only string column.
 */
export function chooseTextColumns(table: Table, requested: string | string[] | undefined, fallback?: string): string[] {
  const available = listSome(table.columns);
  if (requested !== undefined) {
    const wanted = typeof requested === 'string' ? [requested] : requested;
    if (wanted.length === 0)
      throw new Error(`No text column given. ${CHOOSE_COLUMN}; available columns: ${available}.`);
    const unknown = wanted.filter((name) => !table.columns.includes(name));
    if (unknown.length > 0) {
      throw new Error(
        `Unknown column ${listSome(unknown, (name) => `'${printable(name, 'inline')}'`)}. ` +
          `Available columns: ${available}.`,
      );
    }
    return wanted;
  }
  for (const name of ['text', fallback]) {
    if (name !== undefined && table.columns.includes(name)) return [name];
  }
  const kinds = inferColumnKinds(table);
  const strings = table.columns.filter((_, c) => kinds[c] === 'string');
  if (strings.length === 1) return strings;
  throw new Error(
    `Cannot tell which column holds the text (there is no 'text' column and ${strings.length} string columns). ` +
      `${CHOOSE_COLUMN}; available columns: ${available}.`,
  );
}

/**
 * True when the text ends a sentence or clause (`.`, `!`, `?`, `…`, `:`, `;`, `,`, also before closing quotes
 * or brackets).
 */
function endsInPunctuation(text: string): boolean {
  return /[.!?…:;,]["'”’)\]]*$/u.test(text);
}

/**
 * Joins fields into one text: `"<a>. <b>"`, or `"<a> <b>"` when `a` already ends in punctuation
 * (`"Planet?"`, but not `"(Reuters)"`); empty fields are skipped.
 */
export function joinFields(fields: readonly string[]): string {
  return fields
    .map((field) => field.trim())
    .filter((field) => field !== '')
    .reduce(
      (joined, field) => (joined === '' ? field : `${joined}${endsInPunctuation(joined) ? ' ' : '. '}${field}`),
      '',
    );
}

/** Reads a cell as text (numbers and booleans as written, null as empty). */
export function cellText(cell: Cell): string {
  return cell === null ? '' : String(cell);
}

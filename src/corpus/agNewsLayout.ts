import type { Cell } from './table';

/** Column names of the AG News CSV files (class index 1–4, title, description; no header row). */
export const AG_NEWS_COLUMNS: readonly string[] = ['class', 'title', 'description'];

/** How many leading rows are checked when guessing whether a CSV is in the AG News layout. */
const ROWS_CHECKED = 20;

/** True when the rows look like AG News: exactly three fields and a class index 1–4 first, on every checked row. */
export function looksLikeAgNews(rows: readonly Cell[][]): boolean {
  const head = rows.slice(0, ROWS_CHECKED);
  return head.length > 0 && head.every((row) => row.length === 3 && /^[1-4]$/.test(String(row[0]).trim()));
}

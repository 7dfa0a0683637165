/** Plain-text tables of the benchmark's report: column layout and number formats. */

/**
 * Lines of a table: a header, a rule, the rows; columns padded, the first `leftColumns` left-aligned, the rest right.
 */
export function formatTable(header: string[], rows: string[][], leftColumns: number): string[] {
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** A count or speed, rounded, with thousands separators (– for none). */
export const integer = (n: number | null) => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));
/** A ratio such as 2.45× (– for none). */
export const ratio = (n: number | null) => (n === null ? '–' : `${n.toFixed(2)}×`);
/** Seconds with two decimals (– for none). */
export const seconds = (n: number | null) => (n === null ? '–' : `${n.toFixed(2)} s`);
/** Each thread count's value, such as `1t 70,978 / 2t 20,100` (empty for none). */
export const perThread = (byThreads: Record<number, number> | null, show: (n: number) => string) =>
  byThreads === null
    ? ''
    : Object.entries(byThreads)
        .map(([threads, value]) => `${threads}t ${show(value)}`)
        .join(' / ');

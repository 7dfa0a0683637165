import { escapeUTF8 } from 'entities';
import type { ComparisonRow, SampleMetrics } from './temperatureComparison';

/**
 * A short summary of a sample's metrics, e.g. `log-lik -1.52 · entropy 1.61 · distinct-2 0.93 · rep-4 0.00 · known
 * 0.81`.
 */
export function formatMetrics(m: SampleMetrics): string {
  const parts = [
    ['log-lik', m.logLikelihood],
    ['entropy', m.entropy],
    ['distinct-2', m.distinct2],
    ['rep-4', m.repeated4grams],
    ['known', m.knownWords],
  ]
    .filter((part): part is [string, number] => part[1] !== null)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`);
  if (m.cycleLength !== null) parts.push(`cycle ${m.cycleLength} chars`);
  return parts.join(' · ');
}

/** The rows grouped by prompt, in first-seen order. */
function byPrompt(rows: readonly ComparisonRow[]): Map<string, ComparisonRow[]> {
  const groups = new Map<string, ComparisonRow[]>();
  for (const row of rows) {
    const group = groups.get(row.prompt);
    if (group) group.push(row);
    else groups.set(row.prompt, [row]);
  }
  return groups;
}

/**
 * The comparison as plain text for a terminal: one block per prompt, one line per temperature (newlines shown as ⏎).
 */
export function formatComparison(rows: readonly ComparisonRow[]): string {
  const blocks = [...byPrompt(rows)].map(([prompt, group]) =>
    [
      `== ${JSON.stringify(prompt)}`,
      ...group.flatMap((row) => [
        `T=${row.temperature}  ${row.text.replace(/\r?\n/g, '⏎')}`,
        `        ${formatMetrics(row.metrics)}`,
      ]),
    ].join('\n'),
  );
  return blocks.join('\n\n');
}

/**
 * The comparison as an HTML table for notebooks: a row per prompt, a column per temperature, metrics under each text.
 */
export function comparisonHtml(rows: readonly ComparisonRow[]): string {
  const temperatures = [...new Set(rows.map((row) => row.temperature))];
  const cell = (row: ComparisonRow | undefined) =>
    row === undefined
      ? '<td></td>'
      : [
          '<td style="vertical-align:top;text-align:left">',
          `<div style="white-space:pre-wrap;font-family:monospace;font-size:12px">${escapeUTF8(row.text)}</div>`,
          `<div style="color:#666;font-size:11px;margin-top:4px">${escapeUTF8(formatMetrics(row.metrics))}</div></td>`,
        ].join('');
  const header = `<tr><th>prompt</th>${temperatures.map((t) => `<th>T = ${t}</th>`).join('')}</tr>`;
  const body = [...byPrompt(rows)].map(([prompt, group]) => {
    const cells = temperatures.map((t) => cell(group.find((row) => row.temperature === t))).join('');
    return `<tr><th style="vertical-align:top">${escapeUTF8(JSON.stringify(prompt))}</th>${cells}</tr>`;
  });
  return `<table style="table-layout:fixed;width:100%">${header}${body.join('')}</table>`;
}

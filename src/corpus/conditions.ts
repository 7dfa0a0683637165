import type { Cell, Table } from './table';
import { listSome, quoted } from '../messages';

/** How a numeric condition column is grouped into values: each year its own, or by decade or century. */
export const CONDITION_BUCKETS = ['decade', 'century'] as const;
/** A grouping of a numeric condition column. */
export type ConditionBucket = (typeof CONDITION_BUCKETS)[number];

/** A condition column as the user names it: `party`, or `year:decade` for a numeric column grouped by decade. */
export interface ConditionSpec {
  column: string;
  bucket: ConditionBucket | null;
}

/** The conditions of a corpus's documents: one value per condition per document, in document order. */
export interface DocumentConditions {
  /** The specs as written (`party`, `year:decade`): the conditions' names. */
  names: string[];
  /** `values[d][j]`: document d's value of condition j (e.g. `Republican`, `1790s`). */
  values: string[][];
}

/** Reads `column` or `column:bucket`; throws naming the buckets on a bad one. */
export function parseConditionSpec(spec: string): ConditionSpec {
  const at = spec.lastIndexOf(':');
  if (at < 0) return { column: spec, bucket: null };
  const bucket = spec.slice(at + 1);
  if (!(CONDITION_BUCKETS as readonly string[]).includes(bucket)) {
    throw new Error(
      `Unknown grouping "${bucket}" in condition "${spec}". Use a column name, or ` +
        `column:${CONDITION_BUCKETS.join(' / column:')} for a numeric column.`,
    );
  }
  return { column: spec.slice(0, at), bucket: bucket as ConditionBucket };
}

/** One cell as a condition value: its text, or for a grouped column its decade (`1790s`) or century (`1700s`). */
function conditionValue(cell: Cell, spec: ConditionSpec, row: number): string {
  const text = cell === null ? '' : String(cell).trim();
  if (text === '')
    throw new Error(
      `Condition column "${spec.column}" is empty in row ${row + 1}; fill it in, or choose another column.`,
    );
  if (spec.bucket === null) return text;
  const year = Number(text);
  if (!Number.isFinite(year))
    throw new Error(
      `Condition "${spec.column}:${spec.bucket}" needs numbers, but row ${row + 1} holds ${quoted(text)}.`,
    );
  const width = spec.bucket === 'decade' ? 10 : 100;
  return `${Math.floor(year / width) * width}s`;
}

/**
 * The conditions of each document: `rowOfDocument[d]` is the table row document d came from (documents split out
 * of one row share its values). Throws naming a missing column (with the available ones) or a bad cell.
 */
export function documentConditions(
  table: Table,
  specs: readonly string[],
  rowOfDocument: readonly number[],
): DocumentConditions {
  const repeated = specs.find((spec, i) => specs.indexOf(spec) !== i);
  if (repeated !== undefined) throw new Error(`Condition "${repeated}" is given twice; give each condition once.`);
  const parsed = specs.map(parseConditionSpec);
  const indices = parsed.map(({ column }) => {
    const index = table.columns.indexOf(column);
    if (index < 0)
      throw new Error(`Condition column ${quoted(column)} is not in the corpus (columns: ${listSome(table.columns)}).`);
    return index;
  });
  const values = rowOfDocument.map((row) =>
    parsed.map((spec, j) => conditionValue(table.rows[row][indices[j]], spec, row)),
  );
  return { names: [...specs], values };
}

import { cellNamed } from './cells';
import type { ModelConfig } from './generator';

/**
 * How a generator's recurrent state for a batch is laid out as one Float32Array — the layout of every engine's
 * `Stepper.state()`: for each layer in order, its cell's state arrays (h, then c for LSTM), each `[batch, units]`
 * row-major.
 */
export interface StateLayout {
  /** Number of `[batch, units]` arrays: layers × the cell's state arrays. */
  parts: number;
  /** Values per row in each array. */
  units: number;
}

/** The state layout of networks built from `config`. */
export function stateLayout(config: Pick<ModelConfig, 'cell' | 'layers' | 'units'>): StateLayout {
  return { parts: config.layers * cellNamed(config.cell).states, units: config.units };
}

/** Values in the state of `batch` rows. */
export function stateSize(layout: StateLayout, batch: number): number {
  return layout.parts * batch * layout.units;
}

/**
 * A new state whose row `r` is row `rows[r]` of `state` (any number of rows, repeats allowed): how beam search
 * moves each kept hypothesis's state under it, or copies one prompt's state to several rows.
 */
export function selectStateRows(state: Float32Array, layout: StateLayout, rows: ArrayLike<number>): Float32Array {
  const { parts, units } = layout;
  const batch = state.length / (parts * units);
  if (!Number.isInteger(batch))
    throw new Error(`A state of ${state.length} values is not ${parts} arrays of rows of ${units}.`);
  const out = new Float32Array(stateSize(layout, rows.length));
  for (let p = 0; p < parts; p++) {
    for (let r = 0; r < rows.length; r++) {
      const from = rows[r];
      if (!(Number.isInteger(from) && from >= 0 && from < batch))
        throw new Error(`selectStateRows: row ${from} is not among the state's ${batch} rows.`);
      const start = (p * batch + from) * units;
      out.set(state.subarray(start, start + units), (p * rows.length + r) * units);
    }
  }
  return out;
}

/**
 * One state for a batch whose row `r` starts from `rows[r]` (a one-row state, or null for zeros): generations that
 * each start from their own condition or encoder state, advanced together.
 */
export function stackStates(rows: readonly (Float32Array | null)[], layout: StateLayout): Float32Array {
  const size = stateSize(layout, 1);
  return concatStateRows(
    rows.map((state, r) => {
      if (state !== null && state.length !== size)
        throw new Error(
          `A one-row state has ${size} values (${layout.parts} arrays ` +
            `of ${layout.units}), got ${state.length} for row ${r}.`,
        );
      return state ?? new Float32Array(size);
    }),
    layout,
  );
}

/**
 * One state of all rows from the states of consecutive blocks of rows, in order (the inverse of cutting a batch's rows
 * into blocks).
 */
export function concatStateRows(blocks: readonly Float32Array[], layout: StateLayout): Float32Array {
  const { parts, units } = layout;
  const rows = blocks.map((block) => block.length / (parts * units));
  const total = rows.reduce((sum, n) => sum + n, 0);
  const out = new Float32Array(stateSize(layout, total));
  let first = 0;
  blocks.forEach((block, k) => {
    for (let p = 0; p < parts; p++)
      out.set(block.subarray(p * rows[k] * units, (p + 1) * rows[k] * units), (p * total + first) * units);
    first += rows[k];
  });
  return out;
}

/** Splits a state of `batch` rows into its `[batch, units]` arrays (views). */
export function stateParts(state: Float32Array, layout: StateLayout, batch: number): Float32Array[] {
  if (state.length !== stateSize(layout, batch)) {
    throw new Error(
      `A state of ${batch} rows has ${stateSize(layout, batch)} values (${layout.parts} arrays of ` +
        `${batch}×${layout.units}), got ${state.length}.`,
    );
  }
  const size = batch * layout.units;
  return Array.from({ length: layout.parts }, (_, p) => state.subarray(p * size, (p + 1) * size));
}

/**
 * A state's arrays (or anything listed in their order) grouped by layer: `statesPerLayer[l]` of them for layer `l`
 * (its cell's `states`: h, then c for LSTM).
 */
export function groupByLayer<T>(parts: readonly T[], statesPerLayer: readonly number[]): T[][] {
  let next = 0;
  return statesPerLayer.map((count) => parts.slice(next, (next += count)));
}

/** Joins a state's `[batch, units]` arrays into one Float32Array (the inverse of {@link stateParts}). */
export function joinStateParts(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  parts.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
  return out;
}

/**
 * Rearranges per-row states `[batch, parts·units]` into the engines' state layout (parts, then rows). A one-row
 * state needs no rearranging: it is such a row.
 */
export function rowsToState(rows: Float32Array, layout: StateLayout, batch: number): Float32Array {
  return regroup(rows, layout, batch, (p, b) => [
    (b * layout.parts + p) * layout.units,
    (p * batch + b) * layout.units,
  ]);
}

/** The inverse of {@link rowsToState}: a state (or its gradient) in the engines' layout → `[batch, parts·units]`. */
export function stateToRows(state: Float32Array, layout: StateLayout, batch: number): Float32Array {
  return regroup(state, layout, batch, (p, b) => [
    (p * batch + b) * layout.units,
    (b * layout.parts + p) * layout.units,
  ]);
}

function regroup(
  values: Float32Array,
  layout: StateLayout,
  batch: number,
  at: (part: number, row: number) => [number, number],
): Float32Array {
  const out = new Float32Array(values.length);
  for (let p = 0; p < layout.parts; p++) {
    for (let b = 0; b < batch; b++) {
      const [from, to] = at(p, b);
      out.set(values.subarray(from, from + layout.units), to);
    }
  }
  return out;
}

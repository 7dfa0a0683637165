// gennet keeps a recurrent layer's weights as tfjs-layers does: `[input, gates·units]`, gate blocks side by side in
// its cell's order. PyTorch and ONNX keep `[gates·units, input]`, blocks one above the other, each in its own order.
// These move weights between the two; `order[g]` is which of gennet's blocks comes g-th in the other layout.

/**
 * A `[rows, gates·units]` matrix in gennet's layout as `[gates·units, rows]` (PyTorch's and ONNX's layout), its gate
 * blocks in the order `order` gives (entry g: which of gennet's blocks comes g-th).
 */
export function toGateRows(matrix: Float32Array, rows: number, units: number, order: readonly number[]): Float32Array {
  const width = order.length * units;
  const out = new Float32Array(matrix.length);
  order.forEach((from, g) => {
    for (let j = 0; j < units; j++)
      for (let r = 0; r < rows; r++) out[(g * units + j) * rows + r] = matrix[r * width + from * units + j];
  });
  return out;
}

/** The inverse of {@link toGateRows}: `[gates·units, rows]` in the order `order` back to gennet's layout. */
export function fromGateRows(
  matrix: Float32Array,
  rows: number,
  units: number,
  order: readonly number[],
): Float32Array {
  const width = order.length * units;
  const out = new Float32Array(matrix.length);
  order.forEach((from, g) => {
    for (let j = 0; j < units; j++)
      for (let r = 0; r < rows; r++) out[r * width + from * units + j] = matrix[(g * units + j) * rows + r];
  });
  return out;
}

/** A bias `[gates·units]` with its gate blocks in the order `order` gives (as {@link toGateRows}). */
export function reorderGates(bias: Float32Array, units: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(bias.length);
  order.forEach((from, g) => out.set(bias.subarray(from * units, (from + 1) * units), g * units));
  return out;
}

/** The inverse of {@link reorderGates}. */
export function restoreGates(bias: Float32Array, units: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(bias.length);
  order.forEach((from, g) => out.set(bias.subarray(g * units, (g + 1) * units), from * units));
  return out;
}

/** `[rows, cols]` as `[cols, rows]`. */
export function transpose(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c];
  return out;
}

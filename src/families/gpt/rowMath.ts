// The arithmetic of a GPT's generation steps on plain arrays, row by row: a step computes a few positions per row, where
// the calls of a tensor library would cost more than the sums.

/** `x · tableᵀ` for `rows` rows of `x` `[rows, width]` and `table` `[vocab, width]`: each row's score against each entry. */
export function timesTransposed(x: Float32Array, rows: number, table: Float32Array, width: number): Float32Array {
  const vocab = table.length / width;
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * width, (r + 1) * width);
    for (let v = 0; v < vocab; v++) {
      let sum = 0;
      for (let k = 0; k < width; k++) sum += xr[k] * table[v * width + k];
      out[r * vocab + v] = sum;
    }
  }
  return out;
}

/** LayerNorm of each of the `rows` rows of `x` (biased variance, `epsilon` inside the root), scaled and shifted. */
export function layerNorm(
  x: Float32Array,
  rows: number,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
): Float32Array {
  const width = gamma.length;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    let mean = 0;
    for (let k = 0; k < width; k++) mean += row[k];
    mean /= width;
    let variance = 0;
    for (let k = 0; k < width; k++) variance += (row[k] - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / width + epsilon);
    for (let k = 0; k < width; k++) out[r * width + k] = (row[k] - mean) * scale * gamma[k] + beta[k];
  }
  return out;
}

/**
 * The error function, by Abramowitz & Stegun's 7.1.26 (absolute error below 1.5e-7) — the formula of TensorFlow.js's
 * own `erf` kernel on the cpu backend.
 */
export function erf(x: number): number {
  const sign = Math.sign(x);
  const v = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * v);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-v * v));
}

/** The exact GELU, `x·Φ(x)`, of every value of `x`, in place. */
export function geluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * x[i] * (1 + erf(x[i] * Math.SQRT1_2));
  return x;
}

/** `x += y`, elementwise. */
export function addInPlace(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}

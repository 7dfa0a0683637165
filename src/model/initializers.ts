import * as tf from '@tensorflow/tfjs';

/** tfjs-layers' initializer type (its base class is not exported, its instances are). */
export type Initializer = ReturnType<typeof tf.initializers.orthogonal>;

/** tfjs-layers' `Orthogonal` initializer class, reached through an instance. */
const TfOrthogonal = tf.initializers.orthogonal({}).constructor as new (args: {
  gain?: number;
  seed?: number;
}) => Initializer;

/**
 * Orthonormal columns of the `rows × cols` (rows ≥ cols) row-major matrix `a`, by modified Gram–Schmidt in double
 * precision: the Q of a QR factorisation whose R has a positive diagonal.
 */
function orthonormalColumns(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const q = new Float64Array(rows * cols); // column-major: column j at [j·rows, (j+1)·rows)
  for (let j = 0; j < cols; j++) {
    const v = q.subarray(j * rows, (j + 1) * rows);
    for (let r = 0; r < rows; r++) v[r] = a[r * cols + j];
    for (let i = 0; i < j; i++) {
      const u = q.subarray(i * rows, (i + 1) * rows);
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += u[r] * v[r];
      for (let r = 0; r < rows; r++) v[r] -= dot * u[r];
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += v[r] * v[r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < rows; r++) v[r] /= norm;
  }
  return q;
}

/**
 * tfjs-layers' orthogonal initializer with the same random numbers, result (up to float rounding) and saved form
 * (class `Orthogonal`, same gain and seed), computed by Gram–Schmidt in JavaScript instead of `tf.linalg.qr`: about
 * 10 ms instead of seconds for an LSTM-256 recurrent kernel, and without tfjs' "Slowness may result" warning.
 */
export class GramSchmidtOrthogonal extends TfOrthogonal {
  private readonly gainValue: number;
  private readonly seedValue: number | undefined;

  constructor(args: { gain?: number; seed?: number } = {}) {
    super(args);
    this.gainValue = args.gain ?? 1;
    this.seedValue = args.seed;
  }

  override apply(shape: tf.Shape, dtype?: tf.DataType): tf.Tensor {
    const dims = shape as number[];
    if (dims.length < 2) throw new Error(`The orthogonal initializer needs a matrix shape, got [${dims.join(', ')}].`);
    const cols = dims[dims.length - 1];
    const rows = dims.reduce((product, d) => product * d, 1) / cols;
    const [tall, wide] = [Math.max(rows, cols), Math.min(rows, cols)];
    const normal = tf.tidy(() => tf.randomNormal([tall, wide], 0, 1, 'float32', this.seedValue).dataSync());
    const q = orthonormalColumns(normal, tall, wide);
    // q holds Q [tall, wide] column-major, i.e. Qᵀ row-major: the matrix itself when rows < cols.
    const values = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++)
        values[r * cols + c] = this.gainValue * (rows < cols ? q[r * cols + c] : q[c * rows + r]);
    }
    return tf.tensor(values, dims, dtype ?? 'float32');
  }
}

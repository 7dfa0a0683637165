import * as tf from '@tensorflow/tfjs';
import { perTensorData } from '../tensorData';
import { multiplyRows } from './rowMath';
import { BLOCK_COLUMNS, packColumnBlocks, simdKernel } from './simdKernel';

/** A fixed matrix `[inner, columns]` that multiplies rows held in plain arrays: one matMul of a recurrent step. */
export interface RowMatrix {
  readonly inner: number;
  readonly columns: number;
  /** What multiplies: the WebAssembly SIMD kernel ({@link simdKernel}) or the backend's matMul. */
  readonly runsOn: 'simd' | 'backend';
  /**
   * `rows · matrix` for `count` rows (`rows` row-major `[count, inner]`), row-major `[count, columns]`. The result
   * may be the matrix's own buffer: it is the caller's to read and change until the next call or `dispose`.
   */
  times(rows: Float32Array, count: number): Float32Array;
  /** Releases the matrix (a SIMD one waits for the next stepper of the same weights); it multiplies no more. */
  dispose(): void;
}

/** A tensor as a {@link RowMatrix} on the backend's matMul; `owned`: disposing the matrix disposes the tensor. */
export function tensorRowMatrix(matrix: tf.Tensor2D, owned = false): RowMatrix {
  const [inner, columns] = matrix.shape;
  return {
    inner,
    columns,
    runsOn: 'backend',
    times: (rows, count) => multiplyRows(rows, count, matrix),
    dispose: () => owned && matrix.dispose(),
  };
}

const PAGE_BYTES = 65536;
const FLOAT_BYTES = 4;
/** Byte alignment of every region the kernel reads or writes (its vector loads and stores). */
const ALIGN = 16;
const aligned = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

/**
 * A matrix in a WebAssembly memory of its own, multiplied by {@link simdKernel}: the same numbers as the wasm
 * backend's matMul without a tensor, a backend call or a download per product. The memory holds the packed matrix,
 * then room for the rows and the product; it grows when more rows come than it has room for.
 */
class SimdRowMatrix {
  private readonly memory: WebAssembly.Memory;
  private readonly kernel: (...offsets: number[]) => void;
  private readonly blocks: number;
  /** Byte offset of the rows (right after the packed matrix). */
  private readonly rowsAt: number;
  private capacity = 0;
  private productAt = 0;
  private rowsView = new Float32Array(0);
  private productView = new Float32Array(0);

  constructor(
    packed: Float32Array,
    readonly inner: number,
    readonly columns: number,
    module: WebAssembly.Module,
  ) {
    this.blocks = packed.length / (inner * BLOCK_COLUMNS);
    this.rowsAt = aligned(packed.byteLength);
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernel = instance.exports.times as (...offsets: number[]) => void;
    this.reserve(1);
    new Float32Array(this.memory.buffer, 0, packed.length).set(packed);
  }

  times(rows: Float32Array, count: number): Float32Array {
    const { inner, columns } = this;
    if (rows.length !== count * inner)
      throw new Error(`A product of ${count} row(s) of ${inner} takes ${count * inner} values, got ${rows.length}.`);
    if (count === 0 || columns === 0) return new Float32Array(0);
    // Rows in this memory (its own last product, say) would go with its buffer if it grows: copy them first.
    const input = rows.buffer === this.memory.buffer ? rows.slice() : rows;
    if (count > this.capacity || this.rowsView.length !== count * inner) this.reserve(count);
    this.rowsView.set(input);
    this.kernel(this.rowsAt, 0, this.productAt, count, inner, columns, this.blocks);
    return this.productView;
  }

  /** Makes room for `count` rows and their product (the kernel writes up to a block past the last row). */
  private reserve(count: number): void {
    this.capacity = Math.max(this.capacity, count);
    this.productAt = this.rowsAt + aligned(this.capacity * this.inner * FLOAT_BYTES);
    const end = this.productAt + (this.capacity * this.columns + BLOCK_COLUMNS) * FLOAT_BYTES;
    const pages = Math.ceil(end / PAGE_BYTES) - this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) this.memory.grow(pages);
    this.rowsView = new Float32Array(this.memory.buffer, this.rowsAt, count * this.inner);
    this.productView = new Float32Array(this.memory.buffer, this.productAt, count * this.columns);
  }
}

/** The disposed {@link SimdRowMatrix}es of each tensor data, by shape and column range; dropped with the data. */
const idleMatrices = perTensorData(() => new Map<string, SimdRowMatrix[]>());
/** Disposed matrices kept per data and range: as many as steppers of one model usually run at once. */
const MAX_IDLE = 4;

/**
 * A stepper's snapshot of columns `[from, to)` of `matrix` as a {@link RowMatrix}: on the wasm backend (where
 * WebAssembly SIMD runs) in a memory of its own with {@link simdKernel}, which gives the backend's matMul bit for bit
 * (a disposed one of the same data is taken again); elsewhere a copy on the backend.
 */
export function stepperMatrix(matrix: tf.Tensor2D, from = 0, to = matrix.shape[1]): RowMatrix {
  const [inner, columns] = matrix.shape;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= columns))
    throw new Error(`Columns [${from}, ${to}) are not a range of a matrix of ${columns} columns.`);
  const kernel = tf.getBackend() === 'wasm' && inner > 0 ? simdKernel() : null;
  if (kernel === null) return tensorRowMatrix(tf.slice(matrix, [0, from], [inner, to - from]), true);
  const byRange = idleMatrices(matrix);
  const range = `${inner}×${columns}[${from}:${to}]`; // a reshaped tensor shares its data
  const idle = byRange.get(range) ?? byRange.set(range, []).get(range)!;
  const packed = () => packColumnBlocks(matrix.dataSync() as Float32Array, inner, columns, from, to);
  const simd = idle.pop() ?? new SimdRowMatrix(packed(), inner, to - from, kernel);
  let held = true; // until disposed: then it waits in `idle` for the next stepper of the same weights
  return {
    inner,
    columns: to - from,
    runsOn: 'simd',
    times(rows, count) {
      if (!held) throw new Error('This matrix was disposed: its stepper cannot be used any more.');
      return simd.times(rows, count);
    },
    dispose() {
      if (held && idle.length < MAX_IDLE) idle.push(simd);
      held = false;
    },
  };
}

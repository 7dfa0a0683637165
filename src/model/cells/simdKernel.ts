/**
 * A WebAssembly SIMD kernel for `rows · matrix` that gives TensorFlow.js's wasm backend's matMul bit for bit: every
 * output is summed over the inner dimension in order, a float32 product then a float32 sum per term, from +0 (what
 * XNNPACK's kernels do; test/rowMatrix.test.ts checks it against `tf.matMul`). It vectorises across 16 output
 * columns at a time, never across the sum, which is what keeps the order. The module is assembled here, byte by
 * byte, because it is one small function: no toolchain, no file to fetch, the same bytes in Node and in a page.
 *
 * The exported function `times(x, w, y, rows, inner, columns, blocks)` reads, at byte offsets of the imported memory:
 * - `w`: the matrix packed by {@link packColumnBlocks} — `blocks` column blocks of `[inner, 16]` floats;
 * - `x`: `rows` rows of `inner` floats;
 * and writes `y`: `rows` rows of `columns` floats, plus up to 15 floats past the last row (space the caller leaves).
 * Column blocks run from the last to the first, so that the last block's lanes past a row's end, which land on the
 * next row's first columns, are written again with their own values. All offsets are 16-byte aligned; rows, inner
 * and blocks are ≥ 1.
 */

/**
 * Output columns one pass of the kernel computes: four 4-lane vectors (one per accumulator), the fastest here
 * (16 G multiply-adds/s for 256 × 1,024 in Node on a 2-vCPU AMD EPYC; 32 columns 14.5 G, 64 columns 10.5 G).
 */
export const BLOCK_COLUMNS = 16;
/** Bytes of one row of a packed column block. */
const BLOCK_BYTES = 4 * BLOCK_COLUMNS;
const VECTORS = BLOCK_COLUMNS / 4;

const I32 = 0x7f;
const V128 = 0x7b;
// Core opcodes.
const LOOP = [0x03, 0x40]; // a loop with no result
const END = 0x0b;
const BR_IF = 0x0d;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const F32_LOAD = 0x2a;
const I32_CONST = 0x41;
const I32_NE = 0x47;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
// SIMD opcodes (after the 0xfd prefix, as LEB128).
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00];
const V128_STORE = [SIMD, 0x0b];
const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];

// Parameters, then locals.
const [X, W, Y, ROWS, INNER, COLUMNS, BLOCK] = [0, 1, 2, 3, 4, 5, 6]; // BLOCK counts down from `blocks`
const [ROW, WP, XP, XEND, YP] = [7, 8, 9, 10, 11];
const ACC = Array.from({ length: VECTORS }, (_, i) => 12 + i);
const XK = 12 + VECTORS;

/** Unsigned LEB128 (sizes, indices, offsets). */
function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 (constants). */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A vector (count, then items) or a section (id, byte size, content). */
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const name = (text: string) => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
const get = (local: number) => [LOCAL_GET, local];
const set = (local: number) => [LOCAL_SET, local];
const constant = (value: number) => [I32_CONST, ...sleb(value)];
/** A memory access: its alignment (log2 bytes) and byte offset. */
const memarg = (alignLog2: number, offset: number) => [alignLog2, ...uleb(offset)];

/** The body of `times`. */
function timesBody(): number[] {
  const accumulate = ACC.flatMap((acc, lane) => [
    ...get(acc),
    ...get(XK),
    ...get(WP),
    ...V128_LOAD,
    ...memarg(4, 16 * lane),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...set(acc),
  ]);
  const store = ACC.flatMap((acc, lane) => [...get(YP), ...get(acc), ...V128_STORE, ...memarg(4, 16 * lane)]);
  return [
    ...LOOP, // over column blocks, last first
    ...[...get(BLOCK), ...constant(1), I32_SUB, ...set(BLOCK)],
    ...[...constant(0), ...set(ROW)],
    ...LOOP, // over rows
    // wp = w + block·inner·BLOCK_BYTES (the block's packed columns); xp = x + row·inner·4; xend = xp + inner·4
    ...[...get(W), ...get(BLOCK), ...get(INNER), I32_MUL, ...constant(BLOCK_BYTES), I32_MUL, I32_ADD, ...set(WP)],
    ...[...get(X), ...get(ROW), ...get(INNER), I32_MUL, ...constant(2), I32_SHL, I32_ADD, LOCAL_TEE, XP],
    ...[...get(INNER), ...constant(2), I32_SHL, I32_ADD, ...set(XEND)],
    ...V128_ZERO,
    ...ACC.slice(1).flatMap((acc) => [LOCAL_TEE, acc]),
    ...set(ACC[0]),
    ...LOOP, // over the inner dimension: acc += splat(x[k]) · w[k, block's 16 columns]
    ...[...get(XP), F32_LOAD, ...memarg(2, 0), ...F32X4_SPLAT, ...set(XK)],
    ...accumulate,
    ...[...get(WP), ...constant(BLOCK_BYTES), I32_ADD, ...set(WP)],
    ...[...get(XP), ...constant(4), I32_ADD, LOCAL_TEE, XP, ...get(XEND), I32_NE, BR_IF, 0],
    END,
    // yp = y + (row·columns + block·16)·4: where this row's block goes
    ...[...get(Y), ...get(ROW), ...get(COLUMNS), I32_MUL, ...get(BLOCK), ...constant(BLOCK_COLUMNS), I32_MUL, I32_ADD],
    ...[...constant(2), I32_SHL, I32_ADD, ...set(YP)],
    ...store,
    ...[...get(ROW), ...constant(1), I32_ADD, LOCAL_TEE, ROW, ...get(ROWS), I32_NE, BR_IF, 0],
    END,
    ...[...get(BLOCK), BR_IF, 0],
    END,
    END,
  ];
}

/** The module's bytes: it imports `env.memory` and exports `times`. */
function kernelBytes(): Uint8Array {
  const params = [X, W, Y, ROWS, INNER, COLUMNS, BLOCK].map(() => I32);
  const locals = vector([
    [5, I32],
    [VECTORS + 1, V128],
  ]);
  const body = [...locals, ...timesBody()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector([[0x60, ...vector(params.map((p) => [p])), ...vector([])]])), // types
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // imports: memory, min 1 page
    ...section(3, vector([[0]])), // functions: one, of type 0
    ...section(7, vector([[...name('times'), 0x00, 0]])), // exports
    ...section(10, vector([[...uleb(body.length), ...body]])), // code
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled kernel, or null where WebAssembly or its SIMD is missing or compiling is refused (a page whose
 * Content-Security-Policy lacks 'wasm-unsafe-eval'): compiled once.
 */
export function simdKernel(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = kernelBytes().buffer as ArrayBuffer; // a fresh array's own buffer
    try {
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null; // no WebAssembly here, or not allowed to compile
    }
  }
  return compiled;
}

/**
 * Columns `[from, to)` of `matrix` (`[inner, columns]`, row-major) as the kernel reads them: column blocks of 16,
 * each `[inner, 16]` row-major, the last padded with zeros.
 */
export function packColumnBlocks(
  matrix: Float32Array,
  inner: number,
  columns: number,
  from = 0,
  to = columns,
): Float32Array {
  const blocks = Math.ceil((to - from) / BLOCK_COLUMNS);
  const packed = new Float32Array(blocks * inner * BLOCK_COLUMNS);
  for (let b = 0; b < blocks; b++) {
    const start = from + b * BLOCK_COLUMNS;
    const width = Math.min(BLOCK_COLUMNS, to - start);
    for (let k = 0; k < inner; k++)
      packed.set(matrix.subarray(k * columns + start, k * columns + start + width), (b * inner + k) * BLOCK_COLUMNS);
  }
  return packed;
}

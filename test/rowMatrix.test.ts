import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { initBackend } from '../src/backend';
import { stepperMatrix } from '../src/model';
import { simdKernel } from '../src/model/cells/simdKernel';
import { createRng } from '../src/random';

// The steppers' products on wasm run in our own WebAssembly SIMD kernel; generated texts stay the same only if it
// gives the backend's matMul bit for bit, whatever the shape.

/** `count` rows of seeded values in [-2, 2). */
function seededRows(seed: number, length: number): Float32Array {
  const random = createRng(seed);
  return Float32Array.from({ length }, () => 4 * random() - 2);
}

/** The bits of a float32 array (equal bits: the same numbers, signed zeros included). */
const bits = (values: Float32Array) => Array.from(new Uint32Array(Float32Array.from(values).buffer));

/** `rows · matrix[:, from:to]` by the backend's matMul. */
function backendProduct(rows: Float32Array, count: number, matrix: tf.Tensor2D, from: number, to: number) {
  return tf.tidy(() => {
    const inner = matrix.shape[0];
    const columns = tf.slice(matrix, [0, from], [inner, to - from]);
    return tf.matMul(tf.tensor2d(rows, [count, inner]), columns).dataSync() as Float32Array;
  });
}

test('on wasm a stepper matrix multiplies with the SIMD kernel, bit for bit as tf.matMul (any shape, rows, columns)', async () => {
  await initBackend('wasm');
  assert.ok(simdKernel() !== null, "Node's WebAssembly runs SIMD: the kernel compiles");
  const shapes = fc.record({
    inner: fc.integer({ min: 1, max: 70 }),
    columns: fc.integer({ min: 1, max: 70 }),
    counts: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
    cut: fc.tuple(fc.nat(), fc.nat()),
    seed: fc.nat(),
  });
  fc.assert(
    fc.property(shapes, ({ inner, columns, counts, cut, seed }) => {
      const [from, to] = [cut[0] % (columns + 1), cut[1] % (columns + 1)].sort((a, b) => a - b);
      const matrix = tf.tensor2d(seededRows(seed, inner * columns), [inner, columns]);
      const lease = stepperMatrix(matrix, from, to);
      assert.equal(lease.runsOn, 'simd');
      assert.deepEqual([lease.inner, lease.columns], [inner, to - from]);
      // Row counts up and down: the memory grows for more rows and is reused for fewer.
      for (const [i, count] of counts.entries()) {
        const rows = seededRows(seed + i + 1, count * inner);
        assert.deepEqual(bits(lease.times(rows, count)), bits(backendProduct(rows, count, matrix, from, to)));
      }
      lease.dispose();
      matrix.dispose();
    }),
    { numRuns: 60 },
  );
});

test("a network's shapes (256 × 1,024, 256 × 10,000, 200 rows) give tf.matMul's bits too", async () => {
  await initBackend('wasm');
  for (const [inner, columns, count] of [
    [256, 1024, 1],
    [256, 10000, 1],
    [128, 512, 200],
  ]) {
    const matrix = tf.tensor2d(seededRows(inner, inner * columns), [inner, columns]);
    const rows = seededRows(columns, count * inner);
    const lease = stepperMatrix(matrix);
    assert.deepEqual(bits(lease.times(rows, count)), bits(backendProduct(rows, count, matrix, 0, columns)));
    lease.dispose();
    matrix.dispose();
  }
});

test('a disposed matrix waits for the next stepper of the same data: lent once however often disposed, refused after', async () => {
  await initBackend('wasm');
  const matrix = tf.tensor2d(seededRows(1, 8 * 20), [8, 20]);
  const [x, y] = [seededRows(2, 8), seededRows(3, 8)];
  const first = stepperMatrix(matrix);
  first.times(x, 1);
  first.dispose();
  first.dispose();
  assert.throws(() => first.times(x, 1), /disposed: its stepper cannot be used any more/);
  const [a, b] = [stepperMatrix(matrix), stepperMatrix(matrix)];
  const productA = a.times(x, 1);
  b.times(y, 1); // must not write where a's product lies
  assert.deepEqual(bits(productA), bits(backendProduct(x, 1, matrix, 0, 20)));
  a.dispose();
  b.dispose();
  // Its own product fed back as 64 rows, which it has no room for: the memory grows under them.
  const wide = tf.tensor2d(seededRows(6, 64 * 4096), [64, 4096]);
  const growing = stepperMatrix(wide);
  const own = growing.times(seededRows(7, 64), 1);
  const expected = backendProduct(own.slice(), 64, wide, 0, 4096);
  assert.deepEqual(bits(growing.times(own, 64)), bits(expected));
  growing.dispose();
  wide.dispose();
  // New data (a variable written) gets a matrix of its own values.
  const variable = tf.variable(matrix);
  const before = Array.from(stepperMatrix(variable).times(x, 1));
  variable.assign(tf.neg(matrix));
  const after = stepperMatrix(variable).times(x, 1);
  assert.deepEqual(
    Array.from(after),
    before.map((v) => -v),
  );
  variable.dispose();
  matrix.dispose();
});

test('elsewhere a stepper matrix is a copy on the backend (cpu: its matMul, fresh arrays); bad ranges are refused', async () => {
  await initBackend('cpu');
  const matrix = tf.tensor2d(seededRows(4, 6 * 10), [6, 10]);
  const lease = stepperMatrix(matrix, 2, 7);
  assert.equal(lease.runsOn, 'backend');
  const rows = seededRows(5, 3 * 6);
  assert.deepEqual(bits(lease.times(rows, 3)), bits(backendProduct(rows, 3, matrix, 2, 7)));
  matrix.dispose();
  assert.deepEqual(bits(lease.times(rows, 3)).length, 15, 'the copy outlives the tensor it was made from');
  lease.dispose();
  for (const [from, to] of [
    [3, 2],
    [0, 11],
    [-1, 4],
    [0.5, 4],
  ])
    assert.throws(() => stepperMatrix(tf.zeros([6, 10]), from, to), /are not a range of a matrix of 10 columns/);
  await initBackend('wasm');
});

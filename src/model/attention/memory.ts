import * as tf from '@tensorflow/tfjs';
import type { MemoryTensors } from './attend';

/**
 * What an encoder gives a decoder with attention, for a batch of rows: each row's source read into vectors
 * `[rows, length, width]` row-major (`length`: the longest source of the batch; a shorter row's positions after its
 * own length are zeros), and which positions are real (`lengths`). Padded positions never receive attention.
 */
export interface EncoderMemory {
  values: Float32Array;
  /** Real source positions of each row (its first `lengths[r]` positions). */
  lengths: Int32Array;
  /** Positions per row (the longest source of the rows). */
  length: number;
  /** Values per position. */
  width: number;
}

/** Rows of an encoder memory. */
export function memoryRows(memory: EncoderMemory): number {
  return memory.lengths.length;
}

/**
 * The memory's mask `[rows, length]`: 1 at a row's real positions, 0 at its padding.
 */
export function memoryMask(memory: EncoderMemory): Float32Array {
  const mask = new Float32Array(memoryRows(memory) * memory.length);
  memory.lengths.forEach((n, r) => mask.fill(1, r * memory.length, r * memory.length + n));
  return mask;
}

/** Checks that `memory` is consistent (sizes, lengths) and has `rows` rows; throws saying what is wrong. */
export function checkMemory(memory: EncoderMemory, rows: number, width: number): void {
  const { values, lengths, length } = memory;
  if (memory.width !== width)
    throw new Error(`The encoder memory has ${memory.width} values per position; the attention reads ${width}.`);
  if (lengths.length !== rows) throw new Error(`The encoder memory has ${lengths.length} rows, the batch ${rows}.`);
  if (values.length !== rows * length * width || lengths.some((n) => !(n >= 0 && n <= length)))
    throw new Error(
      `An encoder memory of ${rows} rows × ${length} positions × ${width} values is inconsistent ` +
        `(${values.length} values, lengths ${[...lengths].join(',')}).`,
    );
}

/**
 * A memory whose row r is row `rows[r]` of `memory` (any number of rows, repeats allowed): how beam search carries
 * each kept hypothesis's source, and how a batch is cut among threads.
 */
export function selectMemoryRows(memory: EncoderMemory, rows: ArrayLike<number>): EncoderMemory {
  const size = memory.length * memory.width;
  const values = new Float32Array(rows.length * size);
  const lengths = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r];
    if (!(Number.isInteger(from) && from >= 0 && from < memoryRows(memory)))
      throw new Error(`selectMemoryRows: row ${from} is not among the memory's ${memoryRows(memory)} rows.`);
    values.set(memory.values.subarray(from * size, (from + 1) * size), r * size);
    lengths[r] = memory.lengths[from];
  }
  return { values, lengths, length: memory.length, width: memory.width };
}

/**
 * One memory of all rows from one-row (or several-row) memories of the same width, padded to the longest: the rows
 * of a batch started from sources of different lengths, or the parts of a batch joined back.
 */
export function concatMemoryRows(blocks: readonly EncoderMemory[]): EncoderMemory {
  if (blocks.length === 0) throw new Error('concatMemoryRows: no memories to join.');
  const { width } = blocks[0];
  if (blocks.some((block) => block.width !== width))
    throw new Error('concatMemoryRows: memories of different widths cannot be joined.');
  const length = Math.max(...blocks.map((block) => block.length));
  const total = blocks.reduce((n, block) => n + memoryRows(block), 0);
  const values = new Float32Array(total * length * width);
  const lengths = new Int32Array(total);
  let row = 0;
  for (const block of blocks) {
    for (let r = 0; r < memoryRows(block); r++, row++) {
      const from = block.values.subarray(r * block.length * width, (r + 1) * block.length * width);
      values.set(from, row * length * width);
      lengths[row] = block.lengths[r];
    }
  }
  return { values, lengths, length, width };
}

/** The memory of one row: the first `length` positions of `values` `[length, width]`, all real. */
export function singleRowMemory(values: Float32Array, length: number, width: number): EncoderMemory {
  return { values, lengths: Int32Array.of(length), length, width };
}

/** The memory as the attention reads it: values `[rows, length, width]` and mask `[rows, length]` tensors. */
export function memoryTensors(memory: EncoderMemory): MemoryTensors {
  const rows = memoryRows(memory);
  return {
    memory: tf.tensor3d(memory.values, [rows, memory.length, memory.width]),
    mask: tf.tensor2d(memoryMask(memory), [rows, memory.length]),
  };
}

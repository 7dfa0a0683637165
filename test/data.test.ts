import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  LineDataset,
  prepareCharData,
  WindowDataset,
  splitIds,
  splitItems,
  unigramEntropy,
  type Batch,
  type TokenDataset,
} from '../src/data';
import { CharVocab, EOS_ID, PAD_ID } from '../src/vocab';
import { createRng } from '../src/random';

/** ids[i] === i, as a view into a larger buffer (the datasets must not assume offset 0). */
function identityIds(length: number): Int32Array {
  const base = new Int32Array(length + 5);
  for (let i = 0; i < base.length; i++) base[i] = i - 2;
  return base.subarray(2, 2 + length);
}

function collect(dataset: TokenDataset, batchSize: number, seed: number | null, dropRemainder?: boolean): Batch[] {
  return [...dataset.batches(batchSize, seed === null ? null : createRng(seed), { dropRemainder })];
}

/** The start of every row, read back from ids where ids[i] === i. */
function rowStarts(batches: Batch[]): number[] {
  return batches.flatMap((batch) =>
    Array.from({ length: batch.batchSize }, (_, row) => batch.inputs[row * batch.seqLen]),
  );
}

/** Window starts a corpus of `length` tokens allows, counted one by one. */
function expectedStarts(length: number, seqLen: number, stride: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + seqLen + 1 <= length; s += stride) starts.push(s);
  return starts;
}

test('property: window targets are inputs shifted by one and each epoch visits every start once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 400 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 12 }),
      fc.option(fc.integer({ min: 0, max: 1e6 })),
      fc.boolean(),
      (length, seqLen, strideArg, batchSize, seed, dropRemainder) => {
        fc.pre(seqLen < length);
        const ids = identityIds(length);
        const dataset = new WindowDataset(ids, { seqLen, stride: strideArg });
        const starts = expectedStarts(length, seqLen, strideArg);
        assert.equal(dataset.size, starts.length);
        assert.equal(dataset.tokens, starts.length * seqLen);
        const full = Math.floor(starts.length / batchSize);
        fc.pre(full > 0 || !dropRemainder);
        const batches = collect(dataset, batchSize, seed, dropRemainder);
        assert.equal(batches.length, dataset.batchesPerEpoch(batchSize, { dropRemainder }));
        for (const batch of batches) {
          assert.equal(batch.seqLen, seqLen);
          assert.equal(batch.mask, null);
          assert.equal(batch.inputs.length, batch.batchSize * seqLen);
          for (let row = 0; row < batch.batchSize; row++) {
            const s = batch.inputs[row * seqLen];
            assert.deepEqual(batch.inputs.subarray(row * seqLen, (row + 1) * seqLen), ids.subarray(s, s + seqLen));
            assert.deepEqual(
              batch.targets.subarray(row * seqLen, (row + 1) * seqLen),
              ids.subarray(s + 1, s + seqLen + 1),
            );
          }
        }
        const seen = rowStarts(batches);
        assert.equal(new Set(seen).size, seen.length, 'a window was visited twice');
        if (dropRemainder) {
          assert.equal(seen.length, full * batchSize);
          assert.ok(batches.every((batch) => batch.batchSize === batchSize));
          for (const s of seen) assert.ok(starts.includes(s));
        } else {
          assert.deepEqual(
            [...seen].sort((a, b) => a - b),
            starts,
          );
        }
        if (seed === null) assert.deepEqual(seen, starts.slice(0, seen.length));
      },
    ),
    { numRuns: 300 },
  );
});

test('same seed gives the same window order, another seed another order', () => {
  const dataset = new WindowDataset(identityIds(1000), { seqLen: 10 });
  const first = rowStarts(collect(dataset, 8, 42));
  assert.deepEqual(rowStarts(collect(dataset, 8, 42)), first);
  assert.notDeepEqual(rowStarts(collect(dataset, 8, 43)), first);
  assert.notDeepEqual(
    first,
    [...first].sort((a, b) => a - b),
  );
});

test('window batches drawn from the train part never contain validation ids', () => {
  const ids = identityIds(1000);
  const { train, val } = splitIds(ids, 0.2);
  assert.equal(train.length, 800);
  assert.equal(val.length, 200);
  assert.equal(train.buffer, ids.buffer, 'train must be a view, not a copy');
  assert.equal(val.buffer, ids.buffer, 'val must be a view, not a copy');
  for (const batch of collect(new WindowDataset(train, { seqLen: 7, stride: 3 }), 4, 1, false)) {
    for (const id of [...batch.inputs, ...batch.targets]) assert.ok(id < 800, `train batch holds val id ${id}`);
  }
  for (const batch of collect(new WindowDataset(val, { seqLen: 7 }), 4, 1, false)) {
    for (const id of [...batch.inputs, ...batch.targets]) assert.ok(id >= 800, `val batch holds train id ${id}`);
  }
});

test('window dataset explains bad arguments', () => {
  const ids = identityIds(50);
  assert.throws(() => new WindowDataset(ids, { seqLen: 50 }), /has 50 tokens, .* needs 51 .* at most 49/);
  assert.throws(() => new WindowDataset(identityIds(0), { seqLen: 5 }), /has 0 tokens.*larger valFraction/);
  assert.throws(() => new WindowDataset(ids, { seqLen: 0 }), /Sequence length must be a whole number >= 1/);
  assert.throws(() => new WindowDataset(ids, { seqLen: 5, stride: 1.5 }), /Stride must be a whole number/);
  const dataset = new WindowDataset(ids, { seqLen: 10 });
  assert.equal(dataset.size, 4);
  assert.throws(() => dataset.batchesPerEpoch(0), /Batch size must be a whole number >= 1/);
  assert.equal(
    dataset.batchesPerEpoch(5),
    0,
    'no full batch of 5 among 4 examples: the trainer explains it with the flags to change',
  );
  assert.equal([...dataset.batches(5, null)].length, 0);
  assert.equal(dataset.batchesPerEpoch(5, { dropRemainder: false }), 1);
  assert.equal(collect(dataset, 5, null, false)[0].batchSize, 4);
  assert.equal(dataset.batchesPerEpoch(3), 1);
});

/** Line i starts with the tag id 3 + i, so a batch row tells which line it came from. */
const taggedLines = fc
  .array(fc.array(fc.integer({ min: 3, max: 99 }), { maxLength: 12 }), { minLength: 1, maxLength: 30 })
  .map((tails) => tails.map((tail, i) => Int32Array.from([3 + i, ...tail])));

test('property: line batches are padded to their longest example, masked, with shifted targets', () => {
  fc.assert(
    fc.property(
      taggedLines,
      fc.option(fc.integer({ min: 1, max: 10 })),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 1e6 }),
      (lines, maxLenOrNull, batchSize, seed) => {
        const maxLen = maxLenOrNull ?? Number.POSITIVE_INFINITY;
        const dataset = new LineDataset(lines, maxLenOrNull === null ? {} : { maxLen });
        const lengthOf = (line: Int32Array) => Math.min(line.length + 1, maxLen);
        assert.equal(dataset.size, lines.length);
        assert.equal(
          dataset.tokens,
          lines.reduce((sum, line) => sum + lengthOf(line), 0),
        );
        const batches = collect(dataset, batchSize, seed, false);
        assert.equal(batches.length, dataset.batchesPerEpoch(batchSize, { dropRemainder: false }));
        const tags: number[] = [];
        for (const { inputs, targets, mask, batchSize: rows, seqLen } of batches) {
          const lengths: number[] = [];
          for (let row = 0; row < rows; row++) {
            const at = row * seqLen;
            const tag = targets[at];
            tags.push(tag);
            const line = lines[tag - 3];
            const length = lengthOf(line);
            lengths.push(length);
            assert.deepEqual([...inputs.subarray(at, at + length)], [EOS_ID, ...line].slice(0, length));
            assert.deepEqual([...targets.subarray(at, at + length)], [...line, EOS_ID].slice(0, length));
            assert.ok(inputs.subarray(at + length, at + seqLen).every((id) => id === PAD_ID));
            assert.ok(targets.subarray(at + length, at + seqLen).every((id) => id === PAD_ID));
            if (mask) {
              assert.deepEqual(
                [...mask.subarray(at, at + seqLen)],
                Array.from({ length: seqLen }, (_, t) => (t < length ? 1 : 0)),
              );
            }
          }
          assert.equal(seqLen, Math.max(...lengths));
          assert.equal(
            mask === null,
            lengths.every((length) => length === seqLen),
          );
        }
        assert.deepEqual(
          tags.sort((a, b) => a - b),
          lines.map((_, i) => 3 + i),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('line batches: an empty line is [eos] -> [eos], seeds fix the order, bad arguments explained', () => {
  const lines = [Int32Array.from([5, 6, 7]), new Int32Array(0)];
  const [batch] = collect(new LineDataset(lines), 2, null);
  assert.deepEqual([...batch.inputs], [EOS_ID, 5, 6, 7, EOS_ID, PAD_ID, PAD_ID, PAD_ID]);
  assert.deepEqual([...batch.targets], [5, 6, 7, EOS_ID, EOS_ID, PAD_ID, PAD_ID, PAD_ID]);
  assert.deepEqual([...(batch.mask ?? [])], [1, 1, 1, 1, 1, 0, 0, 0]);
  const [cut] = collect(new LineDataset(lines, { maxLen: 2 }), 1, null);
  assert.deepEqual([...cut.inputs, ...cut.targets], [EOS_ID, 5, 5, 6]);

  const many = Array.from({ length: 40 }, (_, i) => Int32Array.from([3 + i]));
  const dataset = new LineDataset(many);
  const order = (seed: number) =>
    collect(dataset, 4, seed).flatMap((b) => [...b.targets].filter((id) => id !== EOS_ID));
  assert.deepEqual(order(7), order(7));
  assert.notDeepEqual(order(7), order(8));

  assert.throws(() => new LineDataset([]), /needs at least one line/);
  assert.throws(() => new LineDataset(lines, { maxLen: 0 }), /maxLen must be a whole number >= 1/);
});

test('splitIds and splitItems validate the fraction and split deterministically', () => {
  const ids = identityIds(10);
  assert.equal(splitIds(ids, 0).val.length, 0);
  assert.equal(splitIds(ids, 0).train.length, 10);
  for (const bad of [1, -0.1, Number.NaN]) {
    assert.throws(() => splitIds(ids, bad), /valFraction must be a number in \[0, 1\)/);
    assert.throws(() => splitItems([1, 2], bad, createRng(1)), /valFraction must be a number in \[0, 1\)/);
  }
  const items = Array.from({ length: 50 }, (_, i) => i);
  const split = splitItems(items, 0.2, createRng(3));
  assert.equal(split.val.length, 10);
  assert.deepEqual(splitItems(items, 0.2, createRng(3)), split);
  assert.notDeepEqual(splitItems(items, 0.2, createRng(4)).val, split.val);
  assert.deepEqual(
    [...split.train, ...split.val].sort((a, b) => a - b),
    items,
  );
  assert.deepEqual(
    split.train,
    [...split.train].sort((a, b) => a - b),
    'train keeps the original order',
  );
  assert.deepEqual(splitItems(items, 0, createRng(3)), { train: items, val: [] });
});

test('property: unigramEntropy of a uniform stream over k ids is log(k)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 0, max: 30 }),
      (k, repeats, extra) => {
        const ids = Int32Array.from({ length: k * repeats }, (_, i) => i % k);
        assert.ok(Math.abs(unigramEntropy(ids, k + extra) - Math.log(k)) < 1e-12);
      },
    ),
  );
  const expected = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  assert.ok(Math.abs(unigramEntropy([0, 0, 0, 1], 2) - expected) < 1e-12);
  assert.throws(() => unigramEntropy([], 3), /no tokens/);
  assert.throws(() => unigramEntropy([0, 3], 3), /Id 3 at position 1 is outside the vocabulary \(ids 0\.\.2\)/);
  assert.throws(() => unigramEntropy([0], 0), /vocabSize must be a whole number >= 1/);
});

test(`windows over compact ids (Uint8Array, Uint16Array) give the \
same Int32Array batches; splitIds keeps the array type`, () => {
  const wide = Int32Array.from({ length: 257 }, (_, i) => (i * 7) % 251);
  for (const compact of [Uint8Array.from(wide), Uint16Array.from(wide)]) {
    const split = splitIds(compact, 0.2);
    assert.equal(split.train.constructor, compact.constructor);
    assert.equal(split.val.constructor, compact.constructor);
    const expected = collect(new WindowDataset(splitIds(wide, 0.2).train, { seqLen: 9, stride: 4 }), 5, 3);
    const actual = collect(new WindowDataset(split.train, { seqLen: 9, stride: 4 }), 5, 3);
    assert.deepEqual(actual, expected);
    assert.ok(actual[0].inputs instanceof Int32Array && actual[0].targets instanceof Int32Array);
  }
});

test(`property: batches never cross the train/validation split \
(windows over a cut stream, lines split at random)`, () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 30, max: 400 }),
      fc.double({ min: 0.05, max: 0.6, noNaN: true }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 9 }),
      (n, fraction, seqLen, batchSize) => {
        // Windows: every id is its own position, so a token tells where in the stream it came from.
        const { train, val } = splitIds(identityIds(n), fraction);
        const cut = train.length;
        const tokensOf = (dataset: WindowDataset) =>
          [...dataset.batches(batchSize, createRng(1), { dropRemainder: false })].flatMap((b) => [
            ...b.inputs,
            ...b.targets,
          ]);
        if (train.length > seqLen)
          assert.ok(
            tokensOf(new WindowDataset(train, { seqLen })).every((id) => id < cut),
            'a training window reads validation text',
          );
        if (val.length > seqLen)
          assert.ok(
            tokensOf(new WindowDataset(val, { seqLen })).every((id) => id >= cut),
            'a validation window reads training text',
          );
        // Lines: line k holds only id k + 2 (past the special ids), so a token tells which line it came from.
        const lines = Array.from({ length: Math.ceil(n / 10) + 1 }, (_, k) =>
          Int32Array.from({ length: 1 + (k % 5) }, () => k + 2),
        );
        const parts = splitItems(lines, fraction, createRng(n));
        const idsIn = (part: Int32Array[]) => new Set(part.map((line) => line[0]));
        const [trainIds, valIds] = [idsIn(parts.train), idsIn(parts.val)];
        const seen = (part: Int32Array[]) =>
          part.length === 0
            ? []
            : [...new LineDataset(part).batches(batchSize, createRng(2), { dropRemainder: false })]
                .flatMap((b) => [...b.inputs, ...b.targets])
                .filter((id) => id >= 2);
        assert.ok(
          seen(parts.train).every((id) => trainIds.has(id) && !valIds.has(id)),
          'a training batch holds a validation line',
        );
        assert.ok(
          seen(parts.val).every((id) => valIds.has(id) && !trainIds.has(id)),
          'a validation batch holds a training line',
        );
      },
    ),
  );
});

test(`window and line batches say which corpus document each row \
comes from, across the validation split too (property)`, () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[ab]{1,12}$/), { minLength: 2, maxLength: 12 }),
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom(0.2, 0.4),
      (texts, seqLen, valFraction) => {
        const vocab = CharVocab.build(texts);
        const stream = vocab.encodeCorpus(texts);
        fc.pre(stream.length * (1 - valFraction) > seqLen + 2 && stream.length * valFraction > seqLen + 2);
        // The document of a stream position: the <eos> tokens up to and including it.
        const documentAt = (position: number) => stream.subarray(0, position + 1).filter((id) => id === EOS_ID).length;
        const data = prepareCharData(texts, { mode: 'windows', seqLen, valFraction, seed: 1 });
        const valOffset = stream.length - splitIds(stream, valFraction).val.length;
        for (const [part, offset] of [
          [data.train, 0],
          [data.val!, valOffset],
        ] as const) {
          // In stored order with one row per batch, batch k is the window starting at k·seqLen of the part.
          const windows = [...part.batches(1, null, { dropRemainder: false })];
          windows.forEach((batch, k) =>
            assert.equal(batch.documents![0], documentAt(offset + k * seqLen), `window ${k} at ${offset + k * seqLen}`),
          );
        }
        const lines = prepareCharData(texts, { mode: 'lines', seqLen: 20, valFraction, seed: 3 });
        for (const part of [lines.train, lines.val!]) {
          for (const batch of part.batches(1, null, { dropRemainder: false })) {
            const document = batch.documents![0];
            const encoded = vocab.encode(texts[document]);
            assert.deepEqual(
              [...batch.targets.subarray(0, encoded.length)],
              [...encoded],
              `line of document ${document}`,
            );
          }
        }
      },
    ),
    { numRuns: 60, seed: 5 },
  );
});

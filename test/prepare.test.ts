import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WindowDataset } from '../src/data';
import { prepareCharData, prepareWordData } from '../src/data/prepare';
import { CharVocab, WordVocab } from '../src/vocab';

test('char windows read compact ids (1 byte per character) and give the batches of the Int32Array stream', () => {
  const texts = ['héllo 👋🏽 世界, the whale.\n', 'Call me Ishmael.'];
  const data = prepareCharData(texts, { mode: 'windows', seqLen: 5, valFraction: 0.2, seed: 1 });
  const ids = CharVocab.build(texts).encodeCorpus(texts);
  const trainIds = ids.subarray(0, ids.length - Math.round(ids.length * 0.2));
  const batches = (dataset: WindowDataset | null) => [...dataset!.batches(3, null, { dropRemainder: false })];
  assert.deepEqual(batches(data.train as WindowDataset), batches(new WindowDataset(trainIds, { seqLen: 5 })));
});

test('characters per token is measured on a stream longer than one decoding slice, astral characters included', () => {
  const text = 'a👋b\n'.repeat(40_000); // 160 000 characters, more than 2 slices of 65 536
  const data = prepareCharData([text], { mode: 'windows', seqLen: 10, valFraction: 0, seed: 1 });
  assert.equal(data.charsPerToken, 1);
});

test('word characters per token are unchanged: the code points of the whole decoded validation text per token', () => {
  const texts = [
    'The whale, the white whale, swam on.',
    'Call me Ishmael. Some years ago I went to sea.',
    'The sea was calm; the whale was not.',
  ];
  const data = prepareWordData(texts, { mode: 'windows', seqLen: 3, valFraction: 0.4, seed: 1 });
  const ids = WordVocab.build(texts).encodeCorpus(texts);
  const val = ids.subarray(ids.length - Math.round(ids.length * 0.4));
  assert.equal(data.charsPerToken, Array.from(data.vocab.decode(val)).length / val.length);
});

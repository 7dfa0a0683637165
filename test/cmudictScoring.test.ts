import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadCorpus, withoutStress } from '../src/corpus';
import { editDistance, scoreTranslations } from '../src/sample';
import { UNK_ID, WordVocab } from '../src/vocab';

test('withoutStress: a CMUdict phoneme loses its stress digit, nothing else changes', () => {
  assert.deepEqual(['AH0', 'AH1', 'EY2', 'B', 'HH', 'a1', '1', 'X3'].map(withoutStress), [
    'AH',
    'AH',
    'EY',
    'B',
    'HH',
    'a1',
    '1',
    'X3',
  ]);
});

test('scoreTranslations: each output against its closest right target, stress ignored when asked', () => {
  const vocab = WordVocab.build(['T AH0 M EY1 T OW2 T AH0 M AA1 T OW2 R EH1 D R IY1 D K AE1 T AH1 AA0 EH2']);
  const output = (text: string) => ({ text, tokens: Array.from(vocab.encode(text)) });
  const pairs = [
    { source: 'tomato', target: 'T AH0 M EY1 T OW2', references: ['T AH0 M AA1 T OW2'] },
    { source: 'read', target: 'R EH1 D', references: ['R IY1 D'] },
    { source: 'cat', target: 'K AE1 T' },
  ];
  const outputs = ['T AH0 M AA1 T OW2', 'R AH0 D', 'K AE1'].map(output);
  const scores = scoreTranslations(vocab, pairs, outputs);
  assert.deepEqual(
    scores.results.map((r) => [r.reference, r.exact, r.edits]),
    [
      ['T AH0 M AA1 T OW2', true, 0],
      ['R EH1 D', false, 1], // a tie (1 edit each): the target first
      ['K AE1 T', false, 1],
    ],
  );
  assert.equal(scores.exactMatch, 1 / 3);
  assert.equal(scores.tokenErrorRate, 2 / 12);
  const single = scoreTranslations(
    vocab,
    pairs.map(({ source, target }) => ({ source, target })),
    outputs,
  );
  assert.equal(single.results[0].edits, 1, 'without references the other pronunciation is one substitution away');
  const unstressed = scoreTranslations(vocab, pairs, ['T AH1 M AA0 T OW2', 'R EH2 D', 'K AE1 T'].map(output), {
    tokenKey: withoutStress,
  });
  assert.equal(unstressed.exactMatch, 1);
  const withUnknown = { text: 'K <unk> T', tokens: [vocab.idOf('K'), UNK_ID, vocab.idOf('T')] };
  const unknown = scoreTranslations(vocab, [{ source: 'cot', target: 'K AA1 T' }], [withUnknown]);
  assert.deepEqual([unknown.results[0].exact, unknown.results[0].edits], [false, 1], 'AA1 is not in the vocabulary');
  assert.throws(() => scoreTranslations(vocab, pairs, outputs.slice(1)), /2 outputs for 3 pairs/);
});

test('editDistance: the Levenshtein distance (known cases, symmetric, bounded, zero only for equal sequences)', () => {
  assert.equal(editDistance([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(editDistance([], [4, 5]), 2);
  assert.equal(editDistance([1, 2, 3, 4], [2, 3, 5]), 2); // delete 1, substitute 4 → 5
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }),
      (a, b) => {
        const d = editDistance(a, b);
        assert.equal(d, editDistance(b, a));
        assert.ok(d >= Math.abs(a.length - b.length) && d <= Math.max(a.length, b.length));
        assert.equal(d === 0, a.join() === b.join());
      },
    ),
  );
});

test('the built-in cmudict corpus: word → phonemes pairs, one pronunciation per word, the others as references', async () => {
  const corpus = await loadCorpus('cmudict', {
    column: 'phonemes',
    sourceColumn: 'word',
    referencesColumn: 'alternatives',
  });
  assert.equal(corpus.texts.length, 123_874);
  const hello = corpus.sources!.indexOf('hello');
  assert.equal(corpus.texts[hello], 'HH AH0 L OW1');
  assert.deepEqual(corpus.references![hello], ['HH EH0 L OW1']);
  assert.deepEqual(corpus.references![corpus.sources!.indexOf('knights')], []);
  const either = corpus.sources!.indexOf('either');
  assert.deepEqual([corpus.texts[either], ...corpus.references![either]], ['IY1 DH ER0', 'AY1 DH ER0']);
  const withOthers = corpus.references!.filter((references) => references.length > 0).length;
  assert.ok(withOthers > 7_000 && withOthers < 9_000, `${withOthers} words with other pronunciations`);
  assert.ok(corpus.sources!.every((word) => /^[a-z][a-z']*$/.test(word)));
  await assert.rejects(
    loadCorpus('cmudict', { sourceColumn: 'word', split: 'line' }),
    /keeps each row one pair; drop the split 'line'/,
  );
  await assert.rejects(
    loadCorpus('cmudict', { sourceColumn: 'spelling' }),
    /Source column "spelling" is not in the corpus \(columns: word, phonemes, alternatives, phonemes_unstressed, /,
  );
  await assert.rejects(
    loadCorpus('cmudict', { sourceColumn: 'word', referencesColumn: 'others' }),
    /References column "others" is not in the corpus/,
  );
  await assert.rejects(loadCorpus('cmudict', { referencesColumn: 'alternatives' }), /name the source column/);
});

test('cmudict without stress: the same words in the same order, digits gone, alternatives that differ only in stress left out', async () => {
  const options = { sourceColumn: 'word', column: 'phonemes_unstressed', referencesColumn: 'alternatives_unstressed' };
  const [stressed, corpus] = await Promise.all([
    loadCorpus('cmudict', { sourceColumn: 'word', column: 'phonemes', referencesColumn: 'alternatives' }),
    loadCorpus('cmudict', options),
  ]);
  assert.deepEqual(corpus.sources, stressed.sources);
  assert.deepEqual(
    corpus.texts,
    stressed.texts.map((text) => text.split(' ').map(withoutStress).join(' ')),
  );
  assert.ok(corpus.texts.every((text) => !/\d/.test(text)));
  const hello = corpus.sources!.indexOf('hello');
  assert.equal(corpus.texts[hello], 'HH AH L OW');
  assert.deepEqual(corpus.references![hello], ['HH EH L OW']);
  const onlyStress = stressed.references!.findIndex(
    (others, i) =>
      others.length > 0 && others.every((o) => o.replace(/\d/g, '') === stressed.texts[i].replace(/\d/g, '')),
  );
  assert.ok(onlyStress >= 0, 'some word has alternatives that differ only in stress');
  assert.deepEqual(corpus.references![onlyStress], []);
  for (const [i, others] of corpus.references!.entries()) {
    assert.equal(new Set([corpus.texts[i], ...others]).size, others.length + 1, corpus.sources![i]);
  }
});

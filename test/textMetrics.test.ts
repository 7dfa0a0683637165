import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  distinctRatio,
  endingCycleLength,
  repeatedNgramShare,
  textMetrics,
  wordSet,
  wordsOf,
} from '../src/sample/textMetrics';
import { createRng } from '../src/random';

/** Length of the shortest string r with s = r repeated (the primitive root of s), in code points. */
function primitiveRootLength(s: string): number {
  const chars = Array.from(s);
  for (let d = 1; d < chars.length; d++) {
    if (chars.length % d === 0 && chars.every((c, i) => c === chars[i % d])) return d;
  }
  return chars.length;
}

test('wordsOf lower-cases Unicode words and keeps inner apostrophes and hyphens only', () => {
  assert.deepEqual(wordsOf("Don't stop -- the well-known 'tis, end-"), [
    "don't",
    'stop',
    'the',
    'well-known',
    'tis',
    'end',
  ]);
  const latin = wordsOf('Grüße, ÉCOLE! 3.14 x2 rock’n’roll');
  assert.deepEqual(latin, ['grüße', 'école', '3', '14', 'x2', 'rock’n’roll']);
  const others = wordsOf('cafe\u0301 Καλημέρα 東京 😀 a_b');
  assert.deepEqual(others, ['cafe\u0301', 'καλημέρα', '東京', 'a', 'b']);
  assert.deepEqual(wordsOf(' \n\t.,;!? '), []);
});

test('wordSet collects the words of every text', () => {
  assert.deepEqual([...wordSet(['The cat.', 'the DOG', ''])].sort(), ['cat', 'dog', 'the']);
});

test('distinct ratios and repeated n-grams, computed by hand', () => {
  const words = wordsOf('a b a b');
  assert.equal(distinctRatio(words, 1), 0.5);
  assert.equal(distinctRatio(words, 2), 2 / 3); // ab ba ab
  assert.equal(distinctRatio(words, 3), 1); // aba bab
  assert.equal(distinctRatio(words, 4), 1);
  assert.equal(distinctRatio(words, 5), null);
  assert.equal(repeatedNgramShare(words, 2), 1 / 3);
  assert.equal(repeatedNgramShare(words, 3), 0);
  assert.equal(repeatedNgramShare(['x', 'x', 'x', 'x', 'x'], 1), 0.8);
  assert.equal(repeatedNgramShare([], 1), null);
  // n-grams are compared as sequences, not as joined strings
  assert.equal(distinctRatio(['a b', 'c', 'a', 'b c'], 2), 1);
  assert.throws(() => distinctRatio(words, 0), /n-gram size must be a whole number >= 1, got 0/);
  assert.throws(() => repeatedNgramShare(words, 1.5), /n-gram size/);
});

test('a greedy-like looping text has the loop length as cycle length and mostly repeated 4-grams', () => {
  const loop = 'the company and a second ';
  const text = 'today of the second ' + loop.repeat(8) + 'the comp';
  const metrics = textMetrics(text);
  assert.equal(metrics.cycleLength, loop.length);
  assert.equal(metrics.words, 4 + 5 * 8 + 2);
  // 43 four-grams: 3 that touch "today of", the loop's 5, and "a second the comp" at the cut-off end
  assert.equal(metrics.repeated4grams, (43 - 9) / 43);
  assert.equal(metrics.distinct1, 8 / 46); // today of the second company and a comp
});

test('endingCycleLength needs three repetitions spanning minSpan characters at the very end', () => {
  assert.equal(endingCycleLength('abcabcabcabcabcabcabcabcabcabc'), 3); // 30 chars
  assert.equal(endingCycleLength('abcabcabcabcabcabcabcabcabcab'), null); // 29 chars < minSpan
  assert.equal(endingCycleLength('x'.repeat(40) + 'abcabcabc', { minSpan: 9 }), 3);
  assert.equal(endingCycleLength('abcdefghijabcdefghij', { minSpan: 1 }), null); // only two repetitions
  assert.equal(endingCycleLength('abcdefghij'.repeat(3), { minSpan: 1 }), 10);
  assert.equal(endingCycleLength('abcabcabc' + 'd', { minSpan: 1 }), null); // the loop has to reach the end
  assert.equal(endingCycleLength('Hello, we all will tell all well.'), null);
  assert.equal(endingCycleLength('word' + ' '.repeat(30)), 1);
  assert.equal(endingCycleLength(''), null);
  assert.throws(() => endingCycleLength('abc', { minSpan: 0 }), /minSpan must be a whole number >= 1, got 0/);
});

test('endingCycleLength counts code points, so astral characters count once', () => {
  const loop = '😀ab';
  assert.equal(loop.length, 4);
  assert.equal(endingCycleLength(loop.repeat(10)), 3);
  assert.equal(endingCycleLength('𝒳'.repeat(30)), 1);
  assert.equal(endingCycleLength('𝒳'.repeat(15)), null); // 30 UTF-16 units but 15 characters
  assert.deepEqual(wordsOf('𝒳YZ 😀 𐐀k'), ['𝒳yz', '𐐨k']); // astral letters belong to words, emoji do not
});

test('random-letter gibberish has no cycle and few words known to the corpus', () => {
  const rng = createRng(5);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz ';
  const gibberish = Array.from({ length: 400 }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
  const corpus = wordSet(['the quick brown fox jumps over the lazy dog and a company of the second day']);
  const metrics = textMetrics(gibberish, corpus);
  assert.equal(metrics.cycleLength, null);
  assert.ok(metrics.knownWords !== null && metrics.knownWords < 0.1, `knownWords ${metrics.knownWords}`);
  assert.ok(metrics.words > 5);
  assert.equal(metrics.distinct1, 1);
  assert.equal(metrics.repeated4grams, 0);
  assert.equal(textMetrics('The fox and THE dog ran', corpus).knownWords, 5 / 6);
});

test('empty text and too few words give 0 words and nulls', () => {
  assert.deepEqual(textMetrics('', new Set(['a'])), {
    words: 0,
    distinct1: null,
    distinct2: null,
    distinct3: null,
    repeated4grams: null,
    cycleLength: null,
    knownWords: null,
  });
  assert.deepEqual(textMetrics(' ... '), textMetrics(''));
  const two = textMetrics('to be');
  assert.deepEqual(
    [two.words, two.distinct1, two.distinct2, two.distinct3, two.repeated4grams, two.knownWords],
    [2, 1, 1, null, null, null],
  );
});

test('property: a repeated string ends in a loop whose length is its primitive root', () => {
  const unit = fc.constantFrom('a', 'b', ' ', 'é', '😀', '\n');
  fc.assert(
    fc.property(
      fc.string({ unit, minLength: 1, maxLength: 12 }),
      fc.string({ unit, maxLength: 10 }),
      fc.integer({ min: 3, max: 6 }),
      (s, prefix, k) => {
        const size = Array.from(s).length;
        const text = prefix + s.repeat(k);
        // With a span of at least twice the string, no shorter accidental period fits (Fine–Wilf).
        assert.equal(endingCycleLength(text, { minSpan: 2 * size }), primitiveRootLength(s));
      },
    ),
  );
});

test('property: with default options a long enough repetition ends in a loop no longer than the string', () => {
  const unit = fc.constantFrom('a', 'b', 'c', ' ', '😀');
  fc.assert(
    fc.property(fc.string({ unit, minLength: 1, maxLength: 20 }), fc.integer({ min: 4, max: 8 }), (s, k) => {
      const chars = Array.from(s.repeat(k));
      fc.pre(chars.length >= 30);
      const p = endingCycleLength(s.repeat(k));
      assert.ok(p !== null && p <= Array.from(s).length, `cycle ${p} for "${s}" × ${k}`);
      const span = Math.max(3 * p, 30);
      for (let i = chars.length - span + p; i < chars.length; i++) assert.equal(chars[i], chars[i - p]);
    }),
  );
});

test('property: distinct ratios lie in (0, 1] and repeated shares in [0, 1)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 40 }),
      fc.integer({ min: 1, max: 5 }),
      (items, n) => {
        const distinct = distinctRatio(items, n);
        const repeated = repeatedNgramShare(items, n);
        if (items.length < n) {
          assert.deepEqual([distinct, repeated], [null, null]);
        } else {
          assert.ok(distinct !== null && distinct > 0 && distinct <= 1);
          assert.ok(repeated !== null && repeated >= 0 && repeated < 1);
          assert.ok(Math.abs(distinct + repeated - 1) < 1e-12);
        }
      },
    ),
  );
});

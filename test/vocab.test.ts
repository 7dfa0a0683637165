import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CharVocab, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, UNK_REPLACEMENT } from '../src/vocab';

const SAMPLE = 'héllo 👋🏽 世界';

test('specials come first at 0, 1, 2', () => {
  const vocab = CharVocab.build(['abc']);
  assert.deepEqual(vocab.tokens.slice(0, 3), ['<pad>', '<eos>', '<unk>']);
  assert.deepEqual([PAD_ID, EOS_ID, UNK_ID], [0, 1, 2]);
  assert.equal(vocab.idOf('<pad>'), PAD_ID);
  assert.equal(vocab.idOf('<eos>'), EOS_ID);
  assert.equal(vocab.idOf('<unk>'), UNK_ID);
  assert.equal(vocab.size, 6);
});

test('characters are ordered by descending count, ties by code point, whatever the text order', () => {
  const texts = ['banana', 'cab', '𝒜 z', 'zz']; // a:4 z:3 b:2 n:2, then ' ' c 𝒜 once each
  const vocab = CharVocab.build(texts);
  assert.deepEqual(vocab.tokens.slice(3), ['a', 'z', 'b', 'n', ' ', 'c', '𝒜']);
  const reordered = CharVocab.build([...texts].reverse());
  assert.deepEqual(reordered.tokens, vocab.tokens);
});

test('ties between a BMP character above the surrogate range and an astral one follow code points', () => {
  // UTF-16 comparison would put '😀' (0xD83D...) before '\uFFEE'; code point order puts it after.
  const vocab = CharVocab.build(['😀\uFFEE']);
  assert.deepEqual(vocab.tokens.slice(3), ['\uFFEE', '😀']);
});

test('emoji and CJK round trip, one id per code point', () => {
  const vocab = CharVocab.build([SAMPLE]);
  const ids = vocab.encode(SAMPLE);
  assert.equal(ids.length, [...SAMPLE].length);
  assert.ok(!ids.includes(UNK_ID));
  assert.equal(vocab.decode(ids), SAMPLE);
  assert.ok(vocab.tokens.includes('👋') && vocab.tokens.includes('🏽') && vocab.tokens.includes('界'));
  for (const token of vocab.tokens.slice(3)) assert.equal([...token].length, 1);
});

test('unknown characters encode to unk and decode to the replacement character', () => {
  const vocab = CharVocab.build(['abc']);
  assert.deepEqual([...vocab.encode('axb🙂')], [vocab.idOf('a'), UNK_ID, vocab.idOf('b'), UNK_ID]);
  assert.equal(vocab.idOf('x'), UNK_ID);
  assert.equal(vocab.decode(vocab.encode('axb')), `a${UNK_REPLACEMENT}b`);
});

test('decode: pad gives nothing, eos gives a newline or stops', () => {
  const vocab = CharVocab.build(['ab']);
  const a = vocab.idOf('a');
  const b = vocab.idOf('b');
  assert.equal(vocab.decode([a, PAD_ID, b, EOS_ID, a]), 'ab\na');
  assert.equal(vocab.decode([a, b, EOS_ID, a], { stopAtEos: true }), 'ab');
  assert.throws(() => vocab.decode([a, 99]), /outside this vocabulary \(ids 0\.\.4\)/);
  assert.throws(() => vocab.tokenOf(-1), /load the vocabulary saved/);
  assert.equal(vocab.tokenOf(a), 'a');
});

test('minCount drops rare characters, maxSize caps the size including specials', () => {
  const texts = ['aaaa', 'bbb', 'cc', 'd'];
  assert.deepEqual(CharVocab.build(texts, { minCount: 2 }).tokens.slice(3), ['a', 'b', 'c']);
  const capped = CharVocab.build(texts, { maxSize: 5 });
  assert.equal(capped.size, 5);
  assert.deepEqual(capped.tokens.slice(3), ['a', 'b']);
  assert.deepEqual([...capped.encode('abcd')], [3, 4, UNK_ID, UNK_ID]);
  assert.equal(CharVocab.build(texts, { maxSize: 100 }).size, 7);
});

test('build rejects bad options and empty or non-string input with clear messages', () => {
  assert.throws(() => CharVocab.build(['a'], { minCount: 0 }), /minCount must be a whole number >= 1/);
  assert.throws(() => CharVocab.build(['a'], { maxSize: 3 }), /maxSize must be a whole number >= 4/);
  assert.throws(() => CharVocab.build(['', '']), /contain no characters/);
  assert.throws(() => CharVocab.build(['ab'], { minCount: 5 }), /most frequent occurs 1 times\)\. Lower minCount/);
  assert.throws(() => CharVocab.build(['a', null as unknown as string]), /Text 1 is null, not a string/);
});

test('encodeCorpus puts eos after each document in one flat array', () => {
  const vocab = CharVocab.build(['ab', '👋']);
  const ids = vocab.encodeCorpus(['ab', '', '👋a']);
  const a = vocab.idOf('a');
  const b = vocab.idOf('b');
  const wave = vocab.idOf('👋');
  assert.ok(ids instanceof Int32Array);
  assert.deepEqual([...ids], [a, b, EOS_ID, EOS_ID, wave, a, EOS_ID]);
  assert.equal(vocab.decode(ids, { stopAtEos: false }), 'ab\n\n👋a\n');
});

test('JSON round trip keeps tokens and ids', () => {
  const vocab = CharVocab.build([SAMPLE, 'more text']);
  const json = JSON.parse(JSON.stringify(vocab)) as unknown;
  assert.deepEqual(json, { kind: 'char', version: 1, tokens: [...vocab.tokens] });
  const restored = CharVocab.fromJSON(json);
  assert.deepEqual(restored.tokens, vocab.tokens);
  assert.deepEqual(restored.encode(SAMPLE), vocab.encode(SAMPLE));
});

test('fromJSON says what is wrong', () => {
  const good = CharVocab.build(['ab']).toJSON();
  const cases: [unknown, RegExp][] = [
    [null, /Expected a saved char vocabulary .* got null/],
    [[], /got an array/],
    [{ ...good, kind: 'word' }, /kind 'char'\), got kind "word"/],
    [{ ...good, version: 2 }, /Unsupported char vocabulary version number 2/],
    [{ ...good, tokens: 'abc' }, /tokens .* must be an array of strings, got "abc"/],
    [{ ...good, tokens: [...good.tokens, 7] }, /Token 5 .* must be a string, got number 7/],
    [{ ...good, tokens: [...good.tokens, 'a'] }, /Token "a" appears twice .* \(ids 3 and 5\)/],
    [{ ...good, tokens: ['<eos>', '<pad>', '<unk>', 'a'] }, /Id 0 .* must be the special token <pad>, got "<eos>"/],
    [{ ...good, tokens: ['<pad>', '<eos>'] }, /Id 2 .* must be the special token <unk>, got nothing/],
    [{ ...good, tokens: [...SPECIAL_TOKENS, 'ab'] }, /Token 3 .* is "ab" \(2 characters\)/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => CharVocab.fromJSON(json), message, JSON.stringify(json));
  }
});

/** Strings of any UTF-16 code units: astral pairs and lone surrogates included. */
const utf16String = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) });

test('property: encode/decode round-trips any string whose characters are in the vocab', () => {
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), utf16String);
  fc.assert(
    fc.property(fc.array(text, { minLength: 1 }), (texts) => {
      fc.pre(texts.some((t) => t.length > 0));
      const vocab = CharVocab.build(texts);
      const restored = CharVocab.fromJSON(JSON.parse(JSON.stringify(vocab)));
      for (const t of texts) {
        const ids = vocab.encode(t);
        assert.equal(ids.length, [...t].length);
        assert.ok(!ids.includes(UNK_ID));
        assert.equal(vocab.decode(ids), t);
        assert.deepEqual(restored.encode(t), ids);
      }
      assert.equal(vocab.decode(vocab.encodeCorpus(texts)), texts.map((t) => `${t}\n`).join(''));
    }),
    { numRuns: 300 },
  );
});

test('encodeCorpusCompact gives the ids of encodeCorpus in the smallest array: 1 byte up to 256 tokens, else 2', () => {
  const texts = ['ab', '', '👋a'];
  const small = CharVocab.build(texts);
  const compact = small.encodeCorpusCompact(texts);
  assert.ok(compact instanceof Uint8Array);
  assert.deepEqual(Array.from(compact), Array.from(small.encodeCorpus(texts)));
  const many = [Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('') + '👋'];
  const large = CharVocab.build(many);
  const wide = large.encodeCorpusCompact(many);
  assert.ok(wide instanceof Uint16Array);
  assert.deepEqual(Array.from(wide), Array.from(large.encodeCorpus(many)));
  assert.ok(Math.max(...wide) > 255);
});

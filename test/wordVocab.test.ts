import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { vocabularyFromJSON } from '../src/vocab';
import {
  CharVocab,
  EOS_ID,
  PAD_ID,
  PARAGRAPH_BREAK,
  SPECIAL_TOKENS,
  UNK_ID,
  unknownTokens,
  WordVocab,
  detokenizeWords,
  joinToken,
  tokenizeWords,
} from '../src/vocab';

/** Sentences that must survive tokenize → detokenize unchanged (prose, dialogue, numbers, brackets, quotes). */
const ROUND_TRIP_SENTENCES = [
  '"Call me Ishmael," said he.',
  'Some years ago—never mind how long precisely—having little or no money in my purse, and nothing ' +
    'particular to interest me on shore, I thought I would sail about a little and see the watery part of the ' +
    'world.',
  "Don't stop—now!",
  "It's a well-known fact that 3.14 is close to pi (but not equal to it).",
  'The U.S. economy grew 2.5% in 1999; exports rose to $1,000,000.',
  '“Hi,” she said, ‘are you there?’',
  'He asked: "Where are you going?" and left.',
  'Wait... what… really?!',
  '"Who\'s over me? Why, unless I have the most dreadful luck—"',
  "I can't, won't, and shouldn't [see note 3].",
  'Emoji 👋🏽 and flags 🇫🇷 are single tokens, and so is 👨‍👩‍👧.',
  'She lived at 221B Baker St. in London {in 1881}.',
  "Rock 'n' roll is here to stay.",
  "Ahab's harpoon—the one forged in fire—flew and/or fell.",
  'First paragraph.\n\nSecond paragraph, "quoted."',
  'Café, naïve and Zürich are fine.',
  '“I’m going,” he said. “Don’t wait.”',
  '"Stand by for a sperm whale!" cried Stubb; "there she blows!"',
  'Mr. Smith paid £5 for #42 (a bargain).',
  '"Look here," said I; "I\'m a \'sailor\' now."',
  "The dogs' bones and the whales' tails.",
  "We was goin' home, 'cause of 'em.",
  'Said he, ’tis so.',
  "He said 'hi.\n\n'Tis true,' she said.",
  '¿Qué? ¡Sí! It was 1851—e.g. the year of Moby-Dick.',
];

test('tokenizeWords splits words and punctuation the way ICU word boundaries do', () => {
  assert.deepEqual(tokenizeWords("Don't stop—now!"), ["Don't", 'stop', '—', 'now', '!']);
  assert.deepEqual(tokenizeWords('a well-known 3.14, 1,000 U.S. e.g. x'), [
    'a',
    'well',
    '-',
    'known',
    '3.14',
    ',',
    '1,000',
    'U.S',
    '.',
    'e.g',
    '.',
    'x',
  ]);
  assert.deepEqual(tokenizeWords('“Hi,” ‘ok’ "yes" \'no\''), [
    '“',
    'Hi',
    ',',
    '”',
    '‘',
    'ok',
    '’',
    '"',
    'yes',
    '"',
    "'",
    'no',
    "'",
  ]);
  assert.deepEqual(tokenizeWords('wait... what…'), ['wait', '.', '.', '.', 'what', '…']);
  assert.deepEqual(tokenizeWords("people's don’t"), ["people's", 'don’t']);
});

test('emoji and other astral characters are whole tokens, never UTF-16 halves', () => {
  const tokens = tokenizeWords('hi 👋🏽 🇫🇷 👨‍👩‍👧 😀😀 𝒜𝒷𝒸');
  assert.deepEqual(tokens, ['hi', '👋🏽', '🇫🇷', '👨‍👩‍👧', '😀', '😀', '𝒜𝒷𝒸']);
  const vocab = WordVocab.build(['hi 👋🏽 🇫🇷 👨‍👩‍👧 😀 𝒜𝒷𝒸']);
  const text = 'hi 😀 👨‍👩‍👧 𝒜𝒷𝒸 👋🏽';
  assert.ok(!vocab.encode(text).includes(UNK_ID));
  assert.equal(vocab.decode(vocab.encode(text)), text);
});

test('whitespace is dropped except paragraph breaks, which become one token', () => {
  assert.deepEqual(tokenizeWords('a  b\tc\nd'), ['a', 'b', 'c', 'd']);
  for (const gap of ['\n\n', '\n\n\n\n', '\n \n', '\r\n\r\n', '\r\r', '\u2029\u2029', ' \n\t\n ']) {
    assert.deepEqual(tokenizeWords(`One.${gap}Two.`), ['One', '.', PARAGRAPH_BREAK, 'Two', '.'], JSON.stringify(gap));
  }
  assert.deepEqual(tokenizeWords('\n\n  Start.\n\n\n'), ['Start', '.']);
  assert.deepEqual(tokenizeWords(' \n\n '), []);
  assert.equal(PARAGRAPH_BREAK, '\n\n');
});

test('lowercase lower-cases every token', () => {
  const lowered = tokenizeWords('The CAT, Ünïcode İ', { lowercase: true });
  assert.deepEqual(lowered, ['the', 'cat', ',', 'ünïcode', 'i̇']);
});

test('typical sentences round-trip through tokenize and detokenize', () => {
  for (const sentence of ROUND_TRIP_SENTENCES) {
    assert.equal(detokenizeWords(tokenizeWords(sentence)), sentence);
  }
});

test('long texts round-trip too (ICU sees them in pieces)', () => {
  const book = Array.from({ length: 20 }, () => ROUND_TRIP_SENTENCES.join(' ')).join(' ');
  assert.ok(book.length > 20_000);
  assert.equal(detokenizeWords(tokenizeWords(book)), book);
});

test('documented cases that do not round-trip', () => {
  const cases: [string, string][] = [
    ['a  b\tc', 'a b c'], // whitespace runs collapse
    ['line one\nline two', 'line one line two'], // a single line break is a space
    ['a\n\n\n\nb', 'a\n\nb'], // a paragraph break is one blank line
    ['  padded  ', 'padded'],
    ['pages 10 - 20 — or more', 'pages 10-20—or more'], // spaced dashes lose their spaces
    ['a+b 10:30 😀😀', 'a + b 10: 30 😀 😀'], // symbols without spaces gain them
    ['日本語のテキスト', '日本語 の テキスト'], // scripts without spaces gain them
  ];
  for (const [text, expected] of cases) assert.equal(detokenizeWords(tokenizeWords(text)), expected);
});

test('detokenizeWords spacing rules', () => {
  const cases: [string[], string][] = [
    [['(', 'a', ')', '[', 'b', ']', '{', 'c', '}'], '(a) [b] {c}'],
    [['a', ',', 'b', ';', 'c', ':', 'd', '!', '?', '.'], 'a, b; c: d!?.'],
    [['"', 'a', '"', 'b', '"', 'c', '"'], '"a" b "c"'],
    [["'", 'a', "'", 'b', "'", 'c', "'"], "'a' b 'c'"],
    [['“', 'a', '”', '‘', 'b', '’', 'c', '…'], '“a” ‘b’ c…'],
    [['x', '—', 'y', '–', 'z', '-', 'w', '/', 'v'], 'x—y–z-w/v'],
    [['$', '5', '£', '3', '€', '4', '#', '1', '50', '%'], '$5 £3 €4 #1 50%'],
    [['a', '.', '\n', 'b', PARAGRAPH_BREAK, 'c'], 'a.\nb\n\nc'],
    // an open quote is forgotten at a line break: the next '"' opens again
    [['"', 'a', '\n', '"', 'b', '"'], '"a\n"b"'],
    [['a', '', 'b', '<unk>', '.'], 'a b <unk>.'],
    [[], ''],
  ];
  for (const [tokens, expected] of cases) assert.equal(detokenizeWords(tokens), expected, JSON.stringify(tokens));
});

/** Tokens of every spacing kind, including line breaks, straight quotes and an empty token. */
const anyToken = fc.constantFrom(
  'the',
  'Whale',
  "don't",
  '3.14',
  '👋🏽',
  '<unk>',
  '.',
  ',',
  '!',
  ')',
  ']',
  '”',
  '’',
  '…',
  '%',
  '(',
  '[',
  '“',
  '‘',
  '$',
  '#',
  '-',
  '—',
  '/',
  '"',
  "'",
  '\n',
  PARAGRAPH_BREAK,
  '',
  '+',
  '*',
);

test('property: joinToken pieces add up to detokenizeWords, token by token', () => {
  fc.assert(
    fc.property(fc.array(anyToken, { maxLength: 40 }), (tokens) => {
      let streamed = '';
      tokens.forEach((token, i) => {
        const previous = tokens.slice(0, i);
        const piece = joinToken(previous, token);
        assert.equal(detokenizeWords(previous) + piece, detokenizeWords(tokens.slice(0, i + 1)));
        streamed += piece;
      });
      assert.equal(streamed, detokenizeWords(tokens));
    }),
    { numRuns: 300 },
  );
});

test('property: tokens lose nothing but whitespace, hold none, and are never empty', () => {
  assert.deepEqual(
    tokenizeWords('゠  a'),
    ['゠', 'a'],
    'ICU glues the spaces after "゠" onto it (found by this property)',
  );
  const unit = fc.oneof(
    fc.constantFrom(
      ' ',
      '\n',
      '\n\n',
      '\r\n',
      '\t',
      "'",
      '’',
      '"',
      '—',
      '-',
      '.',
      ',',
      '😀',
      '👋🏽',
      'é',
      '\u0301',
      '\u00a0',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }),
  );
  fc.assert(
    fc.property(fc.array(unit, { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      const tokens = tokenizeWords(text);
      for (const token of tokens) {
        assert.ok(token !== '');
        assert.ok(token === PARAGRAPH_BREAK || !/\p{White_Space}/u.test(token), JSON.stringify(token));
      }
      const withoutSpace = (s: string) => s.replace(/\p{White_Space}+/gu, '');
      assert.equal(tokens.filter((t) => t !== PARAGRAPH_BREAK).join(''), withoutSpace(text));
    }),
    { numRuns: 300 },
  );
});

test('WordVocab ids: specials, then descending count, ties in string order, whatever the text order', () => {
  const texts = ['the cat. The cat!', 'a cat'];
  const vocab = WordVocab.build(texts);
  assert.equal(vocab.unit, 'word');
  assert.deepEqual(vocab.tokens, [...SPECIAL_TOKENS, 'cat', '!', '.', 'The', 'a', 'the']);
  assert.equal(vocab.size, 9);
  assert.deepEqual(WordVocab.build([...texts].reverse()).tokens, vocab.tokens);
  assert.deepEqual([...vocab.encode('The cat!')], [6, 3, 4]);
  assert.equal(vocab.idOf('cat'), 3);
  assert.equal(vocab.tokenOf(8), 'the');
});

test('unseen words map to <unk>, which decodes as "<unk>"', () => {
  const vocab = WordVocab.build(['the cat sat.']);
  const ids = vocab.encode('the dog sat on the mat.');
  assert.deepEqual(
    [...ids],
    [vocab.idOf('the'), UNK_ID, vocab.idOf('sat'), UNK_ID, vocab.idOf('the'), UNK_ID, vocab.idOf('.')],
  );
  assert.equal(vocab.idOf('dog'), UNK_ID);
  assert.equal(vocab.decode(ids), 'the <unk> sat <unk> the <unk>.');
});

test('minCount drops rare words, maxSize caps the size including specials', () => {
  const texts = ['a a a a b b b c c d'];
  assert.deepEqual(WordVocab.build(texts, { minCount: 2 }).tokens.slice(3), ['a', 'b', 'c']);
  const capped = WordVocab.build(texts, { maxSize: 5 });
  assert.equal(capped.size, 5);
  assert.deepEqual(capped.tokens.slice(3), ['a', 'b']);
  assert.deepEqual([...capped.encode('a b c d')], [3, 4, UNK_ID, UNK_ID]);
  assert.equal(WordVocab.build(texts, { maxSize: 100 }).size, 7);
});

test('build rejects bad options and empty or non-string input with clear messages', () => {
  assert.throws(
    () => WordVocab.build(['a'], { minCount: 0 }),
    /minCount must be a whole number >= 1, got 0\. Use 1 to keep every word/,
  );
  assert.throws(
    () => WordVocab.build(['a'], { maxSize: 3 }),
    /maxSize must be a whole number >= 4 .*at least one word/,
  );
  assert.throws(() => WordVocab.build(['', ' \n\n ']), /the texts contain no words/);
  assert.throws(
    () => WordVocab.build(['a b'], { minCount: 5 }),
    /No word occurs at least minCount=5 times \(the most frequent occurs 1 times\)/,
  );
  assert.throws(() => WordVocab.build(['a', null as unknown as string]), /Text 1 is null, not a string/);
  assert.throws(
    () => WordVocab.build(['a'], { lowercase: 'yes' as unknown as boolean }),
    /lowercase must be true or false, got "yes"/,
  );
  assert.throws(
    () => WordVocab.build(['a']).encodeCorpus(['a', 3 as unknown as string]),
    /Text 1 is number, not a string/,
  );
});

test('lowercase vocabularies fold case when building, encoding and looking up', () => {
  const vocab = WordVocab.build(['The cat. the CAT!'], { lowercase: true });
  assert.equal(vocab.lowercase, true);
  assert.deepEqual(vocab.tokens.slice(3), ['cat', 'the', '!', '.']);
  assert.deepEqual([...vocab.encode('THE Cat')], [4, 3]);
  assert.equal(vocab.idOf('Cat'), 3);
  assert.equal(vocab.decode(vocab.encode('The Cat!')), 'the cat!');
  assert.equal(WordVocab.build(['The cat. the CAT!']).idOf('Cat'), UNK_ID);
});

test('encodeCorpus puts <eos> after each document; decode handles pad, eos and stopAtEos', () => {
  const vocab = WordVocab.build(['Hello, world.', 'Bye!']);
  const ids = vocab.encodeCorpus(['Hello, world.', '', 'Bye!']);
  const id = (token: string) => vocab.idOf(token);
  assert.ok(ids instanceof Int32Array);
  assert.deepEqual([...ids], [id('Hello'), id(','), id('world'), id('.'), EOS_ID, EOS_ID, id('Bye'), id('!'), EOS_ID]);
  assert.equal(vocab.decode(ids), 'Hello, world.\n\nBye!\n');
  assert.equal(vocab.decode(ids, { stopAtEos: true }), 'Hello, world.');
  assert.equal(vocab.decode([PAD_ID, id('Bye'), PAD_ID, id('!')]), 'Bye!');
  assert.throws(() => vocab.decode([id('Bye'), 99]), /Token id 99 is outside this vocabulary \(ids 0\.\.8\)/);
  assert.throws(() => vocab.tokenOf(1.5), /load the vocabulary saved with that model/);
});

test('counts() reports every token seen, dropped ones included, most frequent first', () => {
  const vocab = WordVocab.build(['b a b. c b a'], { maxSize: 5 });
  assert.deepEqual(
    [...vocab.counts()],
    [
      ['b', 3],
      ['a', 2],
      ['.', 1],
      ['c', 1],
    ],
  );
  assert.deepEqual(vocab.tokens.slice(3), ['b', 'a']);
});

test('JSON round trip keeps tokens, ids and the lowercase flag, but not the counts', () => {
  const texts = ['“Call me Ishmael,” he said.\n\nSome years ago—never mind.'];
  for (const lowercase of [false, true]) {
    const vocab = WordVocab.build(texts, { lowercase });
    const json = JSON.parse(JSON.stringify(vocab)) as unknown;
    assert.deepEqual(json, { kind: 'word', version: 1, tokens: [...vocab.tokens], lowercase });
    const restored = WordVocab.fromJSON(json);
    assert.deepEqual(restored.tokens, vocab.tokens);
    assert.equal(restored.lowercase, lowercase);
    assert.deepEqual(restored.encode(texts[0]), vocab.encode(texts[0]));
    assert.throws(
      () => restored.counts(),
      /restored from JSON, which does not save token counts\. Rebuild it with WordVocab\.build/,
    );
  }
});

test('fromJSON says what is wrong', () => {
  const good = WordVocab.build(['a b']).toJSON();
  const cases: [unknown, RegExp][] = [
    [null, /Expected a saved word vocabulary .* got null/],
    [CharVocab.build(['ab']).toJSON(), /kind 'word'\), got kind "char"/],
    [{ ...good, version: 2 }, /Unsupported word vocabulary version number 2/],
    [{ ...good, tokens: [...good.tokens, 7] }, /Token 5 .* must be a string, got number 7/],
    [{ ...good, tokens: ['<pad>', '<unk>', '<eos>', 'a'] }, /Id 1 .* must be the special token <eos>/],
    [{ ...good, lowercase: undefined }, /lowercase flag .* must be true or false, got nothing/],
    [{ ...good, lowercase: 'no' }, /lowercase flag .* must be true or false, got "no"/],
    [
      { ...good, tokens: [...good.tokens, 'two words'] },
      /Token 5 .* is "two words"; word tokens are not empty and hold no whitespace/,
    ],
    [{ ...good, tokens: [...good.tokens, ''] }, /Token 5 .* is ""/],
    [
      { ...good, lowercase: true, tokens: [...good.tokens, 'Ahab'] },
      /Token 5 .* "Ahab", not lower-case, but the vocabulary says lowercase: true/,
    ],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => WordVocab.fromJSON(json), message, JSON.stringify(json));
  }
  assert.equal(WordVocab.fromJSON({ ...good, tokens: [...good.tokens, PARAGRAPH_BREAK] }).idOf(PARAGRAPH_BREAK), 5);
});

test('property: decodeStep pieces add up to decode, for word and char vocabularies', () => {
  const corpus = ROUND_TRIP_SENTENCES.join('\n\n');
  for (const vocab of [WordVocab.build([corpus]), CharVocab.build([corpus])]) {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: vocab.size - 1 }), { maxLength: 40 }), (ids) => {
        let streamed = '';
        ids.forEach((id, i) => {
          const previous = ids.slice(0, i);
          const piece = vocab.decodeStep(previous, id);
          assert.equal(vocab.decode(previous) + piece, vocab.decode(ids.slice(0, i + 1)));
          streamed += piece;
        });
        assert.equal(streamed, vocab.decode(ids));
      }),
      { numRuns: 200 },
    );
  }
});

test('decodeStep spaces a generated word after the prompt', () => {
  const vocab = WordVocab.build(['"Call me Ishmael," said he.']);
  const prompt = [EOS_ID, ...vocab.encode('"Call me')];
  assert.equal(vocab.decodeStep(prompt, vocab.idOf('Ishmael')), ' Ishmael');
  assert.equal(vocab.decodeStep([...prompt, vocab.idOf('Ishmael')], vocab.idOf(',')), ',');
  assert.equal(vocab.decodeStep([...prompt, vocab.idOf('Ishmael'), vocab.idOf(',')], vocab.idOf('"')), '"');
  assert.equal(vocab.decodeStep(prompt, PAD_ID), '');
  assert.equal(CharVocab.build(['ab']).decodeStep([3], 4), 'b');
});

test('vocabularyFromJSON restores word and char vocabularies by kind', () => {
  const word = WordVocab.build(['Call me Ishmael.'], { lowercase: true });
  const restored = vocabularyFromJSON(JSON.parse(JSON.stringify(word)));
  assert.ok(restored instanceof WordVocab);
  assert.equal(restored.unit, 'word');
  assert.deepEqual(restored.tokens, word.tokens);
  assert.equal(restored.lowercase, true);
  const char = vocabularyFromJSON(CharVocab.build(['ab']).toJSON());
  assert.ok(char instanceof CharVocab);
  assert.equal(char.unit, 'char');
  assert.throws(() => vocabularyFromJSON({ ...word.toJSON(), kind: 'bpe' }), /Unknown vocabulary kind "bpe"/);
});

test('unknownTokens lists the prompt tokens a vocabulary would read as <unk>, by its unit', () => {
  const texts = ['The whale swam.', 'Call me Ishmael.'];
  assert.deepEqual(unknownTokens(WordVocab.build(texts), 'The zebra swam, the zebra!'), ['zebra', ',', 'the', '!']);
  assert.deepEqual(unknownTokens(WordVocab.build(texts, { lowercase: true }), 'THE WHALE'), []);
  assert.deepEqual(unknownTokens(CharVocab.build(texts), 'The 🐋 whale zz'), ['🐋', 'z']);
});

test('encodeCorpusCompact gives the ids of encodeCorpus in the smallest array', () => {
  const texts = ['Hello, world.', '', 'Bye!'];
  const vocab = WordVocab.build(texts);
  const compact = vocab.encodeCorpusCompact(texts);
  assert.ok(compact instanceof Uint8Array);
  assert.deepEqual(Array.from(compact), Array.from(vocab.encodeCorpus(texts)));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeUtf8, describeTextIssues } from '../src/corpus/textDecoding';

const CLEAN =
  'L’école d’été — « Ça va… » Straße, Ærø, naïve café, ¿Qué pasa? ¡Olé! Привет, ' +
  'мир. Καλημέρα. 你好，世界。 😀 ' +
  '“quoted” ‘single’ 5 € £ ¥ © ® ™ … à la carte, Voilà…à bientôt. Ó’Brien';
const WINDOWS_1252_HIGH =
  '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f' + // 0x80–0x8F
  '\u0090‘’“”•–—˜™š›œ\u009džŸ'; // 0x90–0x9F

/** UTF-8 text misread as a legacy encoding and saved again as UTF-8: the bytes of real mojibake files. */
const misread = {
  'Windows-1252': (text: string) =>
    Array.from(Buffer.from(text), (b) =>
      b >= 0x80 && b < 0xa0 ? WINDOWS_1252_HIGH[b - 0x80] : String.fromCharCode(b),
    ).join(''),
  'Latin-1': (text: string) => Buffer.from(text).toString('latin1'),
  'Mac Roman': (text: string) => new TextDecoder('macintosh').decode(Buffer.from(text)),
};

test('clean UTF-8 in many scripts: no issue reported, text unchanged (byte-order mark dropped)', () => {
  const { text, issues } = decodeUtf8(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CLEAN)]));
  assert.equal(text, CLEAN);
  assert.deepEqual(issues, { byteOrderMark: null, invalidUtf8: null, mojibake: null });
});

test('invalid UTF-8: each ill-formed sequence becomes one U+FFFD, counted, with the first offset', () => {
  const bytes = Buffer.concat([
    Buffer.from('abc'),
    Buffer.from([0xff]),
    Buffer.from('d'),
    Buffer.from([0xe2, 0x82]),
    Buffer.from('é'),
    Buffer.from([0xc3]),
  ]);
  const { text, issues } = decodeUtf8(bytes);
  assert.equal(text, 'abc\uFFFDd\uFFFDé\uFFFD');
  assert.deepEqual(issues.invalidUtf8, { count: 3, firstOffset: 3 });
  assert.match(
    describeTextIssues(issues, 'f.txt')[0],
    new RegExp(
      String.raw`f\.txt: 3 invalid UTF-8 sequences \(first at byte 3\) replaced by "\uFFFD"\. ` +
        String.raw`If the file is not UTF-8, convert it first`,
    ),
  );
});

test('property: the count of invalid sequences equals the U+FFFD the standard decoder inserts', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const { text, issues } = decodeUtf8(bytes);
      const expected = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
      const replacements = [...expected].filter((c) => c === '\uFFFD').length;
      assert.equal(issues.invalidUtf8?.count ?? 0, replacements);
      if (bytes[0] !== 0xef) assert.equal(text, expected);
    }),
  );
});

test(`mojibake from Windows-1252, Latin-1 and Mac Roman \
misreadings is detected with examples and repaired exactly`, () => {
  for (const [name, misreadAs] of Object.entries(misread)) {
    const broken = misreadAs(CLEAN);
    const found = decodeUtf8(Buffer.from(broken));
    assert.equal(found.text, broken, `${name}: not repaired unless asked`);
    assert.equal(found.issues.mojibake?.encoding, name === 'Mac Roman' ? 'Mac Roman' : 'Windows-1252', name);
    assert.ok(found.issues.mojibake.count >= 50, `${name}: ${found.issues.mojibake.count} runs`);
    assert.deepEqual(found.issues.mojibake.examples[0], { found: misreadAs('’'), meant: '’' }, name);
    assert.match(
      describeTextIssues(found.issues, 'g.txt')[0],
      /g\.txt: \d+ runs of mojibake .* e\.g\. ".+" → "’".*repair them with --fix-mojibake/,
    );
    const repaired = decodeUtf8(Buffer.from(broken), { repairMojibake: true });
    assert.equal(repaired.text, CLEAN, `${name}: repaired`);
    assert.match(describeTextIssues(repaired.issues, 'g.txt')[0], /; repaired\.$/);
  }
});

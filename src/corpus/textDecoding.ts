import { isUtf8 } from 'node:buffer';
import { quoted } from '../messages';

/** Legacy single-byte encodings whose misreading of UTF-8 text we recognise. */
export const LEGACY_ENCODINGS = ['Windows-1252', 'Mac Roman'] as const;
/** A legacy encoding UTF-8 text may have been decoded with. */
export type LegacyEncoding = (typeof LEGACY_ENCODINGS)[number];

/**
 * Windows-1252's characters for bytes 0x80–0x9F (the other bytes ≥ 0xA0 read as in Latin-1). Node's TextDecoder
 * reads the `windows-1252` label as Latin-1, so the table is spelled out; the five unassigned bytes read as C1
 * controls, as in WHATWG's decoder.
 */
const WINDOWS_1252_HIGH =
  '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f' + // 0x80–0x8F
  '\u0090‘’“”•–—˜™š›œ\u009džŸ'; // 0x90–0x9F

/** The character each byte 0x80–0xFF stands for in `encoding` (index 0 = byte 0x80). */
function highCharacters(encoding: LegacyEncoding): string[] {
  if (encoding === 'Mac Roman')
    return Array.from(new TextDecoder('macintosh').decode(Uint8Array.from({ length: 128 }, (_, k) => 0x80 + k)));
  return Array.from({ length: 128 }, (_, k) => (k < 32 ? WINDOWS_1252_HIGH[k] : String.fromCharCode(0x80 + k)));
}

/** What decoding a corpus file's bytes found (wrong, or worth saying). */
export interface TextIssues {
  /** The encoding a byte-order mark named, when not UTF-8 (the text was decoded with it). */
  byteOrderMark: 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE' | null;
  /**
   * Ill-formed UTF-8 sequences, each replaced by U+FFFD (as every UTF-8 decoder does), and the byte offset of
   * the first.
   */
  invalidUtf8: { count: number; firstOffset: number } | null;
  /** Runs that look like UTF-8 text decoded with a legacy encoding (mojibake, e.g. `â€™` for `’`). */
  mojibake: {
    encoding: LegacyEncoding;
    count: number;
    examples: { found: string; meant: string }[];
    repaired: boolean;
  } | null;
}

/**
 * Counts the ill-formed sequences of UTF-8 `bytes` the way the WHATWG decoder replaces them (one U+FFFD per
 * maximal ill-formed subpart) and finds the offset of the first.
 */
function findInvalidUtf8(bytes: Uint8Array): TextIssues['invalidUtf8'] {
  if (isUtf8(bytes)) return null;
  let count = 0;
  let firstOffset = -1;
  let needed = 0;
  let seen = 0;
  let start = 0;
  let lower = 0x80;
  let upper = 0xbf;
  const error = (offset: number) => {
    count += 1;
    if (firstOffset < 0) firstOffset = offset;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (needed === 0) {
      start = i;
      if (b <= 0x7f) continue;
      if (b >= 0xc2 && b <= 0xdf) needed = 1;
      else if (b >= 0xe0 && b <= 0xef) [needed, lower, upper] = [2, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf];
      else if (b >= 0xf0 && b <= 0xf4) [needed, lower, upper] = [3, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf];
      else error(i);
      continue;
    }
    if (b < lower || b > upper) {
      [needed, seen, lower, upper] = [0, 0, 0x80, 0xbf];
      error(start);
      i -= 1; // this byte starts afresh
      continue;
    }
    [lower, upper] = [0x80, 0xbf];
    seen += 1;
    if (seen === needed) [needed, seen] = [0, 0];
  }
  if (needed > 0) error(start);
  return { count, firstOffset };
}

/**
 * For one legacy encoding: the characters its bytes 0x80–0xFF decode to, and a pattern of misread UTF-8 sequences.
 */
interface MisreadingPattern {
  encoding: LegacyEncoding;
  /** Character → the byte that legacy encoding reads it from. */
  byteOf: Map<string, number>;
  pattern: RegExp;
}

function misreadingPattern(encoding: LegacyEncoding): MisreadingPattern {
  const high = highCharacters(encoding);
  // Latin-1 readers turn bytes 0x80–0x9F into C1 controls: recognise those too (same bytes).
  const alternatives = (byte: number) =>
    encoding === 'Windows-1252' && byte < 0xa0 ? [high[byte - 0x80], String.fromCharCode(byte)] : [high[byte - 0x80]];
  const byteOf = new Map<string, number>();
  for (let byte = 0x80; byte <= 0xff; byte++) for (const c of alternatives(byte)) byteOf.set(c, byte);
  const set = (from: number, to: number) => {
    const chars = Array.from({ length: to - from + 1 }, (_, k) => alternatives(from + k)).flat();
    return `[${chars.map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('')}]`;
  };
  const next = set(0x80, 0xbf); // continuation bytes
  const source = `${set(0xc2, 0xdf)}${next}|${set(0xe0, 0xef)}${next}{2}|${set(0xf0, 0xf4)}${next}{3}`;
  return { encoding, byteOf, pattern: new RegExp(source, 'gu') };
}

const PATTERNS = LEGACY_ENCODINGS.map(misreadingPattern);

/**
 * Characters that misread UTF-8 usually stood for: Latin letters with accents, punctuation, currency and letterlike
 * signs, Greek, basic Cyrillic, CJK and full-width forms, emoji. A "meaning" elsewhere (e.g. Armenian from `’é` read
 * as Mac Roman) is far more likely to be a coincidence of ordinary characters than mojibake.
 */
const LIKELY_MEANING = new RegExp(
  String.raw`^[\u00a0-\u017f\u0370-\u03ff\u0400-\u045f\u2000-\u206f\u20a0-\u20cf\u2100-\u214f` +
    String.raw`\u3000-\u9fff\uff00-\uffef\u{1f300}-\u{1faff}]$`,
  'u',
);

/**
 * What a misread run meant (its legacy bytes read as UTF-8), or null when that is not UTF-8 or not a likely character.
 */
function meant(run: string, byteOf: Map<string, number>): string | null {
  const bytes = Uint8Array.from(Array.from(run), (c) => byteOf.get(c)!);
  if (!isUtf8(bytes)) return null;
  const text = new TextDecoder().decode(bytes);
  return LIKELY_MEANING.test(text) ? text : null;
}

/** Fewer runs than this are taken for coincidences of ordinary characters (e.g. `Ó’` in "Ó’Brien"). */
const MIN_MOJIBAKE_RUNS = 3;

/**
 * Finds mojibake: runs of characters that are UTF-8 byte sequences decoded with Windows-1252 or Mac Roman (the
 * encoding with more such runs wins); with `repair`, each run is replaced by what it meant.
 */
function findMojibake(text: string, repair: boolean): { text: string; mojibake: TextIssues['mojibake'] } {
  const found = PATTERNS.map(({ encoding, byteOf, pattern }) => {
    const runs = [...text.matchAll(pattern)]
      .map((m) => ({ found: m[0], meant: meant(m[0], byteOf) }))
      .filter((r) => r.meant !== null);
    return { encoding, pattern, runs: runs as { found: string; meant: string }[] };
  });
  const best = found.reduce((a, b) => (b.runs.length > a.runs.length ? b : a));
  if (best.runs.length < MIN_MOJIBAKE_RUNS) return { text, mojibake: null };
  const meaning = new Map(best.runs.map((r) => [r.found, r.meant])); // distinct runs, in order of appearance
  const examples = [...meaning].slice(0, 3).map(([found, meant]) => ({ found, meant }));
  const repaired = repair ? text.replace(best.pattern, (run) => meaning.get(run) ?? run) : text;
  return { text: repaired, mojibake: { encoding: best.encoding, count: best.runs.length, examples, repaired: repair } };
}

/**
 * Decodes a corpus file's bytes as UTF-8 without ever failing: ill-formed bytes become U+FFFD and are counted,
 * and mojibake (UTF-8 text that was once decoded with Windows-1252 or Mac Roman and saved again) is detected,
 * and repaired when `repairMojibake` is set.
 */
export function decodeUtf8(
  bytes: Uint8Array,
  options: { repairMojibake?: boolean } = {},
): { text: string; issues: TextIssues } {
  const invalidUtf8 = findInvalidUtf8(bytes);
  const decoded = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  const { text, mojibake } = findMojibake(decoded, options.repairMojibake ?? false);
  return { text, issues: { byteOrderMark: null, invalidUtf8, mojibake } };
}

/** UTF-16 and UTF-32 byte-order marks, the longer first (UTF-32LE's begins like UTF-16LE's). */
const BYTE_ORDER_MARKS = [
  { encoding: 'UTF-32LE', bytes: [0xff, 0xfe, 0x00, 0x00] },
  { encoding: 'UTF-32BE', bytes: [0x00, 0x00, 0xfe, 0xff] },
  { encoding: 'UTF-16LE', bytes: [0xff, 0xfe] },
  { encoding: 'UTF-16BE', bytes: [0xfe, 0xff] },
] as const;

/** UTF-32 code units to text (an invalid code point becomes U+FFFD). */
function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  for (let i = 0; i + 4 <= bytes.byteLength; i += 4) {
    const code = view.getUint32(i, littleEndian);
    parts.push(code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\uFFFD');
  }
  return parts.join('');
}

/**
 * Decodes a text file's bytes: by its byte-order mark when it has a UTF-16 or UTF-32 one (reported in the issues),
 * else as UTF-8 with {@link decodeUtf8}.
 */
export function decodeText(
  bytes: Uint8Array,
  options: { repairMojibake?: boolean } = {},
): { text: string; issues: TextIssues } {
  const mark = BYTE_ORDER_MARKS.find((m) => m.bytes.every((b, i) => bytes[i] === b));
  if (mark === undefined) return decodeUtf8(bytes, options);
  const body = bytes.subarray(mark.bytes.length);
  const text = mark.encoding.startsWith('UTF-32')
    ? decodeUtf32(body, mark.encoding === 'UTF-32LE')
    : new TextDecoder(mark.encoding.toLowerCase()).decode(body);
  return { text, issues: { byteOrderMark: mark.encoding, invalidUtf8: null, mojibake: null } };
}

/** The issues as warning lines for a user: what was found, where, and what to do. */
export function describeTextIssues(issues: TextIssues, file: string): string[] {
  const lines: string[] = [];
  const { byteOrderMark, invalidUtf8, mojibake } = issues;
  if (byteOrderMark !== null) lines.push(`${file}: read as ${byteOrderMark}, as its byte-order mark says.`);
  if (invalidUtf8 !== null) {
    lines.push(
      `${file}: ${invalidUtf8.count} invalid UTF-8 sequence${invalidUtf8.count === 1 ? '' : 's'} (first at ` +
        `byte ${invalidUtf8.firstOffset}) ` +
        'replaced by "\uFFFD". If the file is not UTF-8, convert it first (e.g. iconv -f windows-1252 -t utf-8).',
    );
  }
  if (mojibake !== null) {
    const examples = mojibake.examples.map((e) => `${quoted(e.found)} → ${quoted(e.meant)}`).join(', ');
    lines.push(
      `${file}: ${mojibake.count} run${mojibake.count === 1 ? '' : 's'} of mojibake (UTF-8 text once read as ` +
        `${mojibake.encoding}${mojibake.encoding === 'Windows-1252' ? ' or Latin-1' : ''}), e.g. ${examples}; ` +
        (mojibake.repaired ? 'repaired.' : 'repair them with --fix-mojibake (library: repairMojibake).'),
    );
  }
  return lines;
}

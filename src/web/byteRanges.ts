// The Range header of a GET request (RFC 9110 §14): which bytes of a file of a given size to send.

/**
 * What to send for a request's Range header: the whole file (no header, or one the server ignores), one part
 * (`start` and `end` inclusive), or nothing (416: no requested byte lies in the file).
 */
export type ByteRange = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

const WHOLE: ByteRange = { kind: 'whole' };

/** A range-spec: `first-last`, `first-` or the suffix `-length`. */
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/**
 * The part of a file of `size` bytes that a Range header asks for. Following RFC 9110 §14.2, a header the server
 * does not use is ignored and the whole file is sent: a unit other than `bytes`, a malformed range set (letters,
 * signs, a `first-last` whose last is before its first, as in `bytes=3-2`), and a request for several ranges (this
 * server sends no multipart/byteranges; the whole file answers them all). One range that starts at or past the end of
 * the file, or a suffix of length 0, cannot be satisfied. A last byte past the end is cut to the file's end; numbers
 * too long to be exact still compare correctly with any real size.
 */
export function byteRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return WHOLE;
  const equals = header.indexOf('=');
  if (equals < 0 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return WHOLE;
  // A list may hold empty elements (RFC 9110 §5.6.1): `bytes=0-9,` is one range.
  const specs = header
    .slice(equals + 1)
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length !== 1) return WHOLE;
  const match = RANGE_SPEC.exec(specs[0]);
  if (match === null) return WHOLE;
  const first = match[1] === '' ? null : Number(match[1]);
  const last = match[2] === '' ? null : Number(match[2]);
  if (first === null) {
    // `-length`: the last `length` bytes
    if (last === null) return WHOLE;
    if (last === 0) return { kind: 'unsatisfiable' };
    return size === 0 ? WHOLE : { kind: 'part', start: Math.max(0, size - last), end: size - 1 };
  }
  if (last !== null && last < first) return WHOLE;
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start: first, end: Math.min(last ?? size - 1, size - 1) };
}

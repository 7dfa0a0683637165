// How text from outside — a corpus, a model folder, a generation, a user's flag — appears in gennet's messages:
// with nothing a terminal would act on, and lists cut to a readable length.

/**
 * Characters a terminal acts on instead of showing, or that reorder what it shows: the C0 controls (ESC, BEL, CR,
 * NUL…), DEL and the C1 controls (U+0080–U+009F; U+009B is a one-character CSI), the line and paragraph separators
 * U+2028/U+2029, and the bidirectional controls (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069), which can
 * make text read otherwise than it is.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Escapes C source code spells out; the others are written `\xNN` or `\uNNNN`. */
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Whether {@link printable} keeps line breaks and tabs: text of several lines (a sample), or one value in a line. */
export type Layout = 'lines' | 'inline';

/**
 * `text` safe to print on a terminal: every character a terminal would act on (see above) is written as an escape —
 * `\r`, `\x1b`, `\x00`, `\u202e` — so that a corpus, a model's vocabulary or a generation cannot clear the screen,
 * retitle the window, write the clipboard or hide text. With `lines` (the default), line breaks and tabs stay as they
 * are (a multi-line message or sample); `inline` escapes them too (`\n`, `\t`: one value within a line).
 * A backslash already in the text is left as it is: the result is for reading, not for parsing back.
 */
export function printable(text: string, layout: Layout = 'lines'): string {
  return text.replace(UNSAFE, (c) => {
    if (layout === 'lines' && (c === '\n' || c === '\t')) return c;
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
  });
}

/**
 * JSON text (as `JSON.stringify` writes it, which escapes only the C0 controls within strings) with every other
 * character a terminal acts on written as a `\uNNNN` escape: the same JSON value, safe to print. Its line breaks
 * (between the lines of indented JSON) stay.
 */
export function printableJson(json: string): string {
  return json.replace(UNSAFE, (c) => (c === '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * `value` in double quotes, escaped to stay on one line (see {@link printable}): how a message quotes a value. One
 * longer than `max` characters is cut there, with its length: `"Call me Ishmael. Some years ago…" (1,195,530
 * characters)`.
 */
export function quoted(value: string, max = Infinity): string {
  if (value.length <= max) return `"${printable(value, 'inline')}"`;
  const cut = value.slice(0, max).replace(/[\ud800-\udbff]$/, ''); // not half a character
  return `"${printable(cut, 'inline')}…" (${value.length.toLocaleString('en-US')} characters)`;
}

/**
 * The first `max` of `values` separated by commas, each shown by `show` (by default as {@link printable} keeps it on
 * one line), and how many more there are: `a, b, c, … and 9,990 more`. Every message that lists values, columns,
 * words, characters or files goes through it, so that a list of ten thousand stays a line.
 */
export function listSome<T>(
  values: readonly T[],
  show: (value: T) => string = (value) => printable(String(value), 'inline'),
  max = 10,
): string {
  const shown = values
    .slice(0, max)
    .map((value) => show(value))
    .join(', ');
  const rest = values.length - max;
  return rest > 0 ? `${shown}, … and ${rest.toLocaleString('en-US')} more` : shown;
}

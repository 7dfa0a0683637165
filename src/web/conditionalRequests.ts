// Conditional GET and HEAD (RFC 9110 §13): If-None-Match, If-Modified-Since and If-Range against a file's validators.
import type { IncomingHttpHeaders } from 'node:http';

/** What a served file is compared by: its entity tag (strong, e.g. `"3f…"`) and its Last-Modified date. */
export interface Validators {
  etag: string;
  lastModified: string;
}

/** The entity tags in a header's value (`W/"a", "b"` holds `"a"` and `"b"`); anything else in it is skipped. */
function entityTags(value: string): string[] {
  return [...value.matchAll(/(?:W\/)?("[^"]*")/g)].map((match) => match[1]);
}

/**
 * Whether a GET or HEAD may be answered 304 Not Modified: If-None-Match is `*` or names the file's tag (weak
 * comparison); without it, If-Modified-Since is a date at or after the file's. A value that is not a tag list or a
 * date never matches (the whole file is sent), as RFC 9110 §13.1.3 asks for an invalid date.
 */
export function notModified(headers: IncomingHttpHeaders, file: Validators): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    return noneMatch.trim() === '*' || entityTags(noneMatch).includes(file.etag);
  }
  const since = Date.parse(headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Date.parse(file.lastModified) <= since;
}

/**
 * Whether a Range header may be used: without If-Range, yes; with it, only when it is exactly the file's tag (strong
 * comparison). A date there is taken as a weak validator (a file can change twice in its second), so it never
 * matches, nor does anything else: the whole file is sent, as RFC 9110 §13.1.5 asks.
 */
export function rangeAllowed(headers: IncomingHttpHeaders, file: Validators): boolean {
  const ifRange = headers['if-range'];
  return ifRange === undefined || (typeof ifRange === 'string' && ifRange.trim() === file.etag);
}

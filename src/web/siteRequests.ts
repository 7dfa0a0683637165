// How the page server answers: every request gets a status, none throws out of the handler or stops the server.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { quoted } from '../messages';
import { byteRange } from './byteRanges';
import { notModified, rangeAllowed } from './conditionalRequests';
import { SECURITY_HEADERS } from './securityHeaders';
import type { ServedFile, ServedFiles } from './servedFiles';

/** The methods the server answers. */
const ALLOW = 'GET, HEAD, OPTIONS';

/** Sets the headers every answer carries. */
function addSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/** Answers with a one-line text. */
function answerText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}

/**
 * The file path a request target names, percent-decoded, `/` being `/index.html`; null when the target is not a
 * path (`*`, `host:port`) or its percent-encoding is broken. An absolute target (`http://host/path`) names its
 * path; the query is ignored.
 */
function targetPath(target: string): string | null {
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  if (absolute === null && !target.startsWith('/')) return null;
  const encoded = target.slice(absolute?.[0].length ?? 0).split(/[?#]/)[0] || '/';
  try {
    const decoded = decodeURIComponent(encoded);
    return decoded === '/' ? '/index.html' : decoded;
  } catch {
    return null;
  }
}

/** Sends `file` (or the part a Range header asks for, or 304 when the client's copy is current). */
function sendFile(req: IncomingMessage, res: ServerResponse, file: ServedFile): void {
  const validators = { ETag: file.etag, 'Last-Modified': file.lastModified, 'Cache-Control': 'no-cache' };
  if (notModified(req.headers, file)) {
    res.writeHead(304, validators);
    res.end();
    return;
  }
  const size = file.body.length;
  // Ranges apply to GET only (RFC 9110 §14.2); HEAD describes the whole file.
  const range = req.method === 'GET' && rangeAllowed(req.headers, file) ? byteRange(req.headers.range, size) : null;
  const headers = { ...validators, 'Accept-Ranges': 'bytes' };
  if (range?.kind === 'unsatisfiable') {
    answerText(res, 416, `Range not satisfiable: the file has ${size} bytes`, {
      ...headers,
      'Content-Range': `bytes */${size}`,
    });
    return;
  }
  const [status, start, end] = range?.kind === 'part' ? [206, range.start, range.end] : [200, 0, size - 1];
  res.writeHead(status, {
    ...headers,
    'Content-Type': file.type,
    'Content-Length': end - start + 1,
    ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  });
  res.end(file.body.subarray(start, end + 1)); // Node sends no body for HEAD
}

/** Answers one request from `files`. */
function answer(files: ServedFiles, req: IncomingMessage, res: ServerResponse): void {
  addSecurityHeaders(res);
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    // RFC 9112 §3.2 (server.ts turns Node's own check off: its answer lacks the security headers)
    answerText(res, 400, 'Bad request: an HTTP/1.1 request needs a Host header');
  } else if (req.method === 'OPTIONS') {
    res.writeHead(204, { Allow: ALLOW });
    res.end();
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    answerText(res, 405, 'Method not allowed: this server answers GET and HEAD', { Allow: ALLOW });
  } else {
    const path = targetPath(req.url ?? '');
    const file = path === null ? undefined : files.get(path);
    if (path === null) answerText(res, 400, 'Bad request: the path is not a valid URL path');
    else if (file === undefined) answerText(res, 404, 'Not found');
    else sendFile(req, res, file);
  }
}

/**
 * The request handler of the page server: GET and HEAD of the files in `files`, with ranges and conditional
 * requests; OPTIONS lists the methods, others get 405. It never throws: an unexpected error answers 500 (or cuts a
 * response already under way), logs one line with `log` and leaves the server serving.
 */
export function siteRequestHandler(files: ServedFiles, log: (line: string) => void): RequestListener {
  return (req, res) => {
    try {
      answer(files, req, res);
    } catch (error) {
      log(
        `gennet serve: ${req.method} ${quoted(req.url ?? '', 200)} failed ` +
          `(${error instanceof Error ? error.message : String(error)}); answered 500, still serving`,
      );
      if (res.headersSent) res.destroy();
      else answerText(res, 500, 'Internal server error');
    }
  };
}

/**
 * A response written straight to a socket whose request never reached the handler: no body (the request may have
 * been a HEAD, which would make one the start of a next response); the connection closes after.
 */
function rawAnswer(status: number, reason: string, headers: Record<string, string> = {}): string {
  const lines = Object.entries({ ...SECURITY_HEADERS, ...headers, 'Content-Length': '0', Connection: 'close' });
  return [`HTTP/1.1 ${status} ${reason}`, ...lines.map(([name, value]) => `${name}: ${value}`), '', ''].join('\r\n');
}

/**
 * Answers a request Node could not parse (the server's `clientError`): 431 for too large headers, 408 for one not
 * received in time, 400 otherwise; then closes the connection. A reset connection is only closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  socket.end(rawAnswer(status, reason), () => socket.destroy());
}

/** Answers a request whose Expect header is not `100-continue` (the server's `checkExpectation`): 417. */
export function answerExpectation(_req: IncomingMessage, res: ServerResponse): void {
  addSecurityHeaders(res);
  answerText(res, 417, 'Expectation failed: this server knows only "Expect: 100-continue"');
}

/** Answers a CONNECT request (the server's `connect`; Node would close it without a word): 405, then closes. */
export function answerConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.end(rawAnswer(405, 'Method Not Allowed', { Allow: ALLOW }), () => socket.destroy());
}

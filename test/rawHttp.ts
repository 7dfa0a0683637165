// HTTP/1.1 over a raw socket: for requests no HTTP client would send, and for reading exactly what a server answers.
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What one connection brought back. */
export interface Exchange {
  /** Every byte the server sent. */
  bytes: Buffer;
  /** Whether the connection was still open when the time ran out (the client then closed it). */
  timedOut: boolean;
}

/**
 * Connects to `port` on 127.0.0.1, writes `chunks` (waiting `gapMs` between them: a slow client), then ends its
 * side unless `keepOpen`, and collects what the server sends until it closes the connection or `timeoutMs` passes.
 */
export async function exchange(
  port: number,
  chunks: Buffer[],
  options: { gapMs?: number; keepOpen?: boolean; timeoutMs?: number } = {},
): Promise<Exchange> {
  const { gapMs = 0, keepOpen = false, timeoutMs = 3_000 } = options;
  const socket = net.connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  let timedOut = false;
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => undefined); // a reset after the server answered and closed: what came still counts
  });
  const timer = setTimeout(() => {
    timedOut = true;
    socket.destroy();
  }, timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    for (const [index, chunk] of chunks.entries()) {
      if (socket.destroyed) break;
      if (index > 0 && gapMs > 0) await sleep(gapMs);
      socket.write(chunk);
    }
    if (!keepOpen && !socket.destroyed) socket.end();
    await closed;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
  return { bytes: Buffer.concat(received), timedOut };
}

/** One response as it came over the wire. */
export interface RawResponse {
  status: number;
  statusLine: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Splits what a server sent into responses: each a status line `HTTP/1.1 NNN reason`, headers, and a body of its
 * Content-Length (none for 1xx, 204 and 304, nor for the answer to a HEAD: `heads[i]` says whether the i-th final
 * response answers one). Throws, naming the bytes, at anything that is not such a response.
 */
export function parseResponses(bytes: Buffer, heads: boolean[] = []): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    const shown = () => JSON.stringify(bytes.subarray(at, at + 200).toString('latin1'));
    if (end < 0) throw new Error(`an incomplete response head at byte ${at}: ${shown()}`);
    const [statusLine, ...lines] = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.1 ([1-5]\d\d) [^\r\n]*$/.exec(statusLine);
    if (match === null) throw new Error(`not a status line at byte ${at}: ${shown()}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`not a header line in ${shown()}`);
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(match[1]);
    const interim = status < 200;
    const bodiless = interim || status === 204 || status === 304 || heads[responses.length] === true;
    const length = bodiless ? 0 : Number(headers['content-length'] ?? NaN);
    if (!Number.isInteger(length) || length < 0)
      throw new Error(`a response without a valid Content-Length: ${shown()}`);
    const body = bytes.subarray(end + 4, end + 4 + length);
    if (body.length < length) throw new Error(`a body cut short (${body.length} of ${length} bytes): ${shown()}`);
    at = end + 4 + length;
    if (!interim) responses.push({ status, statusLine, headers, body });
  }
  return responses;
}

// Seeded HTTP/1.1 requests for fuzzing the page server: valid ones whose answers are known, and hostile ones.
import type { Rng } from '../src/random';

/** What a valid request with a Range header must get: a part of `path` (inclusive bounds) or 416. */
export type ExpectedRange =
  { path: string; kind: 'part'; start: number; end: number } | { path: string; kind: 'unsatisfiable' };

/** One generated request. */
export interface FuzzRequest {
  bytes: Buffer;
  /** Its method token as sent (a HEAD's answer has no body). */
  method: string;
  /** Whether it is a well-formed request for a file the site has (its answer is one response, 2xx/304/416). */
  valid: boolean;
  /** For a valid GET with a Range and no conditional header: what it must get. */
  range?: ExpectedRange;
}

/** One connection's worth of requests and how it is sent. */
export interface FuzzConnection {
  requests: FuzzRequest[];
  /**
   * `valid`: valid requests pipelined and sent whole (one response each, in order); `hostile`: any requests; `slow`:
   * any, dribbled in chunks; `stalled`: a cut request on a connection the client leaves open.
   */
  kind: 'valid' | 'hostile' | 'slow' | 'stalled';
  /** The bytes to write, in chunks (several for a slow client). */
  chunks: Buffer[];
}

/** Picks from a seeded generator. */
class Picker {
  constructor(private readonly rng: Rng) {}
  /** Whether an event of probability `p` happens. */
  chance(p: number): boolean {
    return this.rng() < p;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.rng() * n);
  }
  /** One of `items`. */
  one<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** `n` random bytes. */
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
}

const LONG = 'a'.repeat(9_000);
const HOSTILE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND'];
const ODD_METHODS = ['get', 'G E T', '', 'GETT', 'M-SEARCH', 'BREW', '\u00e9', 'GET\u0000', 'X'.repeat(300)];
const TARGETS = [
  '/../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/model/..%2f..%2fconfig.json',
  '/..\\..\\windows\\win.ini',
  '//etc/passwd',
  '/index%2Ehtml',
  '/%69ndex.html',
  '/%E0%A4%A',
  '/%',
  '/%zz',
  '/%C0%AF',
  '/a%00b',
  '/index.html%00.txt',
  '/\u00fc',
  '/\u65e5\u672c',
  '/%F0%9F%98%80',
  `/${LONG}`,
  `/?${'q='.repeat(4_000)}`,
  'http://localhost/index.html',
  'https://evil.example/style.css',
  '*',
  'localhost:80',
  '',
  ' / ',
  '/\t',
  '/model/',
  '/model',
  '/.git/config',
  '/gennet-site.json',
];
const VERSIONS = ['HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.12', 'http/1.1', 'HTTP/9.9', 'HTTP/1', 'HTTP/1.1 x', ''];
const GARBAGE_VALUES = ['', ' ', '\u00ff\u00fe', 'bytes=', 'garbage', '"', 'W/', '\t\t', '=-=-', 'null', 'undefined'];

/** Seeded requests for the files in `files` (URL path → size). */
export class RequestFuzzer {
  private readonly pick: Picker;
  private readonly paths: string[];
  private readonly small: string[];

  constructor(
    rng: Rng,
    private readonly files: ReadonlyMap<string, number>,
  ) {
    this.pick = new Picker(rng);
    this.paths = [...files.keys()];
    this.small = this.paths.filter((file) => files.get(file)! < 100_000);
  }

  /** A Range value, valid (with the answer it must get for `path`) or not. */
  private rangeHeader(path: string): { value: string; expected?: ExpectedRange } {
    const { pick } = this;
    const size = this.files.get(path)!;
    const pos = () => (pick.chance(0.8) ? pick.int(size + 2) : pick.int(2 ** 40));
    switch (pick.int(5)) {
      case 0: {
        const [a, b] = [pos(), pos()].sort((x, y) => x - y);
        const expected: ExpectedRange =
          a >= size ? { path, kind: 'unsatisfiable' } : { path, kind: 'part', start: a, end: Math.min(b, size - 1) };
        return { value: `bytes=${a}-${b}`, expected };
      }
      case 1: {
        const a = pos();
        const expected: ExpectedRange =
          a >= size ? { path, kind: 'unsatisfiable' } : { path, kind: 'part', start: a, end: size - 1 };
        return { value: `bytes=${a}-`, expected };
      }
      case 2: {
        const n = 1 + pick.int(size + 10);
        return { value: `bytes=-${n}`, expected: { path, kind: 'part', start: Math.max(0, size - n), end: size - 1 } };
      }
      case 3: // last before first, several ranges, or other units: ignored, the whole file comes
        return { value: pick.one([`bytes=${size}-3`, '\u0062ytes=3-2', 'bytes=0-1,5-9', 'lines=1-2', 'bytes=-']) };
      default:
        return { value: pick.one([...GARBAGE_VALUES, 'bytes=1-2-3', 'bytes=--1', `bytes=${LONG}`, 'bytes=0-0,-1']) };
    }
  }

  /**
   * Optional headers of a request for `path`, perhaps a Range (with what it must get, unless `conditional` headers
   * were added too, which may change the answer).
   */
  private extraHeaders(path: string, conditional: boolean): { lines: string[]; expected?: ExpectedRange } {
    const { pick } = this;
    const lines: string[] = [];
    let expected: ExpectedRange | undefined;
    if (pick.chance(0.4)) {
      const range = this.rangeHeader(path);
      lines.push(`Range: ${range.value}`);
      expected = range.expected;
    }
    if (conditional) {
      const value = () => pick.one([...GARBAGE_VALUES, '*', '"abc"', 'W/"abc"', new Date().toUTCString()]);
      for (const name of ['If-None-Match', 'If-Modified-Since', 'If-Range']) {
        if (pick.chance(0.3)) lines.push(`${name}: ${value()}`);
      }
    }
    if (pick.chance(0.3))
      lines.push(`Accept-Encoding: ${pick.one(['gzip, br', 'identity;q=0', '*', 'x'.repeat(500)])}`);
    if (pick.chance(0.2)) lines.push(`Connection: ${pick.one(['keep-alive', 'Upgrade', 'TE'])}`);
    return { lines, expected: conditional && lines.some((line) => line.startsWith('If-')) ? undefined : expected };
  }

  /** A well-formed GET, HEAD or OPTIONS of a file the site has, perhaps with a body. */
  valid(): FuzzRequest {
    const { pick } = this;
    const method = pick.one(['GET', 'GET', 'GET', 'GET', 'GET', 'HEAD', 'HEAD', 'OPTIONS']);
    const path = pick.chance(0.9) ? pick.one(this.small) : pick.one(this.paths);
    const target = path === '/index.html' && pick.chance(0.5) ? `/?backend=${pick.one(['wasm', 'cpu', '%ZZ'])}` : path;
    const { lines, expected } = this.extraHeaders(path, pick.chance(0.3));
    const body = pick.chance(0.1) ? pick.bytes(pick.int(64)) : Buffer.alloc(0);
    if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
    const head = [`${method} ${target} HTTP/1.1`, `Host: ${pick.one(['localhost', '127.0.0.1:8000', 'x'])}`, ...lines];
    return {
      bytes: Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]),
      method,
      valid: true,
      range: method === 'GET' ? expected : undefined,
    };
  }

  /** A header line that may be wrong in any way. */
  private hostileHeader(): string {
    const { pick } = this;
    return pick.one([
      () => `Range: ${this.rangeHeader(pick.one(this.paths)).value}`,
      () => `If-None-Match: ${pick.one([...GARBAGE_VALUES, '*, "a"', '"a", W/"b"'])}`,
      () => `If-Modified-Since: ${pick.one([...GARBAGE_VALUES, 'Thu, 01 Jan 1970 00:00:00 GMT', '9999-99-99'])}`,
      () => `If-Range: ${pick.one([...GARBAGE_VALUES, 'Mon, 32 Foo 2000 99:99:99 GMT', '"x"'])}`,
      () => `Accept-Encoding: ${pick.one([...GARBAGE_VALUES, 'br;q=2', 'gzip;q=-1'])}`,
      () => `Transfer-Encoding: ${pick.one(['chunked', 'gzip', 'chunked, chunked', 'identity', 'x'])}`,
      () => `Content-Length: ${pick.one(['0', '5', '-1', '1e3', 'abc', '99999999999999999999', '5, 6', ' 3'])}`,
      () => `Expect: ${pick.one(['100-continue', 'x'])}`,
      () => `Host: ${pick.one(['', 'a b', 'localhost', '[::1]:99999'])}`,
      () => pick.one(['No-Colon-Here', ': empty name', 'Bad Name: x', ' folded continuation', 'X-\u0000: y']),
      () => `X-Long: ${'b'.repeat(pick.chance(0.5) ? 17_000 : 4_000)}`,
      () => `X-Bytes: ${pick.bytes(20).toString('latin1')}`,
    ])();
  }

  /** A request with anything wrong: method, target, version, headers, line ends, body. */
  hostile(): FuzzRequest {
    const { pick } = this;
    const method = pick.chance(0.7) ? pick.one(HOSTILE_METHODS) : pick.one(ODD_METHODS);
    const target = pick.chance(0.3) ? pick.one(this.paths) : pick.one(TARGETS);
    const version = pick.chance(0.6) ? 'HTTP/1.1' : pick.one(VERSIONS);
    const lines = [`${method} ${target}${version === '' ? '' : ` ${version}`}`];
    if (pick.chance(0.8)) lines.push('Host: localhost');
    for (let i = pick.int(4); i > 0; i--) lines.push(this.hostileHeader());
    const eol = pick.chance(0.85) ? '\r\n' : pick.one(['\n', '\r', '\n\r']);
    const body = pick.chance(0.3)
      ? pick.one([pick.bytes(pick.int(100)), Buffer.from('5\r\nhello\r\n0\r\n\r\n'), Buffer.from('zz\r\n')])
      : Buffer.alloc(0);
    let bytes = Buffer.concat([Buffer.from(`${lines.join(eol)}${eol}${eol}`, 'latin1'), body]);
    if (pick.chance(0.15)) bytes = bytes.subarray(0, pick.int(bytes.length)); // truncated
    if (pick.chance(0.05)) bytes = pick.bytes(1 + pick.int(200)); // noise
    return { bytes, method, valid: false };
  }

  /** One connection: several valid requests pipelined, hostile ones, a slow client, or one that stalls. */
  connection(): FuzzConnection {
    const { pick } = this;
    const roll = this.pick.int(100);
    const kind = roll < 55 ? 'valid' : roll < 96 ? 'hostile' : roll < 99 ? 'slow' : 'stalled';
    const count = 1 + pick.int(kind === 'valid' ? 4 : 3);
    const requests = Array.from({ length: count }, () =>
      kind === 'valid' || (kind !== 'hostile' && pick.chance(0.5)) ? this.valid() : this.hostile(),
    );
    const all = Buffer.concat(requests.map((request) => request.bytes));
    if (kind === 'stalled') return { kind, requests, chunks: [all.subarray(0, pick.int(all.length))] };
    if (kind !== 'slow') return { kind, requests, chunks: [all] };
    const cuts = Array.from({ length: 4 + pick.int(8) }, () => pick.int(all.length)).sort((a, b) => a - b);
    const chunks = [0, ...cuts].map((cut, i, all_) => all.subarray(cut, all_[i + 1] ?? all.length));
    return { kind, requests, chunks: chunks.filter((chunk) => chunk.length > 0) };
  }
}

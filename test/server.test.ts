import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { serveWebSite, type WebServer } from '../src/web';
import { byteRange } from '../src/web/byteRanges';
import { CONTENT_SECURITY_POLICY } from '../src/web/securityHeaders';
import type { ServedFile } from '../src/web/servedFiles';
import { siteRequestHandler } from '../src/web/siteRequests';
import { exchange, parseResponses, type RawResponse } from './rawHttp';
import { CLI, startServe } from './serveProcess';

const ngram = path.resolve(__dirname, '../../test/fixtures/models/ngram');
const page = path.resolve(__dirname, '../../dist/web/page');
const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-server-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** Sends one request (raw: `lines` joined by CRLF, then an empty line) and returns the one response to it. */
async function ask(port: number, ...lines: string[]): Promise<RawResponse> {
  const sent = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const { bytes } = await exchange(port, [sent]);
  const responses = parseResponses(bytes, [lines[0].startsWith('HEAD ')]);
  assert.equal(responses.length, 1, `one response to ${JSON.stringify(lines)}: ${bytes.toString('latin1')}`);
  return responses[0];
}

test('byteRange reads a Range header as RFC 9110 says: one range, suffixes, invalid and unsatisfiable ones', () => {
  const cases: Array<[string | undefined, ReturnType<typeof byteRange>]> = [
    [undefined, { kind: 'whole' }],
    ['bytes=0-0', { kind: 'part', start: 0, end: 0 }],
    ['bytes=2-5', { kind: 'part', start: 2, end: 5 }],
    ['Bytes = 2-5 ,', { kind: 'part', start: 2, end: 5 }],
    ['bytes=2-', { kind: 'part', start: 2, end: 9 }],
    ['bytes=8-999999999999999999999', { kind: 'part', start: 8, end: 9 }],
    ['bytes=-3', { kind: 'part', start: 7, end: 9 }],
    ['bytes=-30', { kind: 'part', start: 0, end: 9 }],
    ['bytes=10-', { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    // invalid, or not used: the whole file
    ['bytes=3-2', { kind: 'whole' }],
    ['bytes=0-1,3-4', { kind: 'whole' }],
    ['bytes=-', { kind: 'whole' }],
    ['bytes=', { kind: 'whole' }],
    ['bytes=a-b', { kind: 'whole' }],
    ['bytes=+1-2', { kind: 'whole' }],
    ['bytes=1.5-2', { kind: 'whole' }],
    ['bytes=0x1-2', { kind: 'whole' }],
    ['bytes 0-1', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
    ['', { kind: 'whole' }],
  ];
  for (const [header, expected] of cases) assert.deepEqual(byteRange(header, 10), expected, String(header));
  assert.deepEqual(byteRange('bytes=-5', 0), { kind: 'whole' }, 'an empty file has no last bytes to send');
  assert.deepEqual(byteRange('bytes=0-', 0), { kind: 'unsatisfiable' });
});

test(
  'the page server answers ranges, conditional requests, other methods and malformed requests with a status, ' +
    'security headers on each, and goes on serving',
  { timeout: 60_000 },
  async () => {
    await initBackend('cpu');
    const logged: string[] = [];
    const server: WebServer = await serveWebSite(ngram, {
      port: 0,
      host: '127.0.0.1',
      log: (line) => logged.push(line),
    });
    try {
      const port = Number(new URL(server.url).port);
      const css = readFileSync(path.join(page, 'style.css'));
      const get = (...headers: string[]) => ask(port, 'GET /style.css HTTP/1.1', 'Host: x', ...headers);
      const seen: RawResponse[] = [];
      const expect = async (response: Promise<RawResponse>, status: number, body?: Buffer) => {
        const answer = await response;
        seen.push(answer);
        assert.equal(answer.status, status, answer.statusLine);
        if (body !== undefined) assert.deepEqual(answer.body, body);
        return answer;
      };

      // Ranges: `bytes=3-2` killed the server (a RangeError from sirv); invalid and multiple ranges get the file.
      const whole = await expect(get('Range: bytes=3-2'), 200, css);
      await expect(get('Range: bytes=0-1,4-5'), 200, css);
      await expect(get('Range: bytes=zz'), 200, css);
      const first = await expect(get('Range: bytes=0-0'), 206, css.subarray(0, 1));
      assert.equal(first.headers['content-range'], `bytes 0-0/${css.length}`);
      await expect(get('Range: bytes=-5'), 206, css.subarray(css.length - 5));
      await expect(get('Range: bytes=10-'), 206, css.subarray(10));
      const unsatisfiable = await expect(get('Range: bytes=99999999-'), 416);
      assert.equal(unsatisfiable.headers['content-range'], `bytes */${css.length}`);
      const head = await expect(ask(port, 'HEAD /style.css HTTP/1.1', 'Host: x', 'Range: bytes=0-3'), 200);
      assert.equal(head.headers['content-length'], String(css.length));

      // Validators: a strong tag; garbage in a conditional header is no match, never an error.
      const etag = whole.headers.etag;
      assert.match(etag, /^"[\w-]+"$/);
      await expect(get(`If-Range: ${etag}`, 'Range: bytes=2-3'), 206, css.subarray(2, 4));
      await expect(get(`If-Range: W/${etag}`, 'Range: bytes=2-3'), 200, css);
      await expect(get(`If-Range: ${whole.headers['last-modified']}`, 'Range: bytes=2-3'), 200, css);
      await expect(get('If-Range: \u00ff\u00fe garbage', 'Range: bytes=2-3'), 200, css);
      await expect(get(`If-None-Match: "other", W/${etag}`), 304);
      await expect(get('If-None-Match: *'), 304);
      await expect(get('If-None-Match: garbage, "'), 200, css);
      await expect(get(`If-Modified-Since: ${whole.headers['last-modified']}`), 304);
      await expect(get('If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT'), 200, css);
      await expect(get('If-Modified-Since: yesterday-ish'), 200, css);
      await expect(get('If-None-Match: "other"', `If-Modified-Since: ${whole.headers['last-modified']}`), 200, css);

      // Methods, paths and requests Node cannot parse.
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const refused = await expect(ask(port, `${method} / HTTP/1.1`, 'Host: x', 'Content-Length: 0'), 405);
        assert.equal(refused.headers.allow, 'GET, HEAD, OPTIONS');
      }
      assert.equal((await expect(ask(port, 'OPTIONS * HTTP/1.1', 'Host: x'), 204)).headers.allow, 'GET, HEAD, OPTIONS');
      assert.equal(
        (await expect(ask(port, 'CONNECT x:1 HTTP/1.1', 'Host: x:1'), 405)).headers.allow,
        'GET, HEAD, OPTIONS',
      );
      await expect(ask(port, 'GET /%E0%A4%A HTTP/1.1', 'Host: x'), 400);
      await expect(ask(port, 'GET * HTTP/1.1', 'Host: x'), 400);
      await expect(ask(port, 'GET /../../../etc/passwd HTTP/1.1', 'Host: x'), 404);
      await expect(ask(port, 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1', 'Host: x'), 404);
      await expect(ask(port, 'GET /index.html%00 HTTP/1.1', 'Host: x'), 404);
      await expect(ask(port, 'GET http://x/style.css?y HTTP/1.1', 'Host: x'), 200, css);
      await expect(ask(port, 'GET /%73tyle.css HTTP/1.1', 'Host: x'), 200, css);
      await expect(ask(port, 'GET / HTTP/1.1', 'Host: x', 'Expect: tea'), 417);
      await expect(ask(port, 'HELLO'), 400);
      await expect(ask(port, 'GET /style.css HTTP/1.1'), 400); // no Host
      await expect(ask(port, 'GET /style.css HTTP/1.0'), 200, css);
      await expect(ask(port, 'GET / HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked', 'Content-Length: 3'), 400);
      await expect(ask(port, 'GET / HTTP/1.1', 'Host: x', `X-Long: ${'a'.repeat(20_000)}`), 431);

      // Pipelined, the second asking to continue: Node's interim 100 came between the head and body of its answer.
      const pipelined = await exchange(port, [
        Buffer.from(
          'PUT / HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n',
        ),
      ]);
      assert.deepEqual(
        parseResponses(pipelined.bytes).map((answer) => answer.status),
        [405, 200],
      );
      // Clients that send half a request and wait do not hold up the others.
      const stalled = Array.from({ length: 20 }, () =>
        exchange(port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ')], { keepOpen: true, timeoutMs: 2_000 }),
      );
      const started = Date.now();
      await expect(get(), 200, css);
      assert.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms beside 20 stalled clients`);
      await Promise.all(stalled);

      for (const answer of seen) {
        assert.equal(answer.headers['x-content-type-options'], 'nosniff', answer.statusLine);
        assert.equal(answer.headers['content-security-policy'], CONTENT_SECURITY_POLICY, answer.statusLine);
        assert.equal(answer.headers['referrer-policy'], 'no-referrer', answer.statusLine);
      }
      const index = await ask(port, 'GET / HTTP/1.1', 'Host: x');
      assert.equal(index.status, 200);
      assert.match(index.body.toString(), /<title>gennet — watch a model generate<\/title>/);
      assert.deepEqual(logged, [], 'no request failed unexpectedly');
    } finally {
      await server.close();
    }
  },
);

test('an unexpected error in the handler answers 500, logs one line and the server goes on', async () => {
  const file: ServedFile = {
    body: Buffer.from('fine'),
    type: 'text/plain',
    etag: '"fine"',
    lastModified: new Date(0).toUTCString(),
  };
  const files = new Map([['/fine.txt', file]]);
  files.get = (key: string) => {
    if (key === '/broken') throw new Error('the disk caught fire');
    return Map.prototype.get.call(files, key) as ServedFile | undefined;
  };
  const logged: string[] = [];
  const server = http.createServer(siteRequestHandler(files, (line) => logged.push(line)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const broken = await ask(port, `GET /broken?${'q'.repeat(300)} HTTP/1.1`, 'Host: x');
    assert.equal(broken.status, 500);
    assert.equal(broken.body.toString(), 'Internal server error\n');
    assert.equal(broken.headers['x-content-type-options'], 'nosniff');
    assert.equal((await ask(port, 'GET /fine.txt HTTP/1.1', 'Host: x')).body.toString(), 'fine');
    assert.equal(logged.length, 1);
    assert.equal(
      logged[0],
      `gennet serve: GET "/broken?${'q'.repeat(192)}…" (308 characters) failed (the disk caught fire); answered 500, still serving`,
    );
  } finally {
    server.close();
  }
});

test(
  'gennet serve survives `Range: bytes=3-2`, keeps no temporary site while it serves, and stops on SIGHUP and ' +
    'SIGINT with the status of a process stopped by them',
  { timeout: 90_000 },
  async () => {
    for (const [signal, status] of [
      ['SIGHUP', 129],
      ['SIGINT', 130],
    ] as const) {
      const tmp = path.join(work, `tmp-${signal}`);
      mkdirSync(tmp);
      const served = await startServe(ngram, { TMPDIR: tmp });
      try {
        const range = await ask(served.port, 'GET /style.css HTTP/1.1', 'Host: x', 'Range: bytes=3-2');
        assert.equal(range.status, 200);
        assert.equal((await ask(served.port, 'GET / HTTP/1.1', 'Host: x')).status, 200, 'still serving');
        assert.deepEqual(readdirSync(tmp), [], 'the site is served from memory: no temporary folder is left to clean');
      } finally {
        const stopped = await served.stop(signal);
        assert.deepEqual(stopped, { code: status, signal: null }, `${signal}: ${served.stderr()}`);
      }
      assert.deepEqual(readdirSync(tmp), []);
      assert.doesNotMatch(served.stderr(), /^\s+at |Error:/m);
    }
  },
);

test(
  'gennet serve says what to do when TMPDIR is missing, a file or read-only, --host does not resolve or is not ' +
    "this machine's, or the port needs privileges",
  { timeout: 120_000 },
  () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, '');
    const readOnly = path.join(work, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    // root may write anywhere and listen on any port: run those cases without the two capabilities that allow it
    const asRoot = process.getuid?.() === 0;
    const unprivileged = asRoot ? ['setpriv', '--bounding-set=-dac_override,-net_bind_service'] : [];
    const canDrop = !asRoot || existsSync('/usr/bin/setpriv');
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp, string[]?]> = [
      [
        [],
        { TMPDIR: '/nonexistent-gennet-tmp' },
        /^gennet: error: TMPDIR=\/nonexistent-gennet-tmp does not exist; set TMPDIR to a writable folder\.$/m,
      ],
      [[], { TMPDIR: file }, /TMPDIR=.*a-file is not a folder; set TMPDIR to a writable folder\./],
      [
        [],
        { TMPDIR: readOnly },
        /TMPDIR=.*read-only cannot be written to \(EACCES\); set TMPDIR to a writable folder\./,
        unprivileged,
      ],
      [
        ['--host', 'nonexistent.invalid'],
        {},
        /The host name "nonexistent\.invalid" does not resolve to an address \(E[A-Z_]+\); give --host localhost/,
      ],
      [['--host', '192.0.2.1'], {}, /"192\.0\.2\.1" is not an address of this machine; give --host localhost/],
      [
        ['--port', '1', '--host', '127.0.0.1'],
        {},
        /This user may not listen on port 1 \(ports below 1024 need privileges\); choose a port from 1024 up/,
        unprivileged,
      ],
    ];
    for (const [args, env, message, prefix = []] of cases) {
      if (prefix.length > 0 && !canDrop) continue;
      const [command, ...rest] = [...prefix, process.execPath, CLI, 'serve', '--model', ngram, '--port', '0', ...args];
      const run = spawnSync(command, rest, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
      assert.equal(run.status, 1, `${args.join(' ')} ${JSON.stringify(env)}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /^\s+at /m);
      assert.equal(run.stdout, '', 'no address printed');
    }
    assert.ok(canDrop, 'setpriv (util-linux) is missing: the read-only TMPDIR and privileged port cases did not run');
  },
);

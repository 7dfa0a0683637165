// Fuzzing `gennet serve` on loopback: thousands of seeded requests, valid and hostile, over raw sockets, a few at a
// time; the server must answer each with a well-formed 4xx or less, send the right bytes for every valid range, and
// still be up, with no stack trace, at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../src/random';
import { type FuzzConnection, RequestFuzzer } from './fuzzRequests';
import { exchange, parseResponses, type RawResponse } from './rawHttp';
import { startServe } from './serveProcess';

const SEED = 25;
/** Requests to send at least, sockets open at once, and the time they may take. */
const REQUESTS = 5_000;
const CONCURRENCY = 8;
const BUDGET_MS = 30_000;

const ngram = path.resolve(__dirname, '../../test/fixtures/models/ngram');
const page = path.resolve(__dirname, '../../dist/web/page');

/** Gets `files` from the server (each must be there), checking the page's files against the built ones. */
async function download(port: number, files: string[]): Promise<Map<string, Buffer>> {
  const bodies = new Map<string, Buffer>();
  for (const file of files) {
    const { bytes } = await exchange(port, [Buffer.from(`GET ${file} HTTP/1.1\r\nHost: x\r\n\r\n`)]);
    const [response] = parseResponses(bytes);
    assert.equal(response.status, 200, `GET ${file}`);
    if (!file.startsWith('/model/') && file !== '/gennet-site.json')
      assert.deepEqual(response.body, readFileSync(path.join(page, file)), `${file} is the built page's`);
    bodies.set(file, response.body);
  }
  return bodies;
}

/** Checks what one connection got back; returns its responses. */
function check(connection: FuzzConnection, bytes: Buffer, timedOut: boolean, bodies: Map<string, Buffer>) {
  const { requests, kind } = connection;
  const shown = () =>
    `${kind} connection ${JSON.stringify(
      Buffer.concat(requests.map((r) => r.bytes))
        .toString('latin1')
        .slice(0, 600),
    )}`;
  let responses: RawResponse[];
  try {
    responses = parseResponses(
      bytes,
      requests.map((request) => request.method === 'HEAD'),
    );
  } catch (error) {
    if (timedOut && kind !== 'valid') return []; // a connection the client cut while a response was on its way
    throw new Error(`${(error as Error).message}\nin answer to ${shown()}`);
  }
  for (const response of responses) {
    assert.ok(response.status < 500, `${response.statusLine} in answer to ${shown()}`);
    assert.equal(response.headers['x-content-type-options'], 'nosniff', `${response.statusLine}: ${shown()}`);
  }
  if (kind !== 'valid') return responses;
  assert.ok(!timedOut, `no answer in time to ${shown()}`);
  assert.equal(responses.length, requests.length, `one response per request: ${shown()}`);
  for (const [i, request] of requests.entries()) {
    const response = responses[i];
    assert.ok([200, 204, 206, 304, 416].includes(response.status), `${response.statusLine}: ${shown()}`);
    const range = request.range;
    if (range === undefined) continue;
    const file = bodies.get(range.path)!;
    if (range.kind === 'unsatisfiable') {
      assert.equal(response.status, 416, shown());
      assert.equal(response.headers['content-range'], `bytes */${file.length}`);
    } else {
      assert.equal(response.status, 206, shown());
      assert.equal(response.headers['content-range'], `bytes ${range.start}-${range.end}/${file.length}`);
      assert.ok(response.body.equals(file.subarray(range.start, range.end + 1)), `the bytes of ${shown()}`);
    }
  }
  return responses;
}

test(
  `gennet serve answers ${REQUESTS}+ seeded valid and hostile requests and stays up`,
  { timeout: 120_000 },
  async () => {
    const served = await startServe(ngram);
    try {
      const index = await download(served.port, ['/index.html']);
      const files = [
        ...index
          .get('/index.html')!
          .toString()
          .matchAll(/(?:src|href)="([\w.-]+)"/g),
      ].map((m) => `/${m[1]}`);
      const site = ['/index.html', ...files, '/app.js.LEGAL.txt', '/gennet-site.json'];
      const model = ['/model/web-model.json', '/model/vocab.json', '/model/ngram.bin'];
      const wasm = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'].map((name) => `/${name}`);
      const bodies = await download(served.port, [...site, ...model, ...wasm]);
      const fuzzer = new RequestFuzzer(
        createRng(SEED),
        new Map([...bodies].map(([file, body]) => [file, body.length])),
      );

      const started = Date.now();
      const histogram = new Map<string, number>();
      const count = (key: string) => histogram.set(key, (histogram.get(key) ?? 0) + 1);
      let sent = 0;
      let connections = 0;
      const worker = async () => {
        while (sent < REQUESTS && Date.now() - started < BUDGET_MS) {
          const connection = fuzzer.connection();
          sent += connection.requests.length;
          connections++;
          const { bytes, timedOut } = await exchange(served.port, connection.chunks, {
            gapMs: connection.kind === 'slow' ? 60 : 0,
            keepOpen: connection.kind === 'stalled',
            timeoutMs: connection.kind === 'stalled' ? 1_500 : 5_000,
          });
          const responses = check(connection, bytes, timedOut, bodies);
          for (const response of responses) count(String(response.status));
          if (responses.length === 0) count(timedOut ? 'none (client gave up)' : 'none (closed)');
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const seconds = (Date.now() - started) / 1000;
      const shown = [...histogram].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key}: ${n}`);
      console.log(
        `fuzz: ${sent} requests on ${connections} connections in ${seconds.toFixed(1)} s; ${shown.join(', ')}`,
      );
      assert.ok(sent >= REQUESTS, `only ${sent} requests within ${BUDGET_MS / 1000} s`);

      assert.equal(served.child.exitCode, null, `gennet serve is still running: ${served.stderr()}`);
      const after = await download(served.port, ['/index.html']);
      assert.match(after.get('/index.html')!.toString(), /<title>gennet — watch a model generate<\/title>/);
      assert.doesNotMatch(
        served.stderr(),
        /^\s+at |Error:|failed/m,
        'no stack trace, uncaught error or failed request',
      );
    } finally {
      const stopped = await served.stop();
      assert.deepEqual(stopped, { code: 143, signal: null }, served.stderr());
    }
  },
);

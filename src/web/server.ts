import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readServedFiles, type ServedFiles } from './servedFiles';
import { writeWebSite } from './site';
import { answerClientError, answerConnect, answerExpectation, siteRequestHandler } from './siteRequests';
import type { WebModelManifest } from './webModel';

/** A running page server. */
export interface WebServer {
  /** Its address, e.g. `http://localhost:8000/`. */
  url: string;
  manifest: WebModelManifest;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Limits that keep one slow or greedy client from holding the server: the request head must arrive within 10 s
 * and the whole request within 30 s (checked every second), a kept-alive connection idles 5 s at most, any
 * connection that sends or reads nothing for 60 s is closed, and a request head is at most 16 KB (Node's default).
 */
const SERVER_OPTIONS: http.ServerOptions = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
  maxHeaderSize: 16 * 1024,
  requireHostHeader: false, // the handler refuses a request without one, with the headers every answer carries
};
const KEEP_ALIVE_TIMEOUT = 5_000;
const IDLE_TIMEOUT = 60_000;

/** The address a browser on this machine opens for a server listening on `host`. */
function localUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}/`;
}

/** A new folder in the system's temporary folder; a missing or unwritable one is named with what to do. */
async function temporaryFolder(): Promise<string> {
  const base = os.tmpdir();
  try {
    return await fs.mkdtemp(path.join(base, 'gennet-site-'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be written to (${code})`;
    const named = process.env.TMPDIR === undefined ? `The temporary folder ${base}` : `TMPDIR=${base}`;
    throw new Error(`${named} ${problem}; set TMPDIR to a writable folder.`);
  }
}

/**
 * The site of the model in `modelDir` (what {@link writeWebSite} writes) in memory: written to a temporary folder,
 * read, and the folder removed before anything is served, so that no way of stopping the server leaves it behind.
 */
async function siteInMemory(modelDir: string): Promise<{ manifest: WebModelManifest; files: ServedFiles }> {
  const temp = await temporaryFolder();
  try {
    const manifest = await writeWebSite(modelDir, path.join(temp, 'site'));
    return { manifest, files: await readServedFiles(path.join(temp, 'site')) };
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/** Why `server` could not listen on `host`:`port`, and what to do. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const other = 'give --host localhost, 0.0.0.0 or an address of this machine';
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`Port ${port} is in use on ${host}; choose another with --port (0 takes any free one).`);
    case 'EACCES':
      return new Error(
        `This user may not listen on port ${port} (ports below 1024 need privileges); ` +
          'choose a port from 1024 up with --port (0 takes any free one).',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new Error(`The host name "${host}" does not resolve to an address (${error.code}); ${other}.`);
    case 'EADDRNOTAVAIL':
      return new Error(`"${host}" is not an address of this machine; ${other}.`);
    default:
      return new Error(`Cannot listen on ${host}:${port} (${error.message}); choose another --host or --port.`);
  }
}

/**
 * Serves the web page of the model in `modelDir` on `host`:`port` (0: any free port): the files
 * {@link writeWebSite} writes, from memory (see {@link siteRequestHandler} for how requests are answered and
 * {@link SECURITY_HEADERS} for what every response carries). `log` takes the one line about a request that failed
 * unexpectedly (stderr by default).
 */
export async function serveWebSite(
  modelDir: string,
  options: { port?: number; host?: string; log?: (line: string) => void } = {},
): Promise<WebServer> {
  const { port = 8000, host = 'localhost', log = (line: string) => process.stderr.write(`${line}\n`) } = options;
  const { manifest, files } = await siteInMemory(modelDir);
  const handler = siteRequestHandler(files, log);
  const server = http.createServer(SERVER_OPTIONS, handler);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT;
  server.setTimeout(IDLE_TIMEOUT);
  server.on('clientError', answerClientError);
  server.on('connect', answerConnect);
  server.on('checkExpectation', answerExpectation);
  // `Expect: 100-continue` gets the final answer at once (no body is read) without Node's interim 100, which for a
  // pipelined request it writes between the head and the body of the final answer
  server.on('checkContinue', handler);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  // e.g. too many open files when accepting a connection: the server goes on with the others
  server.on('error', (error) => log(`gennet serve: ${error.message}; still serving`));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: localUrl(host, (server.address() as AddressInfo).port), manifest, close };
}

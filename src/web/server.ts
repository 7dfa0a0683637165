import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import sirv from 'sirv';
import { writeWebSite } from './site';
import type { WebModelManifest } from './webModel';

/** A running page server. */
export interface WebServer {
  /** Its address, e.g. `http://localhost:8000/`. */
  url: string;
  manifest: WebModelManifest;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

/** The address a browser on this machine opens for a server listening on `host`. */
function localUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}/`;
}

/**
 * Serves the web page of the model in `modelDir` on `host`:`port` (0: any free port): the files {@link writeWebSite}
 * writes, from a temporary folder that `close` removes.
 */
export async function serveWebSite(
  modelDir: string,
  options: { port?: number; host?: string } = {},
): Promise<WebServer> {
  const { port = 8000, host = 'localhost' } = options;
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), 'gennet-site-'));
  try {
    const manifest = await writeWebSite(modelDir, path.join(temp, 'site'));
    const server = http.createServer(sirv(path.join(temp, 'site'), { etag: true, dev: true }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`Port ${port} is in use on ${host}; choose another with --port (0 takes any free one).`)
            : error,
        ),
      );
      server.listen(port, host, resolve);
    });
    const close = async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await fs.rm(temp, { recursive: true, force: true });
    };
    return { url: localUrl(host, (server.address() as AddressInfo).port), manifest, close };
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
}

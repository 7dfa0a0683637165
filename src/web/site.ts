import { existsSync, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import sirv from 'sirv';
import { findProjectRoot } from '../corpus/projectRoot';
import { generatorFromFiles, type LoadedArtifact, type LoadedNgram, readModelFolder } from '../io';
import { type ModelFacts, WEB_MODEL_FILE, type WebModelManifest, webModelFiles } from './webModel';

/** The folder of a site that holds the model; the page fetches it from there. */
export const SITE_MODEL_FOLDER = 'model';
/** The file that marks a folder as a site gennet wrote (so that exporting again may replace it). */
const SITE_MARKER = 'gennet-site.json';

/** The built page (bundle, HTML, styles, plotly.js, the wasm binaries): `npm run build` writes it. */
function pageAssetsDir(): string {
  const dir = path.join(findProjectRoot(), 'dist', 'web', 'page');
  if (!existsSync(path.join(dir, 'index.html')) || !existsSync(path.join(dir, 'app.js'))) {
    throw new Error(`The web page is not built (${dir} has no index.html and app.js). Run \`npm run build\` first.`);
  }
  return dir;
}

/** What the page shows about a loaded model (see {@link ModelFacts}). */
export function modelFacts(loaded: LoadedArtifact | LoadedNgram): ModelFacts {
  const run = loaded.saved.run;
  const epochs = run?.history.epochs ?? [];
  const common = {
    unit: loaded.vocab.unit, vocabSize: loaded.vocab.size, corpus: run?.data.corpus ?? null, savedAt: loaded.saved.createdAt,
    steps: run?.summary?.steps ?? run?.history.batches.length ?? null,
    valBitsPerChar: run?.summary?.valBitsPerChar ?? epochs.at(-1)?.valBitsPerChar ?? null,
  };
  if ('ngram' in loaded) {
    return { ...common, kind: 'n-gram', layers: null, units: null, input: null, order: loaded.ngram.order, params: loaded.ngram.params };
  }
  const { cell, layers, units, input, embeddingDim } = loaded.config;
  return {
    ...common, kind: cell.toUpperCase(), layers, units, input: input === 'embedding' ? `embedding ${embeddingDim}` : 'one-hot', order: null,
    params: loaded.network.countParams(),
  };
}

/** The manifest of a loaded model; conditional and sequence-to-sequence models are refused (the page has no inputs for them). */
function manifestOf(dir: string, loaded: LoadedArtifact | LoadedNgram): WebModelManifest {
  if (!('ngram' in loaded) && (loaded.conditions !== null || loaded.source !== null)) {
    throw new Error(`"${dir}" is a ${loaded.conditions !== null ? 'conditional' : 'sequence-to-sequence'} model; the web page generates from plain ` +
      'language models (networks and n-grams) only. Use gennet generate with --condition or --source for it.');
  }
  const ngram = 'ngram' in loaded ? { order: loaded.ngram.order, vocabSize: loaded.ngram.vocabSize } : null;
  const model = 'ngram' in loaded ? null : loaded.config;
  return { format: 'gennet-web-model', version: 1, model, ngram, files: webModelFiles({ ngram }), facts: modelFacts(loaded) };
}

/** Writes the site of `modelDir` into the new folder `dir`: the page's assets and the model's files with its manifest. */
async function writeSiteFiles(modelDir: string, dir: string): Promise<WebModelManifest> {
  const files = await readModelFolder(modelDir);
  const loaded = await generatorFromFiles(modelDir, files);
  try {
    const manifest = manifestOf(modelDir, loaded);
    await fs.cp(pageAssetsDir(), dir, { recursive: true });
    const modelFolder = path.join(dir, SITE_MODEL_FOLDER);
    await fs.mkdir(modelFolder);
    for (const name of manifest.files) await fs.writeFile(path.join(modelFolder, name), files.file(name)!);
    await fs.writeFile(path.join(modelFolder, WEB_MODEL_FILE), JSON.stringify(manifest, null, 2));
    await fs.writeFile(path.join(dir, SITE_MARKER), JSON.stringify({ format: 'gennet-web-site', model: path.resolve(modelDir), writtenAt: new Date().toISOString() }, null, 2));
    return manifest;
  } finally {
    if (!('ngram' in loaded)) loaded.network.dispose();
  }
}

/** Whether `dir` may be (re)written: it does not exist, is empty, or is a site gennet wrote. */
async function checkSiteTarget(dir: string): Promise<boolean> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat === null) return false;
  if (!stat.isDirectory()) throw new Error(`"${dir}" is a file; give --out a folder for the site.`);
  const entries = await fs.readdir(dir);
  if (entries.length > 0 && !entries.includes(SITE_MARKER)) {
    throw new Error(`"${dir}" holds files that are not a gennet site; gennet will not write into it. Give --out a new or empty folder.`);
  }
  return true;
}

/**
 * Writes the web page of the model in `modelDir` as static files in `outDir` (any static host serves them): the
 * page, the bundle, plotly.js and the wasm binaries, and the model's files under `model/`. The site is written beside
 * `outDir` first and moved into place whole, so an earlier site there is replaced only by a complete one; a folder
 * holding anything else is refused.
 */
export async function writeWebSite(modelDir: string, outDir: string): Promise<WebModelManifest> {
  const exists = await checkSiteTarget(outDir);
  const fresh = `${path.resolve(outDir)}.partial-${process.pid}`;
  const old = `${path.resolve(outDir)}.old-${process.pid}`;
  await fs.rm(fresh, { recursive: true, force: true });
  try {
    const manifest = await writeSiteFiles(modelDir, fresh);
    if (exists) await fs.rename(outDir, old);
    try {
      await fs.rename(fresh, outDir);
    } catch (error) {
      if (exists) await fs.rename(old, outDir); // the earlier site goes back in place
      throw error;
    }
    await fs.rm(old, { recursive: true, force: true });
    return manifest;
  } finally {
    await fs.rm(fresh, { recursive: true, force: true });
  }
}

/** A running page server. */
export interface WebServer {
  /** Its address, e.g. `http://localhost:8000/`. */
  url: string;
  manifest: WebModelManifest;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

/**
 * Serves the web page of the model in `modelDir` on `host`:`port` (0: any free port): the same files
 * {@link writeWebSite} writes, from a temporary folder removed by `close`.
 */
export async function serveWebSite(modelDir: string, options: { port?: number; host?: string } = {}): Promise<WebServer> {
  const { port = 8000, host = 'localhost' } = options;
  const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'gennet-site-')), 'site');
  try {
    const manifest = await writeSiteFiles(modelDir, dir);
    const server = http.createServer(sirv(dir, { etag: true, dev: true }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
        ? new Error(`Port ${port} is in use on ${host}; choose another with --port (0 takes any free one).`) : error));
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    const close = async () => {
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await fs.rm(path.dirname(dir), { recursive: true, force: true });
    };
    return { url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${address.port}/`, manifest, close };
  } catch (error) {
    await fs.rm(path.dirname(dir), { recursive: true, force: true });
    throw error;
  }
}

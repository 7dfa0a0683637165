import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { makeFolder } from '../files';
import { findProjectRoot } from './projectRoot';

/** The two parts of AG News: 120,000 training and 7,600 test articles. */
export type AgNewsSplit = 'train' | 'test';

/** Options for {@link fetchAgNews}. */
export interface FetchAgNewsOptions {
  /** Which file, `'train'` (default) or `'test'`. */
  split?: AgNewsSplit;
  /**
   * Cache root; the file goes to `<cacheDir>/ag_news/<split>.csv`. Default `$GN_CACHE_DIR`, else
   * `<project>/data/cache`.
   */
  cacheDir?: string;
  /** Where to download from; default the widely used CSVs of mhjabreel/CharCnn_Keras on GitHub. */
  url?: string;
  /** Give up a download after this many milliseconds (default 300000). */
  timeoutMs?: number;
}

/** Default download address of an AG News CSV file. */
export function agNewsUrl(split: AgNewsSplit): string {
  return `https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/${split}.csv`;
}

/** Where the cached AG News CSV of a split lives (whether or not it is there yet). */
export function agNewsCachePath(split: AgNewsSplit, cacheDir?: string): string {
  const root = cacheDir ?? process.env.GN_CACHE_DIR ?? path.join(findProjectRoot(), 'data', 'cache');
  return path.join(root, 'ag_news', `${split}.csv`);
}

/** A short human reason for a failed download (fetch hides the network error in `cause`). */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no complete answer within ${timeoutMs / 1000} s`;
  const cause = error.cause as (Error & { code?: string }) | undefined;
  const detail = cause?.message || cause?.code;
  return detail ? `${error.message}: ${detail}` : error.message;
}

/** Downloads `url` to `file` through a temporary file in the same folder, so `file` is either complete or absent. */
async function download(url: string, file: string, timeoutMs: number): Promise<void> {
  await makeFolder(path.dirname(file));
  const partial = `${file}.${process.pid}.partial`;
  let out: WriteStream | null = null;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    await fs.rm(partial, { force: true }); // a killed download's of the same pid
    out = createWriteStream(partial, { flags: 'wx' }); // a new file, never through a link in its place
    await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), out);
    await fs.rename(partial, file);
  } finally {
    // A failed pipeline may still be opening the file: wait until the stream is closed, or the rm could come first.
    const stream = out;
    if (stream !== null && !stream.closed)
      await new Promise<void>((resolve) => stream.destroy().once('close', () => resolve()));
    await fs.rm(partial, { force: true });
  }
}

/**
 * Returns the local path of an AG News CSV file, downloading it once into the cache.
 * Without network, download the CSV yourself and pass its path to `loadCorpus` instead.
 */
export async function fetchAgNews(options: FetchAgNewsOptions = {}): Promise<string> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new Error(`Unknown AG News split '${String(split)}'. Use 'train' or 'test'.`);
  }
  const file = agNewsCachePath(split, options.cacheDir);
  const cached = await fs.stat(file).then(
    (stat) => stat.isFile(),
    () => false,
  );
  if (cached) return file;
  const url = options.url ?? agNewsUrl(split);
  const timeoutMs = options.timeoutMs ?? 300_000;
  try {
    await download(url, file, timeoutMs);
  } catch (error) {
    throw new Error(
      `AG News could not be downloaded from ${url} (${describeFailure(error, timeoutMs)}). ` +
        'Check the network, or download the CSV yourself and pass its path as the corpus, e.g. ' +
        `loadCorpus('path/to/${split}.csv').`,
    );
  }
  return file;
}

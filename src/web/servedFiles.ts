import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Validators } from './conditionalRequests';

/** A file the page server answers with, held in memory: its bytes, media type and validators. */
export interface ServedFile extends Validators {
  body: Buffer;
  type: string;
}

/** The files of a site by URL path (`/index.html`, `/model/vocab.json`). */
export type ServedFiles = ReadonlyMap<string, ServedFile>;

/** Media types of the files a site holds; any other file is sent as bytes. */
const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * Reads every file below `dir` (a site {@link writeWebSite} wrote) into memory, so that the server answers from
 * memory and the folder can go at once: each with its media type, a strong entity tag (a digest of its bytes) and
 * its modification date.
 */
export async function readServedFiles(dir: string): Promise<ServedFiles> {
  const files = new Map<string, ServedFile>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const [body, stat] = await Promise.all([fs.readFile(file), fs.stat(file)]);
    files.set(`/${path.relative(dir, file).split(path.sep).join('/')}`, {
      body,
      type: MEDIA_TYPES[path.extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      lastModified: stat.mtime.toUTCString(),
    });
  }
  return files;
}

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * A model folder is the user's: gennet writes and replaces only its own files in it (never the folder itself, so the
 * folder's permissions and anything else the user keeps there stay), one writer at a time. A save writes every new
 * file to a temporary name first (a full disk stops it there, with the previous model intact), then renames them over
 * the old ones, `config.json` last: it lists each file's size and SHA-256, so a reader that meets a half-renamed save
 * sees files that do not match and reads again, and a damaged or tampered file is told apart from a good one.
 */

/** The name `config.json` is saved under; the save's commit point. */
export const CONFIG_FILE = 'config.json';
/** Marks the folder's writer (see {@link lockModelFolder}). */
const LOCK_FILE = '.gennet-lock';
/** Prefix of a save's temporary files inside the folder (left behind only by a killed save; removed by the next). */
const TEMP_PREFIX = '.gennet-tmp-';
/** JSON files larger than this are refused before they are read. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;
/** How long a reader waits, while a writer holds the folder, for its save to end before it reports mismatched files. */
const READ_RETRY_MS = 10_000;

/** Size and SHA-256 of each saved file, as `config.json` lists them under `files`. */
export type FileDigests = Record<string, { bytes: number; sha256: string }>;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The entries of a folder, or null when it does not exist. */
async function entries(dir: string): Promise<string[] | null> {
  return fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

/** True when `dir` holds a `config.json` saved by gennet. */
export async function isModelFolder(dir: string): Promise<boolean> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, CONFIG_FILE), 'utf8'))?.format === 'generative-networks';
  } catch {
    return false;
  }
}

/**
 * Throws, with what to do, unless gennet may save a model in `dir`: a folder that does not exist yet, an empty one,
 * or one that holds a gennet model (whatever else the user keeps beside it). Never a file, never a foreign folder.
 */
export async function checkSaveTarget(dir: string): Promise<void> {
  if (dir.trim() === '') throw new Error('The model folder (--out) is empty: name a folder to save the model in.');
  const stat = await fs.stat(dir).catch(() => null);
  if (stat !== null && !stat.isDirectory()) {
    throw new Error(`"${dir}" is a file, not a model folder; gennet will not replace it. Choose another --out (a new folder, or one gennet saved).`);
  }
  const found = await entries(dir);
  const userEntries = (found ?? []).filter((name) => name !== LOCK_FILE && !name.startsWith(TEMP_PREFIX));
  if (userEntries.length > 0 && !(await isModelFolder(dir))) {
    throw new Error(`"${dir}" is not empty and holds no gennet model; gennet will not write into it. Choose another --out (a new folder, or one gennet saved).`);
  }
}

/** Who holds a model folder's lock. */
interface LockOwner {
  pid: number;
  startedAt: string;
}

/** A writer's hold on a model folder; `release` ends it (and removes the folder if it was made for nothing). */
export interface FolderLock {
  release(): Promise<void>;
}

const held = new Map<string, { count: number; created: boolean }>();

/** The process that holds the folder's lock, if it still runs. */
async function activeWriter(dir: string): Promise<LockOwner | null> {
  const holder = await fs.readFile(path.join(dir, LOCK_FILE), 'utf8').then((text) => JSON.parse(text) as LockOwner, () => null);
  return holder !== null && Number.isInteger(holder.pid) && isAlive(holder.pid) ? holder : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder's writer lock (creating the folder if needed): an exclusively created `.gennet-lock` file naming
 * this process. A second process is refused at once with the holder's pid; a lock left by a process that no longer
 * runs is taken over. Within one process the lock is re-entrant (a run's checkpoints save under the run's lock).
 */
export async function lockModelFolder(dir: string): Promise<FolderLock> {
  const key = path.resolve(dir);
  const mine = held.get(key);
  if (mine !== undefined) {
    mine.count += 1;
    return { release: () => releaseLock(key) };
  }
  await checkSaveTarget(dir);
  const created = (await entries(dir)) === null;
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, startedAt: new Date().toISOString() };
  for (;;) {
    try {
      await fs.writeFile(file, JSON.stringify(owner), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await activeWriter(dir);
    if (holder !== null) {
      throw new Error(`"${dir}" is being written by another gennet (pid ${holder.pid}, since ${holder.startedAt}); wait for it to end or choose another --out.`);
    }
    await fs.rm(file, { force: true }); // left by a process that is gone (or unreadable): take it over
  }
  held.set(key, { count: 1, created });
  return { release: () => releaseLock(key) };
}

async function releaseLock(key: string): Promise<void> {
  const mine = held.get(key);
  if (mine === undefined) return;
  mine.count -= 1;
  if (mine.count > 0) return;
  held.delete(key);
  await fs.rm(path.join(key, LOCK_FILE), { force: true });
  if (mine.created && (await entries(key))?.length === 0) await fs.rmdir(key).catch(() => {});
}

/** Runs `work` holding the folder's writer lock. */
export async function withModelFolderLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = await lockModelFolder(dir);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/** Removes what killed saves left: temporary files in the folder, and the sibling folders older versions used. */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of (await entries(dir)) ?? []) {
    if (name.startsWith(TEMP_PREFIX)) await fs.rm(path.join(dir, name), { force: true, recursive: true });
  }
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(path.resolve(dir));
  for (const name of (await entries(parent)) ?? []) {
    if (name.startsWith(`.${base}.tmp-`) || name.startsWith(`.${base}.old-`)) await fs.rm(path.join(parent, name), { force: true, recursive: true });
  }
}

/** A clear error for a failed write: a full disk names the folder and the space the save needs. */
function writeError(error: unknown, dir: string, needed: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new Error(`No space left to save the model in "${dir}": the save needs ${(needed / 1e6).toFixed(1)} MB free. ` +
      'Free some space or choose another --out; the model saved there before is intact.');
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Saves `files` (name → contents) in `dir` as described in the module comment, under the folder's writer lock; the
 * `config` object is written last as `config.json`, with the files' digests under `files`. Files of an earlier save
 * that this one does not have (listed in `ours`) are removed; nothing else in the folder is touched.
 */
export async function writeModelFiles(dir: string, files: Record<string, Uint8Array>, config: object, ours: readonly string[]): Promise<void> {
  await withModelFolderLock(dir, async () => {
    await removeLeftovers(dir);
    const digests: FileDigests = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, { bytes: data.byteLength, sha256: sha256(data) }]));
    const all: Array<[string, Uint8Array]> = [...Object.entries(files), [CONFIG_FILE, Buffer.from(JSON.stringify({ ...config, files: digests }, null, 2))]];
    const needed = all.reduce((sum, [, data]) => sum + data.byteLength, 0);
    const temps: string[] = [];
    try {
      for (const [name, data] of all) {
        const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${name}`);
        temps.push(temp);
        const handle = await fs.open(temp, 'w');
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    } catch (error) {
      await Promise.all(temps.map((temp) => fs.rm(temp, { force: true })));
      throw writeError(error, dir, needed);
    }
    for (const [k, [name]] of all.entries()) await fs.rename(temps[k], path.join(dir, name)); // config.json last
    for (const name of ours) if (!(name in files) && name !== CONFIG_FILE) await fs.rm(path.join(dir, name), { force: true });
    await syncFolder(dir);
  });
}

/** Flushes the folder's entries (the renames) to disk where the platform allows it. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => null);
  await handle?.sync().catch(() => {});
  await handle?.close();
}

/** A file of a model folder: a regular file inside it (no link, device or pipe), JSON ones within the size limit. */
async function readOwnFile(dir: string, name: string): Promise<Buffer | null> {
  const full = path.join(dir, name);
  const stat = await fs.lstat(full).catch(() => null);
  if (stat === null) return null;
  if (!stat.isFile()) throw new Error(`"${full}" is not a regular file (a link, folder, device or pipe); a model folder holds only files gennet wrote.`);
  if (name.endsWith('.json') && stat.size > MAX_JSON_BYTES) {
    throw new Error(`"${full}" is ${(stat.size / 1e6).toFixed(0)} MB, more than a model's JSON can be (${MAX_JSON_BYTES / 1e6} MB); it is not a gennet file.`);
  }
  return fs.readFile(full);
}

/** The files of one save, read together: `config.json` parsed, and the other files' bytes (null when absent). */
export interface ModelFiles {
  config: unknown;
  file(name: string): Buffer | null;
}

/**
 * Reads `config.json` and the named files of a model folder as one save: when `config.json` lists digests, every
 * file must match them. While a writer holds the folder a mismatch may be its save in progress, so the reader reads
 * again (for up to 10 s); otherwise the file is reported as damaged at once. Folders saved before digests existed are
 * read as they are.
 */
export async function readModelFiles(dir: string, names: readonly string[]): Promise<ModelFiles> {
  const started = Date.now();
  for (;;) {
    const configBytes = await readOwnFile(dir, CONFIG_FILE);
    if (configBytes === null) throw new Error(`"${dir}" is not a complete model folder: ${CONFIG_FILE} is missing. Train one with \`gennet train --out ${dir}\`.`);
    let config: unknown;
    try {
      config = JSON.parse(configBytes.toString('utf8'));
    } catch {
      throw new Error(`${path.join(dir, CONFIG_FILE)} is not valid JSON (corrupted?). Re-train or restore the model folder.`);
    }
    const read = new Map<string, Buffer | null>();
    for (const name of names) read.set(name, await readOwnFile(dir, name));
    const digests = (config as { files?: FileDigests } | null)?.files;
    const wrong = digests === undefined ? undefined : names.find((name) => {
      const data = read.get(name) ?? null;
      const expected = digests[name];
      if (expected === undefined) return data !== null; // a file this save does not have
      return data === null || data.byteLength !== expected.bytes || sha256(data) !== expected.sha256;
    });
    if (wrong === undefined) return { config, file: (name) => read.get(name) ?? null };
    if (Date.now() - started > READ_RETRY_MS || (await activeWriter(dir)) === null) {
      if (read.get(wrong) === null) throw new Error(`"${dir}" is not a complete model folder: ${wrong} is missing. Re-train or restore the model folder.`);
      throw new Error(`"${path.join(dir, wrong)}" does not match what ${CONFIG_FILE} records for it (damaged, or changed since the save). Re-train or restore the model folder.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

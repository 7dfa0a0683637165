import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkPlainFileInside, type InputPolicy, makeFolder, readInputFile } from '../files';
import { MODEL_JSON_POLICY } from './modelFilePolicies';
import { ARTIFACT_FILES, countedFamilyFiles } from './modelBytes';

/**
 * Who may write a model folder: gennet saves only into a new folder, an empty one or one of its own models, one
 * writer at a time, which holds the folder's lock file while it writes (modelFolder.ts says how a save replaces the
 * files).
 */
/** gennet's own files: the only ones a save replaces or removes. */
export const OURS: readonly string[] = [...Object.values(ARTIFACT_FILES), ...countedFamilyFiles()];
/** Marks the folder's writer (see {@link lockModelFolder}). */
const LOCK_FILE = '.gennet-lock';
/** Prefix of a save's temporary files inside the folder (left behind only by a killed save; removed by the next). */
export const TEMP_PREFIX = '.gennet-tmp-';

/** The entries of a folder, or null when it does not exist. */
export async function entries(dir: string): Promise<string[] | null> {
  return fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

/** True when `dir` holds a `config.json` saved by gennet. */
export async function isModelFolder(dir: string): Promise<boolean> {
  try {
    const bytes = await readInputFile(path.join(dir, ARTIFACT_FILES.config), MODEL_JSON_POLICY);
    const record: unknown = JSON.parse(bytes.toString());
    return (
      typeof record === 'object' && record !== null && 'format' in record && record.format === 'generative-networks'
    );
  } catch {
    return false;
  }
}

/** Files operating systems drop into folders; they do not make a folder the user's. */
const OS_CLUTTER = ['.DS_Store', 'Thumbs.db', 'desktop.ini'];

/**
 * Throws, with what to do, unless gennet may save a model in `dir`: a folder that does not exist yet, an empty one,
 * one that holds a gennet model (whatever else the user keeps beside it), or one that holds only gennet's own files
 * (a first save killed before its config.json). Never a file, never a foreign folder, never a folder another
 * gennet is writing, never a folder where one of gennet's files is a symbolic link (or a folder).
 */
export async function checkSaveTarget(dir: string): Promise<void> {
  if (dir.trim() === '') throw new Error('The model folder (--out) is empty: name a folder to save the model in.');
  const stat = await fs.stat(dir).catch(() => null);
  if (stat !== null && !stat.isDirectory()) {
    throw new Error(
      `"${dir}" is a file, not a model folder; gennet will not replace ` +
        'it. Choose another --out (a new folder, or one gennet saved).',
    );
  }
  // a link among gennet's own entries would have a save replace or delete a file elsewhere
  const role = { place: `the model folder "${dir}"`, retry: 'save again' };
  for (const name of [...OURS, LOCK_FILE]) await checkPlainFileInside(dir, name, role);
  const ownOrClutter = (name: string) =>
    name === LOCK_FILE || name.startsWith(TEMP_PREFIX) || OURS.includes(name) || OS_CLUTTER.includes(name);
  const foreign = ((await entries(dir)) ?? []).filter((name) => !ownOrClutter(name));
  if (foreign.length > 0 && !(await isModelFolder(dir))) {
    throw new Error(
      `"${dir}" is not empty and holds no gennet model; gennet will not write into it. Choose another --out ` +
        '(a new folder, or one gennet saved).',
    );
  }
  await refuseOtherWriter(dir);
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

/**
 * The locks this process holds, by folder: how many holders, this process's owner record, whether the folder was made.
 */
const held = new Map<string, { count: number; owner: LockOwner; created: boolean }>();

/** How a lock record is read (see `readInputFile`): a small regular file, never a link. */
const LOCK_POLICY: InputPolicy = {
  ...MODEL_JSON_POLICY,
  what: 'Lock file',
  maxBytes: 4096,
  tooBig: 'it is not a lock gennet wrote; remove it when no gennet writes the folder',
};

/** The owner a lock file records; null when it is absent or not a record gennet wrote. */
async function readOwner(file: string): Promise<LockOwner | null> {
  return readInputFile(file, LOCK_POLICY).then(
    (bytes) => JSON.parse(bytes.toString()) as LockOwner,
    () => null,
  );
}

/**
 * The live process that holds the folder's lock, if any. A lock that names this process but is not in `held` is
 * stale (a restarted container can reuse the pid of the gennet that was killed).
 */
export async function activeWriter(dir: string): Promise<LockOwner | null> {
  const holder = await readOwner(path.join(dir, LOCK_FILE));
  if (holder === null || !Number.isInteger(holder.pid)) return null;
  if (holder.pid === process.pid)
    return held.get(path.resolve(dir))?.owner.startedAt === holder.startedAt ? holder : null;
  return isAlive(holder.pid) ? holder : null;
}

/** Throws naming the writer when another live gennet holds the folder. */
export async function refuseOtherWriter(dir: string): Promise<void> {
  const holder = await activeWriter(dir);
  if (holder !== null && holder.pid !== process.pid) {
    throw new Error(
      `"${dir}" is being written by another gennet (pid ${holder.pid}, since ` +
        `${holder.startedAt}); wait for it to end or choose another --out.`,
    );
  }
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
 * Takes the folder's writer lock (creating the folder if needed): `.gennet-lock`, naming this process, appears whole
 * (written to a temporary file, then hard-linked into place, which fails if a lock exists). A second process is
 * refused at once with the holder's pid; a lock whose process no longer runs is moved aside and taken over. Within one
 * process the lock is re-entrant (a run's checkpoints save under the run's lock). The lock is per machine.
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
  await makeFolder(dir);
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, startedAt: new Date().toISOString() };
  const draft = path.join(dir, `${TEMP_PREFIX}${process.pid}-lock`);
  try {
    await fs.rm(draft, { force: true }); // a killed process's of the same pid
    await fs.writeFile(draft, JSON.stringify(owner), { flag: 'wx' }); // never through a link
    for (;;) {
      const taken = await fs.link(draft, file).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return false;
          throw error;
        },
      );
      if (taken) break;
      await refuseOtherWriter(dir);
      // Left by a process that is gone: move it aside under a name of ours, then try again.
      await fs.rename(file, path.join(dir, `${TEMP_PREFIX}${process.pid}-stale-lock`)).catch(() => {});
    }
  } catch (error) {
    if (created && (await entries(dir))?.every((name) => name.startsWith(TEMP_PREFIX)))
      await fs.rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await fs.rm(draft, { force: true });
  }
  held.set(key, { count: 1, owner, created });
  return { release: () => releaseLock(key) };
}

async function releaseLock(key: string): Promise<void> {
  const mine = held.get(key);
  if (mine === undefined) return;
  mine.count -= 1;
  if (mine.count > 0) return;
  held.delete(key);
  const file = path.join(key, LOCK_FILE);
  const current = await readOwner(file);
  // only our own
  if (current?.pid === mine.owner.pid && current.startedAt === mine.owner.startedAt) await fs.rm(file, { force: true });
  await fs.rm(path.join(key, `${TEMP_PREFIX}${process.pid}-stale-lock`), { force: true });
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

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputFileError, readInputFile } from '../files';
import { MODEL_BINARY_POLICY, MODEL_JSON_POLICY } from './modelFilePolicies';
import { ARTIFACT_FILES } from './modelBytes';
import { activeWriter, entries, isModelFolder, OURS, TEMP_PREFIX, withModelFolderLock } from './modelFolderLock';

/**
 * A model folder is the user's: gennet writes and replaces only its own files in it (never the folder itself, so the
 * folder's permissions and anything else the user keeps there stay), one writer at a time. A save writes every new
 * file to a temporary name first (a full disk stops it there, with the previous model intact), then renames them over
 * the old ones, `config.json` last: it lists each file's size and SHA-256, so a reader that meets a save in progress
 * sees files that do not match and reads again, and a damaged or tampered file is told apart from a good one. A save
 * killed during its renames leaves its remaining temporary files: readers take those files from them, and the next
 * save first completes it.
 */
const CONFIG_FILE = ARTIFACT_FILES.config;
/** How long a reader waits, while a writer holds the folder, for its save to end before it reports mismatched files. */
const READ_RETRY_MS = 10_000;

/** Size and SHA-256 of each saved file, as `config.json` lists them under `files`. */
export type FileDigests = Record<string, { bytes: number; sha256: string }>;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Per folder, the end of the last save this process started: saves of one process to one folder run one after
 * the other.
 */
const savesInProgress = new Map<string, Promise<unknown>>();

/**
 * Removes what killed saves left: temporary files in the folder, and the sibling folders the previous scheme used
 * (`.<name>.tmp-XXXXXX`, `.<name>.old-<pid>-<ms>`) when they hold a gennet model or nothing.
 */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of (await entries(dir)) ?? []) {
    if (name.startsWith(TEMP_PREFIX)) await fs.rm(path.join(dir, name), { force: true, recursive: true });
  }
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(path.resolve(dir));
  for (const name of (await entries(parent)) ?? []) {
    const tail = (prefix: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : '');
    const legacy = /^[A-Za-z0-9]{6}$/.test(tail(`.${base}.tmp-`)) || /^\d+-\d+$/.test(tail(`.${base}.old-`));
    if (!legacy) continue;
    const folder = path.join(parent, name);
    if ((await isModelFolder(folder)) || (await entries(folder))?.length === 0)
      await fs.rm(folder, { force: true, recursive: true });
  }
}

/** A clear error for a failed write: a full disk names the folder and the space the save needs. */
function writeError(error: unknown, dir: string, needed: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new Error(
      `No space left to save the model in "${dir}": the save needs ${(needed / 1e6).toFixed(1)} MB free. ` +
        'Free some space or choose another --out; the model saved there before is intact.',
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Saves `files` (name → contents) in `dir` as described in the module comment, under the folder's writer lock; the
 * `config` object is written last as `config.json`, with the files' digests under `files`. gennet's files of an
 * earlier save that this one does not have are removed; nothing else in the folder is touched. Saves of one process
 * to one folder run one after the other.
 */
export async function writeModelFiles(dir: string, files: Record<string, Uint8Array>, config: object): Promise<void> {
  const key = path.resolve(dir);
  const save = (savesInProgress.get(key) ?? Promise.resolve())
    .catch(() => {})
    .then(() => withModelFolderLock(dir, () => replaceFiles(dir, files, config)));
  savesInProgress.set(key, save);
  try {
    await save;
  } finally {
    if (savesInProgress.get(key) === save) savesInProgress.delete(key);
  }
}

/** One save (see {@link writeModelFiles}), its writer lock held. A replaced file keeps its permissions. */
async function replaceFiles(dir: string, files: Record<string, Uint8Array>, config: object): Promise<void> {
  await finishInterruptedSave(dir);
  await removeLeftovers(dir);
  const digests: FileDigests = Object.fromEntries(
    Object.entries(files).map(([name, data]) => [name, { bytes: data.byteLength, sha256: sha256(data) }]),
  );
  const all: Array<[string, Uint8Array]> = [
    ...Object.entries(files),
    [CONFIG_FILE, Buffer.from(JSON.stringify({ ...config, files: digests }, null, 2))],
  ];
  const needed = all.reduce((sum, [, data]) => sum + data.byteLength, 0);
  const temps: string[] = [];
  try {
    for (const [name, data] of all) {
      const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${name}`);
      temps.push(temp);
      const handle = await fs.open(temp, 'wx'); // a new file: never through a link left in its place
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const previous = await fs.stat(path.join(dir, name)).catch(() => null);
      if (previous !== null) await fs.chmod(temp, previous.mode & 0o7777);
    }
  } catch (error) {
    await Promise.all(temps.map((temp) => fs.rm(temp, { force: true })));
    throw writeError(error, dir, needed);
  }
  for (const [k, [name]] of all.entries()) await fs.rename(temps[k], path.join(dir, name)); // config.json last
  for (const name of OURS)
    if (!(name in files) && name !== CONFIG_FILE) await fs.rm(path.join(dir, name), { force: true });
  await syncFolder(dir);
}

/** Flushes the folder's entries (the renames) to disk where the platform allows it. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => null);
  await handle?.sync().catch(() => {});
  await handle?.close();
}

/**
 * A file of a model folder: a regular file inside it (no link, folder, device or pipe) within the size limit of its
 * kind; null when it is absent, or larger than `expectedBytes` (what config.json records: it does not match).
 */
async function readOwnFile(dir: string, name: string, expectedBytes = Infinity): Promise<Buffer | null> {
  const policy = name.endsWith('.json') ? MODEL_JSON_POLICY : MODEL_BINARY_POLICY;
  const maxBytes = Math.min(policy.maxBytes, expectedBytes);
  return readInputFile(path.join(dir, name), { ...policy, maxBytes }).catch((error: unknown) => {
    const problem = error instanceof InputFileError ? error.problem : undefined;
    if (problem === 'missing' || (problem === 'too-large' && maxBytes < policy.maxBytes)) return null;
    throw error;
  });
}

/** The files of one save, read together: `config.json` parsed, and the other files' bytes (null when absent). */
export interface ModelFiles {
  config: unknown;
  file(name: string): Buffer | null;
}

/** A save's files as read: complete, or the first file that does not match its digest. */
type Snapshot = { config: unknown; configBytes: Buffer; files: Map<string, Buffer | null>; wrong?: string };

/**
 * Reads config.json and `names`, from the folder or — for `pending`, a save interrupted in its renames — from that
 * save's temporary files: each file is taken from wherever its bytes match the digest config.json records. Files the
 * save does not list read as absent. A folder saved before digests existed is read as it is.
 */
async function readSnapshot(
  dir: string,
  names: readonly string[],
  pending: Map<string, string> | null,
): Promise<Snapshot> {
  const configName = pending?.has(CONFIG_FILE) ? path.basename(pending.get(CONFIG_FILE)!) : CONFIG_FILE;
  const configBytes = await readOwnFile(dir, configName);
  if (configBytes === null)
    throw new Error(
      `"${dir}" is not a complete model folder: ${CONFIG_FILE} ` +
        `is missing. Train one with \`gennet train --out ${dir}\`.`,
    );
  let config: unknown;
  try {
    config = JSON.parse(configBytes.toString('utf8'));
  } catch {
    throw new Error(
      `${path.join(dir, configName)} is not valid JSON (corrupted?). Re-train or restore the model folder.`,
    );
  }
  const digests = checkedDigests(config, path.join(dir, configName));
  const files = new Map<string, Buffer | null>();
  for (const name of names) {
    const expected = digests?.[name];
    if (digests !== undefined && expected === undefined) {
      files.set(name, null); // not part of this save (a stray of an earlier one)
      continue;
    }
    const candidates = [name, ...(pending?.has(name) ? [path.basename(pending.get(name)!)] : [])];
    let chosen: Buffer | null = null;
    for (const candidate of candidates) {
      const data = await readOwnFile(dir, candidate, expected?.bytes);
      if (
        data !== null &&
        (expected === undefined || (data.byteLength === expected.bytes && sha256(data) === expected.sha256))
      ) {
        chosen = data;
        break;
      }
    }
    files.set(name, chosen);
    if (chosen === null && expected !== undefined) return { config, configBytes, files, wrong: name };
  }
  return { config, configBytes, files };
}

/**
 * The digest list of a parsed `config.json`, checked: a list that is not one gennet writes (every save lists at least
 * its vocabulary) is damaged, and one that is absent is accepted only from a folder saved before digests existed —
 * every config.json with a format version above 2 or a `gennetVersion` was written with its list, so a list removed
 * from it is never taken for an old folder.
 */
function checkedDigests(config: unknown, where: string): FileDigests | undefined {
  const { files, version, gennetVersion } = (typeof config === 'object' && config !== null ? config : {}) as {
    files?: unknown;
    version?: unknown;
    gennetVersion?: unknown;
  };
  const restore = 'Restore the model folder from a copy, or re-train it.';
  if (files === undefined) {
    if ((typeof version === 'number' && version > 2) || gennetVersion !== undefined)
      throw new Error(
        `${where} has no digest list ("files"), yet the gennet that saved it (format version ${String(version)}` +
          `${typeof gennetVersion === 'string' ? `, gennet ${gennetVersion}` : ''}) always writes one: it was ` +
          `removed, so gennet cannot check the model's files against their save. ${restore}`,
      );
    return undefined;
  }
  const isDigest = (entry: unknown) =>
    typeof entry === 'object' &&
    entry !== null &&
    Number.isSafeInteger((entry as { bytes?: unknown }).bytes) &&
    /^[0-9a-f]{64}$/.test(String((entry as { sha256?: unknown }).sha256));
  if (typeof files !== 'object' || files === null || Array.isArray(files) || !Object.values(files).every(isDigest))
    throw new Error(`${where}: its digest list ("files") is damaged (not each file's size and SHA-256). ${restore}`);
  if (!(ARTIFACT_FILES.vocab in files))
    throw new Error(
      `${where}: its digest list ("files") does not name ${ARTIFACT_FILES.vocab}, which every saved model has: ` +
        `the list was edited after the save. ${restore}`,
    );
  return files as FileDigests;
}

/**
 * The temporary files of a save killed after its write phase (its config.json among them), by final name; null when
 * there is none. At most one such save exists: the next writer finishes it before it saves.
 */
async function interruptedSave(dir: string): Promise<Map<string, string> | null> {
  const groups = new Map<string, Map<string, string>>();
  for (const entry of (await entries(dir)) ?? []) {
    const match = /^\.gennet-tmp-(\d+)-(.+)$/.exec(entry);
    if (match === null || !OURS.includes(match[2])) continue;
    const group = groups.get(match[1]) ?? new Map<string, string>();
    group.set(match[2], path.join(dir, entry));
    groups.set(match[1], group);
  }
  return [...groups.values()].find((group) => group.has(CONFIG_FILE)) ?? null;
}

/**
 * Completes a save that was killed during its renames (its files were all written): renames the rest, config.json last.
 */
async function finishInterruptedSave(dir: string): Promise<void> {
  const pending = await interruptedSave(dir);
  if (pending === null) return;
  const snapshot = await readSnapshot(
    dir,
    OURS.filter((name) => name !== CONFIG_FILE),
    pending,
  ).catch(() => null);
  // its write phase did not end: the folder holds the previous save
  if (snapshot === null || snapshot.wrong !== undefined) return;
  for (const [name, temp] of pending) if (name !== CONFIG_FILE) await fs.rename(temp, path.join(dir, name));
  await fs.rename(pending.get(CONFIG_FILE)!, path.join(dir, CONFIG_FILE));
}

/**
 * Reads `config.json` and the named files of a model folder as one save: when `config.json` lists digests, every
 * file must match them. A save killed during its renames is read from its temporary files. While a writer holds the
 * folder a mismatch may be its save in progress, so the reader reads again (for up to 10 s); otherwise the file is
 * reported as damaged at once.
 */
export async function readModelFiles(dir: string, names: readonly string[]): Promise<ModelFiles> {
  const started = Date.now();
  for (;;) {
    let snapshot = await readSnapshot(dir, names, null);
    if (snapshot.wrong !== undefined) {
      const pending = await interruptedSave(dir);
      const finished = pending === null ? null : await readSnapshot(dir, names, pending).catch(() => null);
      if (finished !== null && finished.wrong === undefined) snapshot = finished;
    }
    const { config, files, wrong } = snapshot;
    if (wrong === undefined) return { config, file: (name) => files.get(name) ?? null };
    const writer = await activeWriter(dir);
    const saved = await readOwnFile(dir, CONFIG_FILE);
    if (saved === null || !saved.equals(snapshot.configBytes)) continue; // a save ended while we read: read it
    if (Date.now() - started > READ_RETRY_MS || writer === null) {
      if (files.get(wrong) === null && (await fs.lstat(path.join(dir, wrong)).catch(() => null)) === null) {
        throw new Error(
          `"${dir}" is not a complete model folder: ${wrong} is missing. Re-train or restore the model folder.`,
        );
      }
      throw new Error(
        `"${path.join(dir, wrong)}" does not match what ${CONFIG_FILE} records for it (damaged, or changed ` +
          'since the save). Re-train or restore the model folder.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

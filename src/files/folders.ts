import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { kindOf } from './inputFile';

/**
 * How gennet writes into folders without reaching outside them: the folder a user names is taken as it is (a link on
 * the way to it is the user's choice) and compared with others by its real path; below it, every entry gennet writes,
 * replaces or deletes is checked component by component with `lstat`, and a symbolic link there is refused by name —
 * a rename or delete through it would change files in another folder.
 */

/** The real path of `target`, links on the way resolved; for a path not made yet, its deepest existing ancestor's. */
export async function realPathOf(target: string): Promise<string> {
  const absolute = path.resolve(target);
  const missing: string[] = [];
  for (let existing = absolute; ; existing = path.dirname(existing)) {
    const real = await fs.realpath(existing).catch(() => null);
    if (real !== null) return path.join(real, ...missing);
    if (path.dirname(existing) === existing) return absolute;
    missing.unshift(path.basename(existing));
  }
}

/** True when `inner` is `outer` or lies below it (both absolute, real paths). */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);
}

/** Why a folder could not be made, in words, by the code of the failure. */
const CANNOT_MAKE: Record<string, string> = {
  EACCES: 'you have no permission to write in its parent',
  EPERM: 'its parent does not allow new folders',
  EROFS: 'it is on a read-only file system',
  ENOTDIR: 'a part of its path is a file, not a folder',
  ENOENT: 'its parent does not accept new folders (a system folder such as /proc?)',
  ENOSPC: 'the disk is full',
  EEXIST: 'a file of that name is in the way',
  EDANGLING: 'it is a symbolic link to a folder that does not exist; make that folder or remove the link',
};

/** Makes `absolute` and its missing parents, one at a time; a failure carries the path that could not be made. */
async function makeMissing(absolute: string): Promise<void> {
  const stat = await fs.stat(absolute).catch(() => null);
  if (stat?.isDirectory()) return;
  if (stat === null && path.dirname(absolute) !== absolute) await makeMissing(path.dirname(absolute));
  await fs.mkdir(absolute).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST' || stat !== null) throw Object.assign(error, { path: absolute });
    // not there for stat, there for mkdir: a link to nothing (or a folder another process made meanwhile)
    if ((await fs.lstat(absolute)).isSymbolicLink()) throw Object.assign(error, { code: 'EDANGLING', path: absolute });
  });
}

/**
 * Makes the folder `dir` and its missing parents, one at a time, and says why in words when it cannot (Node's
 * recursive `mkdir` loops forever under `/proc`).
 */
export async function makeFolder(dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  await makeMissing(absolute).catch((error: NodeJS.ErrnoException) => {
    const at = error.path !== undefined && error.path !== absolute ? ` ("${error.path}" cannot be made)` : '';
    const reason = CANNOT_MAKE[error.code ?? ''] ?? error.code ?? error.message;
    throw new Error(`Cannot create the folder "${dir}"${at}: ${reason}. Choose a folder you can write to.`);
  });
}

/** Where an entry is, for messages: the folder's description and what to do about a link or an intruder in it. */
export interface FolderRole {
  /** e.g. `the site folder "site"`. */
  place: string;
  /** What the user can do, e.g. `export again`. */
  retry: string;
}

/** The error for `entry`, a symbolic link inside a folder gennet writes. */
function linkInside(entry: string, role: FolderRole): Error {
  return new Error(
    `"${entry}" is a symbolic link inside ${role.place}; gennet never writes or deletes through a link there (it ` +
      `would change files elsewhere). Remove the link (what it points to stays) or move it away, then ${role.retry}.`,
  );
}

/**
 * Throws unless `relative` (`/`-separated, below `root`) can be written or deleted as a plain file of `root`: every
 * folder on the way is a real folder (not a link), and the entry, when it exists, is a regular file.
 */
export async function checkPlainFileInside(root: string, relative: string, role: FolderRole): Promise<void> {
  const parts = relative.split('/');
  let current = root;
  for (const [k, part] of parts.entries()) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => null);
    if (stat === null) return;
    if (stat.isSymbolicLink()) throw linkInside(current, role);
    const last = k === parts.length - 1;
    if (last ? !stat.isFile() : !stat.isDirectory()) {
      throw new Error(
        `"${current}" in ${role.place} is ${stat.isFile() ? 'a file' : kindOf(stat)}, where gennet keeps ` +
          `${last ? 'a file' : 'a folder'} of its own; move it away, then ${role.retry}.`,
      );
    }
  }
}

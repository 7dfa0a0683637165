import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { makeFolder } from '../files';

/**
 * Writes a file as a whole: to a temporary sibling first, then renamed over `file`, so a failure never leaves it
 * half-written.
 */
export async function writeFileAtomically(file: string, contents: string | Uint8Array): Promise<void> {
  await makeFolder(path.dirname(path.resolve(file)));
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await fs.writeFile(tmp, contents, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

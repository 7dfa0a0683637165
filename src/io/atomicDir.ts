import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a directory as a whole: `fill` writes into a fresh temporary sibling, which then replaces `dir`.
 * If `fill` or the process fails midway, the previous `dir` stays as it was and the temporary folder is removed
 * (or, after a crash, left as `.<name>.tmp-*` beside it, never mistaken for the real one).
 */
export async function writeDirAtomically(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(path.resolve(dir));
  await fs.mkdir(parent, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(parent, `.${base}.tmp-`));
  try {
    await fill(tmp);
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const old = path.join(parent, `.${base}.old-${process.pid}-${Date.now()}`);
  const hadOld = await fs.rename(dir, old).then(() => true, (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return false;
    throw e;
  });
  await fs.rename(tmp, dir);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}

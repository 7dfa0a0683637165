import { createHash } from 'node:crypto';
import { cpSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAs } from './cliJson';

/**
 * Rewrites `file` of a saved model and records its new digest in config.json, as a tool that writes consistent but
 * wrong files would: the loader's deeper checks must catch what the digests cannot.
 */
export async function rewriteWithDigest(dir: string, file: string, contents: string | Uint8Array): Promise<void> {
  await fs.writeFile(path.join(dir, file), contents);
  const configFile = path.join(dir, 'config.json');
  const config = parseAs<{ files: Record<string, { bytes: number; sha256: string }> }>(
    await fs.readFile(configFile, 'utf8'),
  );
  const data = await fs.readFile(path.join(dir, file));
  config.files[file] = { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
  await fs.writeFile(configFile, JSON.stringify(config));
}

/** A copy of the model folder `source` at `dir` (replacing what is there) to tamper with: fixtures stay as they are. */
export function copyModel(source: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  return dir;
}

/** Edits the `config.json` of the model folder `dir` in place (no digest covers config.json itself). */
export function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'config.json');
  const config = parseAs<Record<string, unknown>>(readFileSync(file, 'utf8'));
  edit(config);
  writeFileSync(file, JSON.stringify(config));
}

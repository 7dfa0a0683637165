import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Turns Windows line endings (`\r\n`) into `\n`. */
export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

/**
 * Reads a corpus file as UTF-8 text, without a byte-order mark and with `\n` line endings.
 * `whatElse` completes the "file not found" message (e.g. which built-in corpora exist).
 */
export async function readTextFile(file: string, whatElse: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        `Corpus file not found: ${path.resolve(file)}. Check the path (relative paths start at ${process.cwd()}) ${whatElse}.`,
      );
    }
    if (code === 'EISDIR') {
      throw new Error(`Corpus path ${path.resolve(file)} is a folder. Pass one file (.csv, .json, .jsonl, .txt, .md).`);
    }
    throw new Error(`Could not read corpus file ${path.resolve(file)}: ${(error as Error).message}. Check that it is readable.`);
  }
  return normaliseNewlines(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

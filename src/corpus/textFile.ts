import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeUtf8, describeTextIssues } from './textDecoding';

/** Turns Windows line endings (`\r\n`) into `\n`. */
export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

/** A corpus file's text and what was wrong with its bytes (one warning line each). */
export interface ReadText {
  text: string;
  warnings: string[];
}

/**
 * Reads a corpus file as UTF-8 text, without a byte-order mark and with `\n` line endings. It never fails on the
 * bytes: invalid UTF-8 becomes U+FFFD and mojibake is detected (repaired with `repairMojibake`), each reported in
 * `warnings`. `whatElse` completes the "file not found" message (e.g. which built-in corpora exist).
 */
export async function readTextFile(file: string, whatElse: string, options: { repairMojibake?: boolean } = {}): Promise<ReadText> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
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
  const { text, issues } = decodeUtf8(bytes, options); // drops a byte-order mark
  return { text: normaliseNewlines(text), warnings: describeTextIssues(issues, path.basename(file)) };
}

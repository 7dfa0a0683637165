import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeText, describeTextIssues } from './textDecoding';

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
 * Reads a corpus file as text (UTF-8, or UTF-16/32 with a byte-order mark), without the mark and with `\n` line
 * endings. It never fails on the bytes: invalid UTF-8 becomes U+FFFD and mojibake is detected (repaired with
 * `repairMojibake`), each reported in `warnings`. `whatElse` completes the "file not found" message (e.g. which
 * built-in corpora exist).
 */
export async function readTextFile(
  file: string,
  whatElse: string,
  options: { repairMojibake?: boolean } = {},
): Promise<ReadText> {
  let bytes: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile() && !stat.isDirectory()) {
      throw new Error(
        `Corpus path ${path.resolve(file)} is not a regular file (a ` +
          'pipe, socket or device); save the text to a file and pass that.',
      );
    }
    bytes = await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        `Corpus file not found: ${path.resolve(file)}. Check the ` +
          `path (relative paths start at ${process.cwd()}) ${whatElse}.`,
      );
    }
    if (code === 'EISDIR') {
      throw new Error(`Corpus path ${path.resolve(file)} is a folder. Pass one file (.csv, .json, .jsonl, .txt, .md).`);
    }
    if (code === undefined) throw error;
    throw new Error(
      `Could not read corpus file ${path.resolve(file)}: ${(error as Error).message}. Check that it is readable.`,
    );
  }
  // UTF-16/32 by their byte-order mark, else UTF-8 (without its mark)
  const { text, issues } = decodeText(bytes, options);
  return { text: normaliseNewlines(text), warnings: describeTextIssues(issues, path.basename(file)) };
}

import * as path from 'node:path';
import { readInputFile, type InputPolicy } from '../files';
import { decodeText, describeTextIssues } from './textDecoding';

/** Turns every line ending — Windows `\r\n`, old Mac `\r`, or a mix — into `\n`. */
export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * The largest corpus file read: below the longest string V8 makes (536,870,888 characters), which the text of a
 * larger file may not fit. Measured with `gennet train` (2 steps of an LSTM 1×16 on wasm, 2 cores shared with other
 * jobs, Node 20, heap limit 4.3 GB) on Moby Dick repeated — size: seconds to load, tokenize and train, peak RSS:
 * - characters: 50 MB 21 s 0.31 GB, 100 MB 31 s 0.51 GB, 200 MB 37 s 0.90 GB, 400 MB 69 s 1.7 GB, 500 MB 86 s 2.1 GB;
 *   540 MB failed after 8 s: "Cannot create a string longer than 0x1fffffe8 characters";
 * - words: 50 MB 184 s 1.6 GB, 100 MB 252 s 2.6 GB, 200 MB 407 s 3.1 GB, 400 MB 1013 s 4.6 GB, 500 MB 892 s 4.9 GB;
 * - tables: CSV 400 MB 45 s 1.9 GB, JSON lines 400 MB 149 s 1.7 GB. (Times vary with the load of the other jobs.)
 */
export const MAX_CORPUS_BYTES = 500e6;

/** How corpus files are read (see {@link readInputFile}); `whenMissing` completes the "not found" message. */
const corpusPolicy = (whenMissing: string): InputPolicy => ({
  what: 'Corpus file',
  maxBytes: MAX_CORPUS_BYTES,
  tooBig:
    'train on a part of it — whole lines or rows, e.g. `head -n 100000 big.txt > part.txt` — ' +
    'or on a sample of its documents',
  instead: 'save the text to a regular file (.txt, .md, .csv, .json or .jsonl) and pass that',
  whenMissing,
});

/** A corpus file's text and what was wrong with its bytes (one warning line each). */
export interface ReadText {
  text: string;
  warnings: string[];
}

/**
 * Reads a corpus file as text (UTF-8, or UTF-16/32 with a byte-order mark), without the mark and with `\n` line
 * endings. Only a regular file within {@link MAX_CORPUS_BYTES} is read; anything else is refused with what to do
 * (`whatElse` completes the "not found" message, e.g. which built-in corpora exist). It never fails on the bytes:
 * invalid UTF-8 becomes U+FFFD and mojibake is detected (repaired with `repairMojibake`), each reported in `warnings`.
 */
export async function readTextFile(
  file: string,
  whatElse: string,
  options: { repairMojibake?: boolean } = {},
): Promise<ReadText> {
  const bytes = await readInputFile(file, corpusPolicy(whatElse));
  // UTF-16/32 by their byte-order mark, else UTF-8 (without its mark)
  const { text, issues } = decodeText(bytes, options);
  return { text: normaliseNewlines(text), warnings: describeTextIssues(issues, path.basename(file)) };
}

import { constants, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { describeBytes, describeBytesApart } from './byteSize';

/** What a file gennet reads is, and how much of it gennet reads: the rules {@link readInputFile} applies. */
export interface InputPolicy {
  /** What the file is, as messages name it: `Corpus file`, `Prompt file`, `Model file`. */
  what: string;
  /** The largest size read, in bytes. */
  maxBytes: number;
  /** What to do instead when the file is larger, e.g. `pass a shorter excerpt`. */
  tooBig: string;
  /** What to pass instead of something that is not a regular file (a folder, a pipe, a device) or is a link. */
  instead: string;
  /** Refuse the file when it is itself a symbolic link (links among the folders above it are followed). */
  refuseLinks?: boolean;
  /** Completes the "not found" message, e.g. `or use a built-in corpus name (sotu, …)`. */
  whenMissing?: string;
}

/**
 * Why {@link readInputFile} refused a file: it does not exist, is not a regular file (a folder, pipe, socket or
 * device), is a link the policy refuses, is over the size limit, or cannot be read.
 */
export type InputProblem = 'missing' | 'not-a-file' | 'link' | 'too-large' | 'unreadable';

/** A file {@link readInputFile} refused; the message says what is wrong and what to do, `problem` says which. */
export class InputFileError extends Error {
  constructor(
    readonly problem: InputProblem,
    message: string,
  ) {
    super(message);
    this.name = 'InputFileError';
  }
}

/**
 * Opened for reading without waiting for a writer (a named pipe would block its `open` until one comes) and, when
 * links are refused, without following a link as the last part of the path. Windows has neither flag.
 */
const openFlags = (refuseLinks: boolean) =>
  constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (refuseLinks ? (constants.O_NOFOLLOW ?? 0) : 0);

/** Bytes asked of the system per read: memory grows by bounded steps, never by what a file claims or yields. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** What is set aside first for a file whose size says nothing (the files of /proc report 0). */
const UNKNOWN_SIZE_START = 64 * 1024;

/** What a file that is not a regular file is, as a message names it. */
export function kindOf(stat: Stats | null): string {
  if (stat?.isDirectory()) return 'a folder';
  if (stat?.isFIFO()) return 'a named pipe (FIFO)';
  if (stat?.isSocket()) return 'a socket';
  if (stat?.isCharacterDevice()) return 'a character device';
  if (stat?.isBlockDevice()) return 'a block device';
  return 'a special file';
}

/** A system error's words without its code and call (`EIO: i/o error, read` → `i/o error`). */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+( '.*')?$/s, '');
}

/** The error a failed `open` or `read` of `file` becomes, naming the file and what to do. */
async function accessError(error: unknown, file: string, policy: InputPolicy): Promise<InputFileError> {
  const { what, instead } = policy;
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new InputFileError(
        'missing',
        `${what} ${file} not found; check the path (relative paths start at ${process.cwd()})` +
          `${policy.whenMissing === undefined ? '' : ` ${policy.whenMissing}`}.`,
      );
    case 'ELOOP':
      return new InputFileError(
        'link',
        policy.refuseLinks === true
          ? `${what} ${file} is a symbolic link, which gennet does not follow here; ${instead}.`
          : `${what} ${file} is a loop of symbolic links; point the path at the file itself.`,
      );
    case 'EACCES':
    case 'EPERM':
      return new InputFileError(
        'unreadable',
        `${what} ${file} cannot be read: permission denied. Allow your user to read it (chmod u+r) or pass a copy.`,
      );
    case 'EISDIR':
      return notAFile(file, 'a folder', policy);
    case 'ENXIO': // a socket, or a device without its hardware, cannot be opened
      return notAFile(file, kindOf(await fs.stat(file).catch(() => null)), policy);
    default:
      return new InputFileError(
        'unreadable',
        `${what} ${file} cannot be read (${reason(error)}); check that it is a readable file.`,
      );
  }
}

/** The refusal of something that is not a regular file (`kind`: a folder, a named pipe, a device…). */
function notAFile(file: string, kind: string, { what, instead }: InputPolicy): InputFileError {
  return new InputFileError('not-a-file', `${what} ${file} is ${kind}, not a regular file; ${instead}.`);
}

/** The refusal of a file over the limit: `size` as `fstat` gave it, or undefined when reading found it larger. */
function tooLarge(file: string, size: number | undefined, { what, maxBytes, tooBig }: InputPolicy): InputFileError {
  const [shown, limit] = size === undefined ? [undefined, describeBytes(maxBytes)] : describeBytesApart(size, maxBytes);
  const found =
    shown === undefined ? `gave more than ${limit} when read (a special file, or one that grows)` : `is ${shown}`;
  return new InputFileError(
    'too-large',
    `${what} ${file} ${found}; the limit for a ${what.toLowerCase()} is ${limit}: ${tooBig}.`,
  );
}

/**
 * Reads at most `limit` + 1 bytes, in reads of at most {@link CHUNK_BYTES}, into a buffer sized by what `fstat` said
 * (grown in steps for a file that says 0 or grows while read).
 */
async function readBounded(handle: fs.FileHandle, size: number, limit: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.min(limit, size === 0 ? UNKNOWN_SIZE_START : size) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > limit) break;
      const grown = Buffer.allocUnsafe(Math.min(limit + 1, 2 * length));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, Math.min(CHUNK_BYTES, buffer.length - length), null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/**
 * Reads a file a user gave gennet (a corpus, a prompt, a model folder's file…) by one policy: the file is opened
 * without blocking (a named pipe cannot hang it) and, when the policy refuses links, without following one; the
 * open file is checked (`fstat`, so nothing can swap it after the check) to be a regular file within the size limit
 * before a byte is read; then at most the limit is read, in bounded steps. A file whose size says nothing (the files of
 * /proc report 0) is read the same way and refused once it yields more than the limit, as is a file that grows past it
 * while read. Every refusal is an {@link InputFileError} naming the file and what to do.
 */
export async function readInputFile(file: string, policy: InputPolicy): Promise<Buffer> {
  const shown = path.resolve(file);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, openFlags(policy.refuseLinks === true));
  } catch (error) {
    throw await accessError(error, shown, policy);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notAFile(shown, kindOf(stat), policy);
    if (stat.size > policy.maxBytes) throw tooLarge(shown, stat.size, policy);
    const bytes = await readBounded(handle, stat.size, policy.maxBytes).catch(async (error: unknown) => {
      throw await accessError(error, shown, policy);
    });
    if (bytes.length > policy.maxBytes) throw tooLarge(shown, undefined, policy);
    return bytes;
  } finally {
    await handle.close();
  }
}

/**
 * Reads standard input (`--prompt-file -`) by the size limit of `policy`: what arrives is kept until the stream ends,
 * and refused as soon as it passes the limit (never buffered without bound).
 */
export async function readStandardInput(
  policy: InputPolicy,
  input: NodeJS.ReadableStream = process.stdin,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > policy.maxBytes) {
      throw new InputFileError(
        'too-large',
        `Standard input gave more than ${describeBytes(policy.maxBytes)}, the limit for a ` +
          `${policy.what.toLowerCase()}: ${policy.tooBig}.`,
      );
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, length);
}

import { printable, printableJson } from '../messages';

/**
 * A line on stderr (progress, notes, warnings, errors: stdout carries only a command's output). stderr is read by a
 * person, never parsed: every control character in it is escaped ({@link printable}), whatever part of the line
 * came from a corpus, a model folder or a generation.
 */
export const log = (line: string) => process.stderr.write(`${printable(line)}\n`);

/**
 * Prints one JSON document on stdout (machine-readable output of --json), with the characters a terminal would act
 * on written as `\uNNNN` escapes: the same JSON value, safe on a terminal too.
 */
export const printJson = (value: unknown) => process.stdout.write(`${printableJson(JSON.stringify(value, null, 2))}\n`);

/**
 * Writes a command's text output — generated text, tables of samples — on stdout. The text is the product: when
 * stdout is a file or a pipe it is written exactly as generated (a script, a file or the next tool gets the model's
 * own characters). On a terminal, which would act on control characters (clear the screen, retitle the window, write
 * the clipboard, reorder text), they are escaped ({@link printable}; line breaks and tabs stay), as `ls` and `git`
 * do with names they print to a terminal.
 */
export const printText = (text: string) => process.stdout.write(process.stdout.isTTY ? printable(text) : text);

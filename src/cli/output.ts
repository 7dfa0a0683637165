/** A line on stderr (progress, notes, warnings: stdout carries only a command's output). */
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** Prints one JSON document on stdout (machine-readable output of --json). */
export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

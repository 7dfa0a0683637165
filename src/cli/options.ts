import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { decodeText, describeTextIssues } from '../corpus';
import { BACKENDS } from '../backend';
import { ENGINES } from '../engines';
import { checkTemperature } from '../sample';

/**
 * A parser of whole numbers from `min` to `max` (`why` says what the upper limit protects) for a flag's value;
 * never beyond the integers a double holds exactly (2^53 − 1), where two different seeds would become one.
 */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER, why = '') {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min} (and below 2^53)` : `from ${min} to ${max}${why}`;
      throw new InvalidArgumentError(`expected a whole number ${range}, got "${value}".`);
    }
    return n;
  };
}

/** A parser of finite numbers for which `check` holds (`range` describes them) for a flag's value. */
export function decimal(check: (n: number) => boolean, range: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`expected a number ${range}, got "${value}".`);
    return n;
  };
}

/** Parses a comma-separated list of temperatures, each 0 (greedy) or a positive number up to 100. */
export function temperatureList(value: string): number[] {
  return value.split(',').map((item) => {
    const t = Number(item);
    if (item.trim() === '' || !Number.isFinite(t) || t < 0 || t > 100) {
      throw new InvalidArgumentError(`expected temperatures between 0 and 100 separated by commas (e.g. 0.3,0.8,1), got "${item}" in "${value}".`);
    }
    return checkTemperature(t);
  });
}

/** Parses a "|"-separated list of prompts (spaces are kept: "Today |On Sunday "). */
export function promptList(value: string): string[] {
  const prompts = value.split('|');
  if (prompts.some((prompt) => prompt === '')) throw new InvalidArgumentError(`expected prompts separated by "|" with none empty, got "${value}".`);
  return prompts;
}

/** Collects repeated `--condition COLUMN=VALUE` flags into one record (a value may itself hold `=`). */
export function conditionAssignment(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new InvalidArgumentError(`expected COLUMN=VALUE (e.g. party=Whig), got "${value}".`);
  const column = value.slice(0, at);
  if (Object.hasOwn(previous, column)) throw new InvalidArgumentError(`condition "${column}" is given twice.`);
  return { ...previous, [column]: value.slice(at + 1) };
}

/** Adds the options every model command has: --engine, --backend, --json. */
export function addRunOptions(command: Command, json: string): Command {
  return command
    .addOption(new Option('--engine <engine>', 'auto: the fastest engine that can run the model; or one by name (see `gennet engines`)').choices(['auto', ...ENGINES]).default('auto'))
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend (default: GN_BACKEND or auto)').choices(['auto', ...BACKENDS]))
    .option('--json', json);
}

/** Adds the options of `generate` and `temperatures`: the model, length, seed and how to sample. */
export function addSamplingOptions(command: Command, seed: string): Command {
  return command
    .requiredOption('--model <dir>', 'model directory written by `gennet train`')
    .option('--length <n>', 'tokens (characters or words) to generate', integer(0), 300)
    .option('--seed <n>', seed, integer(0), 42)
    .option('--top-k <k>', 'sample only among the k most likely tokens', integer(1))
    .option('--top-p <p>', 'sample only among the most likely tokens that make up probability p', decimal((n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--repetition-penalty <x>', 'make recent tokens less likely (1 = off, 1.2 = mild)', decimal((n) => n > 0 && n <= 100, 'in (0, 100]'))
    .option('--strict', 'refuse prompts with characters or words the model never saw (default: warn, they become <unk>)')
    .option('--condition <column=value>', 'a conditional model: generate under this value of a condition (repeat for each condition)', conditionAssignment)
    .option('--source <text>', 'a sequence-to-sequence model: the source to decode');
}

/**
 * The text of a prompt file (UTF-8, or UTF-16/32 by its byte-order mark), exactly as written — a final line break
 * included; `log` hears about invalid bytes. Throws naming a missing or unreadable file.
 */
export async function readPromptFile(file: string, log: (line: string) => void): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? String(error)})`;
    throw new Error(`Prompt file ${path.resolve(file)} ${why}; check the path (relative paths start at ${process.cwd()}).`);
  }
  const { text, issues } = decodeText(bytes);
  for (const line of describeTextIssues(issues, file)) log(`prompt: ${line}`);
  return text;
}

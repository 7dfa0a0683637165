import { fork, spawn } from 'node:child_process';
import { findProjectRoot } from '../src/corpus/projectRoot';

/** The project folder (holding package.json, `dist/` and `bench/`), found from this compiled file. */
export const PROJECT_ROOT = findProjectRoot(__dirname);

/** Writes a progress line on stderr (stdout is kept for the table or the JSON document). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Runs a program that prints one JSON document on stdout and returns it parsed; the program's stderr (its progress)
 * goes to ours. Rejects when the program cannot start, exits with an error or prints something that is not JSON.
 */
export function runJson<T>(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0)
        return reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}).`));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`${command} ${args.join(' ')} printed no JSON document: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/**
 * Runs a compiled bench module in a child Node process and returns the one message it sends back with
 * `process.send`; the child's stdout and stderr both go to our stderr.
 */
export function forkJson<T>(modulePath: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(modulePath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 2, 2, 'ipc'] });
    let message: { value: T } | null = null;
    child.on('message', (value) => (message = { value: value as T }));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (message !== null) return resolve(message.value);
      reject(new Error(`${modulePath} ${args.join(' ')} ended (${signal ?? `exit code ${code}`}) without a result.`));
    });
  });
}

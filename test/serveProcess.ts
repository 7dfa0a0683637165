// `gennet serve` as a child process, the way the page, server and fuzz tests start and stop it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { withTimeout } from './chromium';

/** The compiled CLI. */
export const CLI = path.resolve(__dirname, '../../dist/cli.js');

/** A running `gennet serve`. */
export interface ServeProcess {
  /** The address it printed, e.g. `http://localhost:40123/`. */
  url: string;
  /** Its port. */
  port: number;
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` (SIGTERM by default) and resolves with its exit code and the signal that ended it, if any. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `gennet serve --model MODEL --port 0` (with `env` added to this process's environment) and waits for the
 * address it prints; one that exits before then rejects with its stderr.
 */
export async function startServe(model: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--model', model, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('\n')) resolve(stdout.trim());
      });
      void exited.then(([code]) => reject(new Error(`gennet serve exited with ${code}: ${stderr}`)));
    }),
    60_000,
    'gennet serve printing its address',
  ).catch((error) => {
    child.kill();
    throw error;
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const [code, endedBy] = await withTimeout(exited, 20_000, `gennet serve stopping on ${signal}`);
    return { code, signal: endedBy };
  };
  return { url, port: Number(new URL(url).port), child, stderr: () => stderr, stop };
}

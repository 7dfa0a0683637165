// What the CLI tests of a model family share: a small corpus no fixture holds, and `gennet` run on wasm.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../src/random';

/** Writes 300 seeded lines of 3–6 made-up syllables to `file`. */
export function writeSyllables(file: string, seed: number): void {
  const rng = createRng(seed);
  const syllables = ['ka', 'lo', 'mi', 'tu', 'ren', 'sa', 'vo'];
  const line = () =>
    Array.from({ length: 3 + Math.floor(rng() * 4) }, () => syllables[Math.floor(rng() * 7)]).join(' ');
  writeFileSync(file, Array.from({ length: 300 }, line).join('\n'));
}

/** Runs the built `gennet` on the wasm backend; its exit status and output. */
export function gennetOnWasm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

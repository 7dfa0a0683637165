import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * This package's version: the `version` of the package.json found by walking up from this compiled file (`dist/` or
 * `build/src/`), read once at run time; `unknown` if there is none.
 */
export function gennetVersion(): string {
  if (cached !== undefined) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
      return (cached = typeof version === 'string' ? version : 'unknown');
    }
    if (path.dirname(dir) === dir) return (cached = 'unknown');
  }
}

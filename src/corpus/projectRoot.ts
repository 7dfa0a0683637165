import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The folder holding our package.json, found by walking up from this compiled file
 * (`dist/corpus` or `build/src/corpus`); the working directory if there is none.
 */
export function findProjectRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

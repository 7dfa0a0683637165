import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');
const config = path.join(root, '.dependency-cruiser.cjs');

/** Runs the project's dependency rules over a tree of `files` (path → source) in a fresh folder. */
function cruise(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gennet-deps-'));
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  const run = spawnSync(depcruise, ['src', '--config', config], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

test('the project itself keeps its stages in one direction', () => {
  const run = spawnSync(depcruise, ['src', '--config', config], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test('the dependency lint fails on a back-import, names the stages, and on modules that import each other', () => {
  const forward = cruise({
    'src/train/loop.ts': "import { x } from '../data/batch';\nexport const y = x;\n",
    'src/data/batch.ts': 'export const x = 1;\n',
  });
  assert.equal(forward.status, 0, forward.output);
  const back = cruise({
    'src/data/batch.ts': "import { y } from '../train/loop';\nexport const x = y;\n",
    'src/train/loop.ts': 'export const y = 1;\n',
  });
  assert.notEqual(back.status, 0);
  assert.match(back.output, /data-imports-a-later-stage: src\/data\/batch\.ts → src\/train\/loop\.ts/);
  const circle = cruise({
    'src/sample/a.ts': "import { b } from './b';\nexport const a = b;\n",
    'src/sample/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
  });
  assert.notEqual(circle.status, 0);
  assert.match(circle.output, /no-circular/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const python = process.env.GN_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const notebooks = readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

test('there are lesson notebooks to run', () => {
  assert.ok(notebooks.length >= 1);
});

for (const notebook of notebooks) {
  test(`notebook ${notebook} runs headless in quick mode without errors`, () => {
    const run = spawnSync(python, ['scripts/run_notebooks.py', '--quick', '--out', 'build/notebooks', `notebooks/${notebook}`], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    });
    process.stdout.write(run.stdout);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`ok ${notebook.replace('.', '\\.')}`));
  });
}

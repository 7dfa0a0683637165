#!/usr/bin/env node
// Runs the compiled tests (build/test/*.test.js) with node's test runner.
//   node scripts/test.js          every test, the notebooks and the headless-browser checks included (npm test)
//   node scripts/test.js --unit   all but the notebook executions: the quick loop while coding (npm run test:unit)
// Before the full run it checks what the notebook and browser tests need, and says in one line how to get it.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const unit = process.argv.includes('--unit');
const dir = path.join(root, 'build', 'test');
const SLOW = ['notebooks.test.js'];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.js') && !(unit && SLOW.includes(f)))
  .sort();

if (!unit) {
  const python = process.env.GN_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const check = 'import nbclient, jupyter_client.kernelspec as k; k.KernelSpecManager().get_kernel_spec("tslab")';
  const missing = [];
  if (spawnSync(python, ['-c', check], { stdio: 'ignore' }).status !== 0)
    missing.push(`Jupyter with the tslab kernel (for ${python})`);
  if (!existsSync('/usr/bin/chromium')) missing.push('Chromium at /usr/bin/chromium');
  if (!existsSync(path.join(root, 'native', 'build', 'Release', 'gennet_native.node')))
    missing.push('the native engine (a C++ compiler and OpenBLAS)');
  if (missing.length > 0) {
    console.error(
      `npm test: ${missing.join(' and ')} not set up: run \`npm run setup\` first (or \`npm run test:unit\` for the unit tests alone).`,
    );
    process.exit(1);
  }
}

// Two test files at a time: most of them wait on one core (child processes, a kernel, a browser), so two make use of
// both cores of a small machine; each file still runs its own tests one after another.
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files.map((f) => path.join(dir, f))], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(run.status ?? 1);

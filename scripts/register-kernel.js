#!/usr/bin/env node
// Registers the notebooks' TypeScript kernel (tslab) so that any Jupyter frontend can start it: JupyterLab, VS Code,
// or `jupyter notebook` started by hand. `tslab install` writes a kernel that runs `tslab` from PATH, which only
// `npm run` provides; this rewrites the kernel's command to absolute paths (this Node and this project's tslab).
//   node scripts/register-kernel.js <python>     (npm run setup calls it)
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const python = process.argv[2] ?? '/usr/bin/python3';
const DISPLAY_NAME = 'TypeScript (tslab, generative-networks)';

const fail = (message) => {
  console.error(`register-kernel: ${message}`);
  process.exit(1);
};

const tslab = path.join(root, 'node_modules', 'tslab', 'bin', 'tslab');
if (!existsSync(tslab)) fail(`${tslab} is missing: run \`npm ci\` first.`);
const install = spawnSync(process.execPath, [tslab, 'install', `--python=${python}`], { encoding: 'utf8' });
if (install.status !== 0) fail(`tslab install failed: ${install.stderr || install.stdout}`);

const list = spawnSync(python, ['-m', 'jupyter', 'kernelspec', 'list', '--json'], {
  encoding: 'utf8',
  env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
});
if (list.status !== 0) fail(`${python} -m jupyter kernelspec list failed: ${list.stderr}`);
const spec = JSON.parse(list.stdout).kernelspecs.tslab;
if (spec === undefined) fail('the tslab kernel did not register.');
const file = path.join(spec.resource_dir, 'kernel.json');
const kernel = JSON.parse(readFileSync(file, 'utf8'));
kernel.argv = [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'];
kernel.display_name = DISPLAY_NAME;
writeFileSync(file, `${JSON.stringify(kernel, null, 1)}\n`);
console.log(`register-kernel: "${DISPLAY_NAME}" (kernel tslab) runs ${process.execPath} ${tslab} (${file})`);

#!/usr/bin/env node
// Builds the web page of `gennet serve` / `gennet export-web` into dist/web/page/: type-checks the page against the
// DOM (src/web/page/tsconfig.json), bundles src/web/page/app.ts with esbuild for the browser — with no external
// modules, so a Node-only import anywhere on its path fails this build — and copies the HTML, the styles, plotly.js
// and TensorFlow.js's wasm binaries beside it: every asset local. Prints each file's size.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'src', 'web', 'page');
const out = path.join(root, 'dist', 'web', 'page');

const check = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(source, 'tsconfig.json')],
  { stdio: 'inherit' },
);
if (check.status !== 0) process.exit(check.status ?? 1);

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const result = esbuild.buildSync({
  entryPoints: [path.join(source, 'app.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['es2022'],
  minify: true,
  sourcemap: 'external', // app.js.map stays in dist/ for debugging; sites do not carry it (6 MB)
  legalComments: 'linked',
  metafile: true,
  logLevel: 'error',
});

const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
const copies = [
  [path.join(source, 'index.html'), 'index.html'],
  [path.join(source, 'style.css'), 'style.css'],
  // plotly.js's basic bundle (bar, scatter, pie): the full one compiles code with `new Function` as it loads, which
  // the page's Content-Security-Policy (src/web/securityHeaders.ts) refuses; the page draws bars only.
  [require.resolve('plotly.js-basic-dist-min'), 'plotly.min.js'],
  ...fs
    .readdirSync(wasmDir)
    .filter((file) => file.endsWith('.wasm'))
    .map((file) => [path.join(wasmDir, file), file]),
];
for (const [from, to] of copies) fs.copyFileSync(from, path.join(out, to));

const kb = (bytes) => `${(bytes / 1024).toFixed(0).padStart(6)} KB`;
const files = fs
  .readdirSync(out)
  .filter((file) => !file.endsWith('.map'))
  .sort(); // what a site carries
const sizes = files.map((file) => [file, fs.statSync(path.join(out, file)).size]);
console.log(
  `web page → ${path.relative(root, out)}/ (bundle of ${Object.keys(result.metafile.inputs).length} modules)`,
);
for (const [file, size] of sizes) console.log(`  ${kb(size)}  ${file}`);
console.log(`  ${kb(sizes.reduce((sum, [, size]) => sum + size, 0))}  in all`);

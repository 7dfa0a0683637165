#!/usr/bin/env node
// Builds the native engine's C++ addon (native/) with node-gyp against this Node's own headers, never a download.
//   node scripts/build-native.js             build, fail loudly (npm run build:native, npm run setup)
//   node scripts/build-native.js --optional  build if the compiler and BLAS are there; otherwise, or if the build
//                                            fails, say so in one line and exit 0 (the npm install hook: it must never
//                                            break `npm ci`; the JavaScript engines work without the addon)
// GN_BLAS=<lib> links another CBLAS (default: openblas on Linux, accelerate on macOS).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const optional = process.argv.includes('--optional');

/** Why the addon cannot be built here, or null. */
function missingPrerequisite() {
  const cxx = process.env.CXX || (process.platform === 'darwin' ? 'clang++' : 'g++');
  if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) return `no C++ compiler (${cxx})`;
  if (process.platform === 'linux' && !process.env.GN_BLAS) {
    const headers = [
      '/usr/include/cblas.h',
      '/usr/include/x86_64-linux-gnu/cblas.h',
      '/usr/include/aarch64-linux-gnu/cblas.h',
      '/usr/include/openblas/cblas.h',
    ];
    if (!headers.some((file) => existsSync(file))) return 'no OpenBLAS headers (Debian/Ubuntu: libopenblas-dev)';
  }
  return null;
}

/** Node's own headers: npm's nodedir setting, else the include folder beside this node binary. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp))
    return [process.execPath, process.env.npm_config_node_gyp];
  const bundled = path.join(
    path.dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  return existsSync(bundled) ? [process.execPath, bundled] : ['npx', '--no-install', 'node-gyp'];
}

function skip(why) {
  const line = `native engine: not built (${why}); the JavaScript engines work. On Debian/Ubuntu \`npm run setup\` installs what it needs and builds it.`;
  if (optional) {
    console.error(line);
    process.exit(0);
  }
  console.error(line.replace('not built', 'cannot be built'));
  process.exit(1);
}

const missing = missingPrerequisite();
if (missing !== null) skip(missing);
const dir = nodeDir();
if (dir === null) skip("Node's C headers are not installed beside this node (set npm's nodedir)");
const [command, ...args] = nodeGyp();
const build = spawnSync(command, [...args, 'rebuild', `--nodedir=${dir}`], {
  cwd: path.join(root, 'native'),
  encoding: 'utf8',
});
if (build.status !== 0) {
  if (!optional) process.stderr.write(`${build.stdout}\n${build.stderr}\n`);
  skip(`the C++ build failed${optional ? '; run `npm run build:native` to see why' : ''}`);
}
console.error('native engine: built native/build/Release/gennet_native.node');

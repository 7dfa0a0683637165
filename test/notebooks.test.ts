import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const python = process.env.GN_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const notebooks = readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

test('there are lesson notebooks to run', () => {
  assert.ok(notebooks.length >= 1);
});

/** PATH without the node_modules/.bin folders `npm run` puts first. */
const withoutNpmBins = (value: string) => value.split(path.delimiter).filter((dir) => !dir.includes('node_modules')).join(path.delimiter);

/** Executes one notebook in quick mode, saving the executed copy in `outDir`. */
function runQuick(notebook: string, outDir: string): void {
  const run = spawnSync(python, ['scripts/run_notebooks.py', '--quick', '--out', outDir, `notebooks/${notebook}`], {
    cwd: root,
    encoding: 'utf8',
    // Without npm's node_modules/.bin on PATH, as when Jupyter is started by hand: the kernel must not need it.
    env: { ...process.env, PATH: withoutNpmBins(process.env.PATH ?? ''), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  });
  process.stdout.write(run.stdout);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, new RegExp(`ok ${notebook.replace('.', '\\.')}`));
}

/** Durations and speeds in printed text ("6.7 s", "in 12 s", "3203 characters/s"): they differ from run to run. */
const TIMING = /\d+(?:[.,]\d+)*\s*(?:characters\/s|chars\/s|ms|s)\b/g;

/** The outputs of every code cell (text, HTML, SVG …), with timings masked. */
function outputsOf(file: string): unknown[] {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells: Array<{ cell_type: string; outputs?: Array<Record<string, unknown>> }> };
  return nb.cells.filter((cell) => cell.cell_type === 'code').map((cell) => (cell.outputs ?? []).map((output) => {
    const { text, data, output_type: type } = output as { text?: string | string[]; data?: Record<string, string | string[]>; output_type: string };
    const join = (value: string | string[]) => (Array.isArray(value) ? value.join('') : value).replace(TIMING, '<time>');
    return { type, text: text === undefined ? undefined : join(text), data: data && Object.fromEntries(Object.entries(data).map(([k, v]) => [k, join(v)])) };
  }));
}

for (const notebook of notebooks) {
  test(`notebook ${notebook} runs headless in quick mode without errors`, () => {
    runQuick(notebook, 'build/notebooks');
  });
}

for (const notebook of notebooks) {
  test(`notebook ${notebook} gives the same outputs when run again (timings aside), so courses can publish them`, () => {
    runQuick(notebook, 'build/notebooks-again');
    const first = outputsOf(path.join(root, 'build/notebooks', notebook));
    const second = outputsOf(path.join(root, 'build/notebooks-again', notebook));
    assert.ok(first.flat().length > 3, 'the first run saved its outputs');
    assert.deepEqual(second, first);
  });
}

test('a Jupyter server started by hand (npm not on PATH) starts the notebooks\' kernel', { timeout: 120_000 }, async () => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const token = randomUUID();
  const args = ['-m', 'notebook', '--no-browser', `--port=${port}`, `--NotebookApp.token=${token}`, '--notebook-dir=notebooks'];
  if (process.getuid?.() === 0) args.push('--allow-root');
  const server = spawn(python, args, { cwd: root, env: { ...process.env, PATH: withoutNpmBins(process.env.PATH ?? ''), PYDEVD_DISABLE_FILE_VALIDATION: '1' } });
  let log = '';
  server.stderr.on('data', (chunk) => (log += chunk));
  const api = (route: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}/api/${route}`, { ...init, headers: { Authorization: `token ${token}` } });
  try {
    const started = Date.now();
    while (!(await api('status').then((r) => r.ok, () => false))) {
      assert.ok(Date.now() - started < 60_000 && server.exitCode === null, `the server did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const created = await api('kernels', { method: 'POST', body: JSON.stringify({ name: 'tslab' }) });
    const body = await created.text();
    assert.equal(created.status, 201, `${body}\n${log}`);
    const { id } = JSON.parse(body) as { id: string };
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const kernel = await api(`kernels/${id}`);
    assert.equal(kernel.status, 200, log);
    assert.notEqual(((await kernel.json()) as { execution_state: string }).execution_state, 'dead', log);
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, withTimeout, type Browser } from './chromium';

const root = path.resolve(__dirname, '../..');
const python = process.env.GN_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const notebooks = readdirSync(path.join(root, 'notebooks'))
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

test('there are lesson notebooks to run', () => {
  assert.ok(notebooks.length >= 1);
});

/** PATH without the node_modules/.bin folders `npm run` puts first. */
const withoutNpmBins = (value: string) =>
  value
    .split(path.delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(path.delimiter);

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

/**
 * Figure formats: in a cell tagged `timings` (a plot against measured time) a figure is compared by its presence only.
 */
const FIGURES = ['image/png', 'image/svg+xml'];

/** The outputs of every code cell (text, HTML, SVG …), with timings masked. */
function outputsOf(file: string): unknown[] {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as {
    cells: Array<{ cell_type: string; metadata?: { tags?: string[] }; outputs?: Array<Record<string, unknown>> }>;
  };
  return nb.cells
    .filter((cell) => cell.cell_type === 'code')
    .map((cell) =>
      (cell.outputs ?? []).map((output) => {
        const timed = cell.metadata?.tags?.includes('timings') ?? false;
        const {
          text,
          data,
          output_type: type,
        } = output as { text?: string | string[]; data?: Record<string, string | string[]>; output_type: string };
        const join = (value: string | string[]) =>
          (Array.isArray(value) ? value.join('') : value).replace(TIMING, '<time>');
        const shown = (mime: string, value: string | string[]) =>
          timed && FIGURES.includes(mime) ? '<figure over measured times>' : join(value);
        return {
          type,
          text: text === undefined ? undefined : join(text),
          data: data && Object.fromEntries(Object.entries(data).map(([k, v]) => [k, shown(k, v)])),
        };
      }),
    );
}

for (const notebook of notebooks) {
  test(`notebook ${notebook} runs headless in quick mode without errors`, () => {
    runQuick(notebook, 'build/notebooks');
  });
}

for (const notebook of notebooks) {
  test(`notebook ${notebook} gives the same outputs when run \
again (timings aside), so courses can publish them`, () => {
    runQuick(notebook, 'build/notebooks-again');
    const first = outputsOf(path.join(root, 'build/notebooks', notebook));
    const second = outputsOf(path.join(root, 'build/notebooks-again', notebook));
    assert.ok(first.flat().length > 3, 'the first run saved its outputs');
    assert.deepEqual(second, first);
  });
}

/** How many outputs of the saved notebook are figures (an SVG and/or a PNG). */
function figureCount(file: string): number {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as {
    cells: Array<{ outputs?: Array<{ data?: Record<string, unknown> }> }>;
  };
  return nb.cells
    .flatMap((cell) => cell.outputs ?? [])
    .filter(({ data }) => data && ('image/png' in data || 'image/svg+xml' in data)).length;
}

/** A Jupyter Notebook server as the README starts it, without npm's PATH, serving a copy of the notebooks. */
interface JupyterServer {
  url(notebook: string): string;
  log(): string;
  stop(): Promise<void>;
}

async function startJupyter(dir: string): Promise<JupyterServer> {
  const version = spawnSync(python, ['-c', 'import notebook; print(notebook.__version__)'], {
    encoding: 'utf8',
  }).stdout.trim();
  assert.match(
    version,
    /^6\./,
    `this check drives the page of Jupyter Notebook 6 (Debian's jupyter-notebook, which \`npm run setup\` ` +
      `installs); ${python} has notebook ${version || 'missing'}: install "notebook<7" for it`,
  );
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const token = randomUUID();
  // Nothing is trusted (an in-memory signature store), as in a fresh clone; the copy keeps autosave off the
  // committed files.
  const args = [
    '-m',
    'notebook',
    '--no-browser',
    `--port=${port}`,
    `--NotebookApp.token=${token}`,
    `--notebook-dir=${dir}`,
    '--NotebookNotary.db_file=:memory:',
  ];
  if (process.getuid?.() === 0) args.push('--allow-root');
  const server = spawn(python, args, {
    cwd: root,
    env: { ...process.env, PATH: withoutNpmBins(process.env.PATH ?? ''), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  });
  let log = '';
  server.stderr.on('data', (chunk) => (log += chunk));
  const started = Date.now();
  try {
    while (
      !(await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      assert.ok(Date.now() - started < 60_000 && server.exitCode === null, `the Jupyter server did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } catch (error) {
    server.kill('SIGTERM');
    throw error;
  }
  return {
    url: (notebook) => `http://127.0.0.1:${port}/notebooks/${notebook}?token=${token}`,
    log: () => log,
    async stop() {
      server.kill('SIGTERM');
      if (server.exitCode === null) await once(server, 'exit');
    },
  };
}

/** What Jupyter's page shows of a notebook: trust, figures drawn (PNG or SVG), kernel state. */
interface NotebookView {
  trusted: boolean;
  figures: number;
  /** The kernel indicator's class: kernel_idle_icon, kernel_busy_icon, kernel_dead_icon … */
  kernel: string;
}

const viewOf = (tab: Page): Promise<NotebookView> =>
  tab.evaluate(`(() => {
  const images = [...document.querySelectorAll('.output_area img')].filter(
    (img) => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0,
  );
  const svgs = [...document.querySelectorAll('.output_svg svg')];
  return {
    trusted: Jupyter.notebook.trusted,
    figures: images.length + svgs.length,
    kernel: document.querySelector('#kernel_indicator_icon').className,
  };
})()`);

/**
 * Runs `code` in the page's kernel through Jupyter's own client; resolves with what it printed (tslab prints the
 * last value).
 */
const runInKernel = (tab: Page, code: string): Promise<string> =>
  tab.evaluate(`new Promise((resolve, reject) => {
  let printed = '';
  Jupyter.notebook.kernel.execute(${JSON.stringify(code)}, {
    iopub: { output: (msg) => {
      if (msg.msg_type === 'stream') printed += msg.content.text;
      if (msg.msg_type === 'execute_result') printed += msg.content.data['text/plain'];
    } },
    shell: { reply: (msg) => msg.content.status === 'ok'
      ? resolve(printed.trim())
      : reject(new Error(msg.content.ename + ': ' + msg.content.evalue)) },
  }, { silent: false, store_history: false });
})`);

test(
  'in Chromium, Jupyter Notebook started by hand shows every saved figure ' +
    'of an untrusted notebook before any cell runs, and its kernel starts',
  { timeout: 300_000 },
  async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gennet-jupyter-'));
    let server: JupyterServer | undefined;
    let browser: Browser | undefined;
    try {
      cpSync(path.join(root, 'notebooks'), path.join(tmp, 'notebooks'), { recursive: true });
      server = await startJupyter(path.join(tmp, 'notebooks'));
      browser = await launchChromium(tmp, { width: 1100, height: 900 });
      const { tab } = browser;
      await tab.route(
        (u) => u.hostname !== '127.0.0.1',
        (route) => route.abort(),
      ); // MathJax etc. come from the server
      for (const notebook of notebooks) {
        const expected = figureCount(path.join(root, 'notebooks', notebook));
        await tab.goto(server.url(notebook));
        await tab.waitForFunction('window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded', undefined, {
          timeout: 60_000,
        });
        // tslab's kernel_info reply came and it is idle, or dead; the indicator alone shows idle for a moment
        // before the start.
        const settled = `(Jupyter.notebook.kernel
          && Jupyter.notebook.kernel.info_reply.implementation === 'tslab'
          && document.querySelector('#kernel_indicator_icon.kernel_idle_icon'))
        || document.querySelector('#kernel_indicator_icon.kernel_dead_icon')`;
        const settledInTime = await tab.waitForFunction(settled, undefined, { timeout: 90_000 }).then(
          () => true,
          () => false,
        );
        const view = await viewOf(tab);
        assert.equal(view.trusted, false, `${notebook} opened as a fresh clone would: not trusted`);
        assert.equal(view.figures, expected, `${notebook}: ${expected} saved figures, ${view.figures} shown`);
        // Settled means idle with tslab's reply, or dead; a moment later it may be busy again (a comm message): not
        // dead is what counts.
        assert.ok(
          settledInTime && view.kernel !== 'kernel_dead_icon',
          `${notebook}: the tslab kernel did not start (indicator: ${view.kernel})\n${server.log()}`,
        );
        assert.equal(
          await withTimeout(
            runInKernel(tab, 'const answer: number = 6 * 7;\nanswer'),
            30_000,
            `${notebook}: a TypeScript cell run`,
          ),
          '42',
        );
        if (notebook.startsWith('02')) {
          await tab.locator('.output_area img').first().scrollIntoViewIfNeeded();
          await tab.evaluate('window.scrollBy(0, -260)');
          mkdirSync(path.join(root, 'build/screenshots'), { recursive: true });
          await tab.screenshot({ path: path.join(root, 'build/screenshots/jupyter-notebook.png') });
        }
      }
    } finally {
      await browser?.context.close();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { initBackend } from '../src/backend';
import { isNetwork } from '../src/families';
import { loadGenerator } from '../src/io';
import { createRng } from '../src/random';
import { generate } from '../src/sample';
import { loadWebModel, WEB_MODEL_FILE } from '../src/web';
import { CONTENT_SECURITY_POLICY } from '../src/web/securityHeaders';
import { launchChromium, type ServedFolder, serveFolder } from './chromium';
import { parseAs } from './cliJson';
import { type ServeProcess, startServe } from './serveProcess';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist', 'cli.js');

function gennet(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
  assert.equal(run.status, 0, `gennet ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout;
}

/** A corpus no fixture or built-in holds: seeded "sentences" of made-up syllables. */
function inventedCorpus(): string {
  const rng = createRng(4711);
  const syllables = ['ka', 'lo', 'mi', 'ren', 'tu', 'sha', 'vo', 'ix', 'pe', 'dra'];
  return Array.from({ length: 500 }, () => {
    const words = Array.from({ length: 3 + Math.floor(rng() * 5) }, () =>
      Array.from({ length: 1 + Math.floor(rng() * 3) }, () => syllables[Math.floor(rng() * syllables.length)]).join(''),
    );
    return `${words.join(' ')}.`;
  }).join('\n');
}

const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-web-'));
const corpus = path.join(work, 'syllables.txt');
writeFileSync(corpus, inventedCorpus());
const lstm = path.join(work, 'lstm');
const ngram = path.join(work, 'ngram');
const summary = JSON.parse(
  gennet(
    'train',
    '--corpus',
    corpus,
    '--units',
    '40',
    '--seq-len',
    '48',
    '--batch',
    '16',
    '--max-steps',
    '80',
    '--epochs',
    '2',
    '--lr',
    '0.01',
    '--seed',
    '5',
    '--out',
    lstm,
    '--json',
    '--no-samples',
  ),
) as { valBitsPerChar: number };
gennet('train', '--corpus', corpus, '--cell', 'ngram', '--order', '4', '--out', ngram);
/** A table whose `lang` column a conditional model learns (a: one kind of line, b: another). */
const table = path.join(work, 'table.csv');
writeFileSync(
  table,
  `text,lang\n${Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 'kalo mi,a' : 'ren tu,b')).join('\n')}\n`,
);
const conditional = path.join(work, 'conditional');
gennet(
  'train',
  '--corpus',
  table,
  '--condition',
  'lang',
  '--mode',
  'lines',
  '--units',
  '16',
  '--max-steps',
  '150',
  '--epochs',
  '100',
  '--lr',
  '0.02',
  '--val',
  '0', // no validation: the last weights are kept, which have learnt each condition's line by heart
  '--out',
  conditional,
  '--no-samples',
);
const words = path.join(work, 'words');
gennet(
  'train',
  '--corpus',
  corpus,
  '--level',
  'word',
  '--units',
  '24',
  '--seq-len',
  '16',
  '--max-steps',
  '30',
  '--epochs',
  '1',
  '--seed',
  '5',
  '--out',
  words,
  '--no-samples',
);
const mlp = path.join(work, 'mlp');
gennet(
  'train',
  '--corpus',
  corpus,
  '--model',
  'mlp:4x24',
  '--embedding-dim',
  '8',
  '--seq-len',
  '32',
  '--max-steps',
  '40',
  '--epochs',
  '1',
  '--seed',
  '5',
  '--out',
  mlp,
  '--no-samples',
);
const gpt = path.join(work, 'gpt');
gennet(
  'train',
  '--corpus',
  corpus,
  '--model',
  'gpt:1x16:h2:ctx32',
  '--max-steps',
  '40',
  '--epochs',
  '1',
  '--seed',
  '5',
  '--out',
  gpt,
  '--no-samples',
);

/** What the tests read of the page's elements in `$$eval` (which runs in the browser; tests have no DOM types). */
interface PageElement {
  /** An element's text (null only for a document or a doctype, never for an element). */
  textContent: string;
  getAttribute(name: string): string | null;
}

/** What {@link redrawn} reads of the page's document in the browser. */
interface PageDocument {
  querySelector(selector: string): { value: string; dataset: Record<string, string | undefined> };
}

/** Reads a site's file from disk the way the page fetches it (null: missing). */
function readSiteFile(file: string): Promise<Uint8Array | null> {
  try {
    return Promise.resolve(new Uint8Array(readFileSync(file)));
  } catch {
    return Promise.resolve(null);
  }
}

/** Settings the page and the CLI share in these tests. */
const SETTINGS = {
  prompt: 'kalo ',
  temperature: '0.7',
  topK: '12',
  topP: '0.95',
  repetitionPenalty: '1.2',
  length: '150',
  seed: '9',
};

/**
 * What `gennet generate` prints for SETTINGS (JSON `text`) on `backend` with the fast engine (the page's), with
 * `extra` options.
 */
function cliText(model: string, backend: 'wasm' | 'cpu' | null, extra: string[] = [], engine = 'fast'): string {
  const runOn = backend === null ? [] : ['--backend', backend, '--engine', engine];
  const out = gennet(
    'generate',
    '--model',
    model,
    ...runOn,
    ...extra,
    '--prompt',
    SETTINGS.prompt,
    '--temperature',
    SETTINGS.temperature,
    '--top-k',
    SETTINGS.topK,
    '--top-p',
    SETTINGS.topP,
    '--repetition-penalty',
    SETTINGS.repetitionPenalty,
    '--length',
    SETTINGS.length,
    '--seed',
    SETTINGS.seed,
    '--json',
  );
  return (JSON.parse(out) as { text: string }).text;
}

/**
 * Requests the tab tried to send outside localhost (all refused), how many went to localhost, and what the page's
 * Content-Security-Policy refused (events and console messages).
 */
interface Traffic {
  remote: string[];
  local: number;
  violations: string[];
}

/** Headless Chromium with the network unplugged for the tab (only localhost answers). */
async function openTab(dir: string): Promise<{ tab: Page; traffic: Traffic; close: () => Promise<void> }> {
  const { context, tab } = await launchChromium(dir, { width: 1100, height: 900 });
  const traffic: Traffic = { remote: [], local: 0, violations: [] };
  await tab.exposeFunction('reportViolation', (line: string) => traffic.violations.push(line));
  await tab.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(
    e.violatedDirective + ' refused ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));`);
  tab.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) traffic.violations.push(message.text());
  });
  await tab.route(
    () => true,
    (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === 'localhost' || url.hostname === '127.0.0.1') {
        traffic.local++;
        return route.continue();
      }
      traffic.remote.push(url.href);
      return route.abort();
    },
  );
  return { tab, traffic, close: () => context.close() };
}

/** Loads the page and waits until its model is ready; a page that fails shows why. */
async function openPage(tab: Page, url: string): Promise<void> {
  await tab.goto(url);
  await tab.waitForSelector('body[data-ready]', { timeout: 60_000 });
  const state = await tab.getAttribute('body', 'data-ready');
  assert.equal(state, 'true', `the page did not start: ${await tab.textContent('[data-testid=status]')}`);
}

/**
 * Sets the page's controls to SETTINGS (and the condition menus to `conditions`), generates and returns the
 * output text.
 */
async function generateOnPage(tab: Page, conditions: Record<string, string> = {}): Promise<string> {
  for (const [column, value] of Object.entries(conditions))
    await tab.selectOption(`[data-testid="condition-${column}"]`, value);
  await tab.fill('[data-testid=prompt]', SETTINGS.prompt);
  await tab.fill('[data-testid=temperature]', SETTINGS.temperature);
  await tab.fill('[data-testid=top-k]', SETTINGS.topK);
  await tab.fill('[data-testid=top-p]', SETTINGS.topP);
  await tab.fill('[data-testid=repetition-penalty]', SETTINGS.repetitionPenalty);
  await tab.fill('[data-testid=length]', SETTINGS.length);
  await tab.fill('[data-testid=seed]', SETTINGS.seed);
  await tab.click('[data-testid=generate]');
  await tab.waitForSelector('[data-testid=output][data-state=done]', { timeout: 60_000 });
  return (await tab.textContent('[data-testid=output]'))!;
}

/** The policy of a page's `<meta http-equiv="Content-Security-Policy">` (null: it has none). */
function metaPolicy(html: string): string | null {
  return /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? null;
}

/**
 * Checks that the page broke none of its Content-Security-Policy, and that the policy is in force (the check can
 * fail): an inline script injected now is refused, and reported.
 */
async function checkPolicy(tab: Page, traffic: Traffic): Promise<void> {
  assert.deepEqual(traffic.violations, [], 'the page works under its Content-Security-Policy');
  await tab.evaluate(`(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.head.append(script);
  })()`);
  for (let i = 0; i < 50 && traffic.violations.length === 0; i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.equal(await tab.evaluate('window.injected'), undefined, 'an injected inline script does not run');
  assert.match(traffic.violations.join('\n'), /script-src/);
  traffic.violations.length = 0;
}

/** The chart's drawing: the bars' tokens and the two traces' heights. */
async function chart(tab: Page): Promise<{ model: number[]; chosen: number[]; labels: string[] }> {
  return tab.evaluate(`(() => {
    const div = document.querySelector('[data-testid=chart]');
    return { labels: div.data[0].x, model: div.data[0].y, chosen: div.data[1].y };
  })()`);
}

/**
 * Waits until the chart shows the controls' current settings (it redraws once typing and sliding settle), and
 * returns it.
 */
async function redrawn(tab: Page) {
  // A function, not a string: Playwright evaluates a string predicate with eval, which the page's policy refuses.
  await tab.waitForFunction(
    () => {
      const page = (globalThis as unknown as { document: PageDocument }).document;
      const value = (id: string) => page.querySelector(`[data-testid=${id}]`).value;
      const settings = ['prompt', 'temperature', 'top-k', 'top-p', 'repetition-penalty'].map(value);
      return page.querySelector('[data-testid=chart]').dataset.settings === JSON.stringify(settings);
    },
    undefined,
    { timeout: 15_000 },
  );
  return chart(tab);
}

test('the page bundle imports nothing Node-only, and the check can fail', async () => {
  const bundle = (entry: string) =>
    esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  // The page's own entry, as `npm run build` bundles it: the native engine's loader is swapped for its browser twin.
  const page = await bundle(path.join(root, 'src', 'web', 'page', 'app.ts'));
  const inputs = Object.keys(page.metafile.inputs);
  assert.ok(inputs.some((file) => file.endsWith('src/engines/native/addonLoader.browser.ts')));
  assert.ok(
    !inputs.some((file) => file.endsWith('src/engines/native/addonLoader.ts') || file.includes('node_modules/danfojs')),
  );
  // The library's browser entry point, for pages of one's own.
  await bundle(path.join(root, 'src', 'browser.ts'));
  // The Node side of the same model (files on disk, digests) cannot be bundled for a browser: the check is real.
  await assert.rejects(bundle(path.join(root, 'src', 'io', 'artifact.ts')), (error: esbuild.BuildFailure) =>
    error.errors.some(
      (e) => /^Could not resolve "node:(fs|path|crypto)"/.test(e.text) && /src\/io\//.test(e.location?.file ?? ''),
    ),
  );
});

test(`export-web writes a site whose model loads as the model folder \
does; exporting again replaces only its own files`, async () => {
  await initBackend('wasm');
  const site = path.join(work, 'site-check');
  gennet('export-web', '--model', lstm, '--out', site);
  const base = path.join(site, 'model');
  const fromSite = await loadWebModel(base, readSiteFile);
  const fromFolder = await loadGenerator(lstm);
  try {
    const options = { prompt: 'ka', temperature: 0.9, seed: 3, length: 60, engine: 'fast' };
    assert.equal(generate(fromSite.generator, options), generate(fromFolder, options));
  } finally {
    for (const loaded of [fromSite.generator, fromFolder]) if (isNetwork(loaded)) loaded.network.dispose();
  }
  assert.equal(fromSite.manifest.facts.valBitsPerChar, summary.valBitsPerChar);
  assert.equal(fromSite.manifest.facts.kind, 'LSTM');
  assert.deepEqual(Object.keys(fromSite.manifest.record), ['model'], 'the manifest carries no run, notes or paths');
  assert.equal(
    fromSite.manifest.facts.corpus,
    'syllables.txt',
    'a published site names the corpus file, not where it lies',
  );
  assert.deepEqual(
    readdirSync(site).filter((name) => name.endsWith('.map') || name.endsWith('.ts')),
    [],
    'a site carries no source map or source',
  );

  // Exporting again: gennet's files are replaced (the network's weights go with the network), the user's stay.
  writeFileSync(path.join(site, 'CNAME'), 'class.example.org');
  mkdirSync(path.join(site, '.git'));
  gennet('export-web', '--model', ngram, '--out', site);
  assert.equal(
    parseAs<{ facts: { kind: string } }>(readFileSync(path.join(base, WEB_MODEL_FILE), 'utf8')).facts.kind,
    'n-gram',
  );
  assert.ok(!existsSync(path.join(base, 'weights.bin')) && existsSync(path.join(base, 'ngram.bin')));
  assert.equal(readFileSync(path.join(site, 'CNAME'), 'utf8'), 'class.example.org');
  assert.ok(existsSync(path.join(site, '.git')));
  assert.deepEqual(
    readdirSync(site).filter((name) => name.startsWith('.gennet-staging')),
    [],
  );
  // A file of the user's where gennet would write is refused, and kept.
  writeFileSync(path.join(base, 'weights.bin'), 'mine');
  const taken = spawnSync(process.execPath, [cli, 'export-web', '--model', lstm, '--out', site], {
    encoding: 'utf8',
  });
  assert.equal(taken.status, 1);
  assert.match(taken.stderr, /holds model\/weights\.bin, which gennet did not write; move it away/);
  assert.equal(readFileSync(path.join(base, 'weights.bin'), 'utf8'), 'mine');

  // Folders that are not sites, and a site inside the model folder, are refused before anything is written.
  const other = path.join(work, 'not-a-site');
  mkdirSync(other);
  writeFileSync(path.join(other, 'notes.txt'), 'mine');
  for (const [out, message] of [
    [other, /holds files that are not a gennet site \(notes\.txt\); gennet will not write into it/],
    [path.join(lstm, 'site'), /must not hold one another/],
  ] as const) {
    const refused = spawnSync(process.execPath, [cli, 'export-web', '--model', lstm, '--out', out], {
      encoding: 'utf8',
    });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, message);
  }
  assert.deepEqual(readdirSync(other), ['notes.txt']);
  assert.ok(!existsSync(path.join(lstm, 'site')));
});

test("the page's loader refuses a damaged site with the model folder's messages", async () => {
  await initBackend('wasm');
  const site = path.join(work, 'site-damaged');
  gennet('export-web', '--model', lstm, '--out', site);
  const base = path.join(site, 'model');
  const weights = readFileSync(path.join(base, 'weights.bin'));
  writeFileSync(path.join(base, 'weights.bin'), weights.subarray(0, weights.length - 4));
  await assert.rejects(
    loadWebModel(base, readSiteFile),
    /bytes of weights but the model needs \d+ \(truncated or corrupted\)/,
  );
  writeFileSync(path.join(base, 'vocab.json'), '{');
  await assert.rejects(loadWebModel(base, readSiteFile), /vocab\.json is not valid JSON/);
  rmSync(path.join(base, WEB_MODEL_FILE));
  await assert.rejects(
    loadWebModel(base, readSiteFile),
    /web-model\.json is missing: this site has no model\. Export it again/,
  );
});

test(
  'gennet serve: the page generates what the CLI prints, its chart ' +
    'follows the temperature and the prompt, nothing leaves localhost',
  { timeout: 240_000 },
  async () => {
    const sites = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('gennet-site-')).length;
    const sitesBefore = sites();
    let served: ServeProcess | undefined;
    let browser: Awaited<ReturnType<typeof openTab>> | undefined;
    try {
      served = await startServe(lstm);
      browser = await openTab(path.join(work, 'browser-serve'));
      const { url } = served;
      const { tab, traffic } = browser;
      assert.match(url, /^http:\/\/localhost:\d+\/$/);
      // The policy comes as a header, and in the page for static hosts (without frame-ancestors, header-only).
      const index = await fetch(url);
      assert.equal(index.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(metaPolicy(await index.text()), CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
      await openPage(tab, `${url}?backend=wasm`);
      assert.match((await tab.textContent('[data-testid=backend]'))!, /^wasm/);
      assert.equal(await tab.textContent('[data-testid=engine]'), 'fast');
      assert.equal(await generateOnPage(tab), cliText(lstm, 'wasm'));

      // The chart shows the distribution after the prompt; a lower temperature sharpens the sampled one.
      await tab.fill('[data-testid=temperature]', '1');
      await tab.fill('[data-testid=top-k]', '0');
      await tab.fill('[data-testid=top-p]', '1');
      await tab.fill('[data-testid=repetition-penalty]', '1');
      const plain = await redrawn(tab);
      assert.deepEqual(
        plain.chosen,
        plain.model,
        "at T = 1 with no top-k/top-p/penalty the sampled distribution is the model's",
      );
      await tab.fill('[data-testid=temperature]', '0.3');
      const cold = await redrawn(tab);
      assert.deepEqual(cold.model, plain.model);
      assert.ok(
        cold.chosen[0] > plain.chosen[0] + 0.01,
        `T 0.3 puts more on the likeliest token (${cold.chosen[0]} vs ${plain.chosen[0]})`,
      );
      // Typing changes what comes next.
      await tab.type('[data-testid=prompt]', 'shavo');
      const typed = await redrawn(tab);
      assert.notDeepEqual(typed.model, cold.model);
      await tab.hover('[data-testid=chart] .nsewdrag'); // the plot area: plotly draws a hover label
      await tab.waitForSelector('[data-testid=chart] .hovertext', { timeout: 5_000 });

      // The lesson's comparison on the page is the CLI's.
      await tab.fill('[data-testid=prompt]', SETTINGS.prompt);
      await tab.fill('[data-testid=length]', '60');
      await tab.click('[data-testid=compare]');
      await tab.waitForSelector('[data-testid=comparison][data-state=done]', { timeout: 60_000 });
      const pageRows = await tab.$$eval('[data-testid=comparison] td.text', (cells: PageElement[]) =>
        cells.map((cell) => cell.textContent),
      );
      const cliRows = JSON.parse(
        gennet(
          'temperatures',
          '--model',
          lstm,
          '--backend',
          'wasm',
          '--engine',
          'fast',
          '--prompts',
          SETTINGS.prompt,
          '--length',
          '60',
          '--seed',
          '0',
          '--json',
        ),
      ) as Array<{ text: string }>;
      assert.equal(pageRows.length, 5);
      await tab.fill('[data-testid=seed]', '0');
      await tab.click('[data-testid=compare]'); // sets the table's state to running before it returns
      await tab.waitForSelector('[data-testid=comparison][data-state=done]', { timeout: 60_000 });
      assert.deepEqual(
        await tab.$$eval('[data-testid=comparison] td.text', (cells: PageElement[]) =>
          cells.map((cell) => cell.textContent),
        ),
        cliRows.map((row) => row.text),
      );

      // Beam search on the page is the CLI's --beam.
      await tab.fill('[data-testid=beam]', '3');
      await tab.fill('[data-testid=length]', '80');
      await tab.click('[data-testid=beam-search]'); // sets the output's state to running before it returns
      await tab.waitForSelector('[data-testid=output][data-state=done]', { timeout: 60_000 });
      const beamed = JSON.parse(
        gennet(
          'generate',
          '--model',
          lstm,
          '--backend',
          'wasm',
          '--engine',
          'fast',
          '--prompt',
          SETTINGS.prompt,
          '--beam',
          '3',
          '--length',
          '80',
          '--json',
        ),
      ) as { text: string };
      assert.equal(await tab.textContent('[data-testid=output]'), beamed.text);
      await tab.fill('[data-testid=beam]', '0');
      await tab.click('[data-testid=beam-search]');
      await tab.waitForSelector('[data-testid=output][data-state=failed]', { timeout: 15_000 });
      assert.match(
        (await tab.textContent('[data-testid=status]'))!,
        /^The beam width must be a whole number from 1 to 64, got "0"\.$/,
      );

      const facts = await tab.$$eval('[data-testid=facts] dd', (cells: PageElement[]) =>
        Object.fromEntries(cells.map((cell) => [String(cell.getAttribute('data-fact')), cell.textContent])),
      );
      assert.match(facts.Model, /^LSTM, 1 layer × 40 units/);
      assert.equal(facts.Validation, `${summary.valBitsPerChar.toFixed(3)} bits/char`);
      assert.equal(facts['Training corpus'], 'syllables.txt');
      // The backend menu reloads the page on another backend, where it again writes what the CLI prints there.
      await tab.selectOption('[data-testid=backend-choice]', 'cpu');
      await tab.waitForURL(/backend=cpu/);
      await openPage(tab, tab.url());
      assert.match((await tab.textContent('[data-testid=backend]'))!, /^cpu/);
      assert.equal(await generateOnPage(tab), cliText(lstm, 'cpu'));
      // auto takes WebGL where the browser has it (headless Chromium: a software WebGL), else wasm: the page still
      // generates there, though only wasm and cpu are compared with the CLI (which has no WebGL).
      await tab.selectOption('[data-testid=backend-choice]', 'auto');
      await tab.waitForURL(/backend=auto/);
      await openPage(tab, tab.url());
      assert.match((await tab.textContent('[data-testid=backend]'))!, /^(webgl|wasm)/);
      assert.ok((await generateOnPage(tab)).startsWith(SETTINGS.prompt));

      await checkPolicy(tab, traffic);
      assert.deepEqual(traffic.remote, []);
      assert.ok(traffic.local >= 8, `the page's files came from the local server (${traffic.local} requests)`);
    } finally {
      await browser?.close();
      if (served !== undefined) {
        const stopped = await served.stop();
        assert.deepEqual(stopped, { code: 143, signal: null }, 'gennet serve stops on SIGTERM with its status');
      }
    }
    assert.equal(sites(), sitesBefore, 'gennet serve removed its temporary site');
  },
);

test(
  'the export-web folder works from a plain static file server (python3 -m http.server), for char and word ' +
    'networks, a conditional one, an n-gram model, an MLP and a GPT',
  { timeout: 240_000 },
  async () => {
    const served: ServedFolder[] = [];
    let browser: Awaited<ReturnType<typeof openTab>> | undefined;
    try {
      browser = await openTab(path.join(work, 'browser-static'));
      const { tab, traffic } = browser;
      const cases = [
        [lstm, 'wasm', {}, 'fast'],
        [words, 'wasm', {}, 'fast'],
        [conditional, 'wasm', { lang: 'a' }, 'fast'],
        [conditional, 'wasm', { lang: 'b' }, 'fast'],
        [ngram, null, {}, 'fast'],
        [mlp, 'wasm', {}, 'auto'],
        [gpt, 'wasm', {}, 'auto'],
      ] as const;
      const texts: string[] = [];
      for (const [model, backend, conditions, engine] of cases) {
        const site = path.join(work, `site-${path.basename(model)}`);
        gennet('export-web', '--model', model, '--out', site);
        const server = await serveFolder(site);
        served.push(server);
        await openPage(tab, `${server.url}${backend === null ? '' : `?backend=${backend}`}`);
        const given = Object.entries(conditions).map(([column, value]) => `${column}=${value}`);
        texts.push(await generateOnPage(tab, conditions));
        assert.equal(
          texts.at(-1),
          cliText(model, backend, given.length === 0 ? [] : ['--condition', ...given], engine),
          `${path.basename(model)} on ${backend ?? 'its own'} ${given.join(',')}`,
        );
      }
      assert.notEqual(texts[2], texts[3], 'the condition menu changes what the conditional model writes');
      await checkPolicy(tab, traffic); // the page's <meta> policy: a static server sends no header
      assert.deepEqual(traffic.remote, []);
    } finally {
      await browser?.close();
      for (const server of served) server.stop();
    }
  },
);

test(
  'a sequence-to-sequence model on the page: a source box, the decoded output of gennet generate --source, ' +
    'and the alignment heatmap of a model with attention',
  { timeout: 240_000 },
  async () => {
    const model = path.resolve(__dirname, '../../test/fixtures/models/seq2seq-attention');
    const cliOutput = JSON.parse(
      gennet('generate', '--model', model, '--source', 'water', '--beam', '3', '--backend', 'wasm', '--json'),
    ) as { text: string; hypotheses: { alignment?: { weights: number[][] } }[] };
    let served: ServeProcess | undefined;
    let browser: Awaited<ReturnType<typeof openTab>> | undefined;
    try {
      served = await startServe(model);
      browser = await openTab(path.join(work, 'browser-seq2seq'));
      const { tab, traffic } = browser;
      await openPage(tab, `${served.url}?backend=wasm`);
      assert.equal(await tab.isVisible('[data-testid=prompt]'), false, 'no prompt: the decoder starts from a source');
      await tab.fill('[data-testid=source]', 'water');
      await tab.fill('[data-testid=translate-beam]', '3');
      await tab.click('[data-testid=translate]');
      await tab.waitForSelector('[data-testid=translation-output][data-state=done]', { timeout: 60_000 });
      assert.equal(await tab.textContent('[data-testid=translation-output]'), cliOutput.text);
      // One heatmap row per output token, one column per source letter.
      const rows = cliOutput.hypotheses[0].alignment!.weights;
      assert.equal(rows.length, cliOutput.text.split(' ').length);
      const cells = await tab.$$eval('[data-testid=alignment] rect', (rects: PageElement[]) =>
        rects.map((rect) => Number(rect.getAttribute('data-weight'))),
      );
      assert.equal(cells.length, rows.length * 'water'.length, 'a cell per output token and source letter');
      cells.forEach((weight, k) =>
        assert.ok(Math.abs(weight - rows[Math.floor(k / 5)][k % 5]) < 1e-5, `cell ${k}: the CLI's weight`),
      );
      assert.match((await tab.textContent('[data-testid=facts]'))!, /Source.*characters/);
      await checkPolicy(tab, traffic);
      assert.deepEqual(traffic.remote, []);
    } finally {
      await browser?.close();
      await served?.stop();
    }
  },
);

test.after(() => rmSync(work, { recursive: true, force: true }));

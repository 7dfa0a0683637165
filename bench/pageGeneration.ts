/**
 * The web page probe of the benchmark: tokens per second of the page's Generate button in headless Chromium on the
 * wasm backend, against the page as it was before the speed work of issue 30 (its code at {@link BASELINE_COMMIT},
 * bundled here, serving the very same model files), both in one browser, their runs taken in turn.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT, progress } from './children';
import { CORPUS, SEED } from './workload';

/** The last commit before issue 30's work: the page whose speed the goal asks to at least double. */
export const BASELINE_COMMIT = 'bcb13f6';
/** The goal: the page's tokens per second at least doubled. */
export const PAGE_GOAL = 2;
/** The models: the lesson's LSTM and gennet's default network (`gennet train` without `--model`). */
const MODELS = ['lstm:1x128', 'lstm:2x256'];
/** Tokens per generation (the page's length slider at its maximum) and the prompt. */
const LENGTH = 1000;
const PROMPT = 'The whale ';
/** Debian's Chromium, which `npm run setup` installs. */
const CHROMIUM = '/usr/bin/chromium';

/** One model's figures. */
export interface PageSpeed {
  model: string;
  /** Tokens per second, now and at the baseline: all tokens of the timed runs over all their seconds. */
  tokensPerSecond: number;
  baselineTokensPerSecond: number | null;
}

/** What the probe measured, or why it could not. */
export type PageGenerationResult =
  { available: true; rows: PageSpeed[]; runs: number; baseline: string | null } | { available: false; reason: string };

/** Runs `node dist/cli.js ARGS` in the project folder (its output goes to our stderr). */
function gennet(args: readonly string[]): void {
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'cli.js'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 2, 2],
  });
}

/**
 * Bundles the page of {@link BASELINE_COMMIT} (its `src/`, from git into `source`; our node_modules; the esbuild
 * options of scripts/build-web.js) into `folder`: app.js, index.html, style.css. Returns null, or why it cannot.
 */
function buildBaselinePage(folder: string, source: string): string | null {
  mkdirSync(source, { recursive: true });
  mkdirSync(folder, { recursive: true });
  try {
    execFileSync('git', ['cat-file', '-e', `${BASELINE_COMMIT}^{commit}`], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  } catch {
    return `commit ${BASELINE_COMMIT} is not in this clone (a shallow clone, or not a git checkout)`;
  }
  const archive = path.join(folder, 'source.tar');
  execFileSync('git', ['archive', '--output', archive, BASELINE_COMMIT, 'src', 'package.json'], { cwd: PROJECT_ROOT });
  execFileSync('tar', ['-x', '-f', archive, '-C', source]);
  rmSync(archive);
  const page = path.join(source, 'src', 'web', 'page');
  esbuild.buildSync({
    entryPoints: [path.join(page, 'app.ts')],
    outfile: path.join(folder, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    nodePaths: [path.join(PROJECT_ROOT, 'node_modules')],
    logLevel: 'error',
  });
  for (const file of ['index.html', 'style.css']) cpSync(path.join(page, file), path.join(folder, file));
  return null;
}

/** Serves `folder` on localhost (Python's static file server); resolves with its address and how to stop it. */
function serve(folder: string): Promise<{ url: string; close: () => void }> {
  const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', folder], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.stdout.setEncoding('utf8').on('data', (line: string) => {
      const port = /port (\d+)/.exec(line)?.[1];
      if (port !== undefined) resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.kill() });
    });
  });
}

/** Opens the page at `url` on wasm and sets the prompt and the length. */
async function openPage(tab: Page, url: string): Promise<void> {
  await tab.goto(`${url}?backend=wasm`);
  await tab.waitForSelector('body[data-ready]', { timeout: 120_000 });
  const state = await tab.getAttribute('body', 'data-ready');
  if (state !== 'true')
    throw new Error(`the page at ${url} did not start: ${await tab.textContent('[data-testid=status]')}`);
  await tab.fill('[data-testid=prompt]', PROMPT);
  await tab.fill('[data-testid=length]', String(LENGTH));
}

/** Clicks Generate with `seed` and returns the tokens and seconds the page reports. */
async function generateOnce(tab: Page, seed: number): Promise<{ tokens: number; seconds: number }> {
  await tab.fill('[data-testid=seed]', String(seed));
  await tab.click('[data-testid=generate]');
  await tab.waitForSelector('[data-testid=output][data-state=done]', { timeout: 300_000 });
  const stats = (await tab.textContent('[data-testid=generation-stats]')) ?? '';
  // The rate is the page's own, from its unrounded time; the seconds it prints are rounded to hundredths.
  const found = /(\d+) tokens in [\d.]+ s \((\d+) tokens\/s\)/.exec(stats);
  if (found === null) throw new Error(`the page printed no timing: "${stats}"`);
  const tokens = Number(found[1]);
  return { tokens, seconds: tokens / Number(found[2]) };
}

/**
 * Trains each model briefly (enough that it rarely ends a text early), exports its page, and times `runs` rounds of
 * Generate on our page and on the baseline's (one untimed round first), the two taking turns.
 */
export async function measurePageGeneration(quick: boolean): Promise<PageGenerationResult> {
  if (!existsSync(CHROMIUM))
    return { available: false, reason: `no Chromium at ${CHROMIUM} (npm run setup installs it)` };
  const runs = quick ? 2 : 6;
  const work = mkdtempSync(path.join(tmpdir(), 'gennet-bench-page-'));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const baselinePage = path.join(work, 'baseline-page');
    const unavailable = buildBaselinePage(baselinePage, path.join(work, 'baseline-source'));
    if (unavailable !== null) progress(`  no baseline: ${unavailable}`);
    const rows: PageSpeed[] = [];
    for (const model of MODELS) {
      progress(`  page: training ${model} briefly, exporting its page`);
      const folder = path.join(work, model.replace(/:/g, '-'));
      const flags = ['--corpus', CORPUS, '--model', model, '--max-steps', quick ? '20' : '60', '--val', '0.02'];
      gennet(['train', ...flags, '--seed', String(SEED), '--out', path.join(folder, 'model')]);
      gennet(['export-web', '--model', path.join(folder, 'model'), '--out', path.join(folder, 'site')]);
      const sites = [path.join(folder, 'site')];
      if (unavailable === null) {
        cpSync(sites[0], path.join(folder, 'baseline'), { recursive: true });
        cpSync(baselinePage, path.join(folder, 'baseline'), { recursive: true });
        sites.push(path.join(folder, 'baseline'));
      }
      const totals = sites.map(() => ({ tokens: 0, seconds: 0 }));
      const servers = await Promise.all(sites.map(serve));
      try {
        const tabs = await Promise.all(sites.map(() => browser.newPage()));
        for (const [i, tab] of tabs.entries()) await openPage(tab, servers[i].url);
        for (let round = 0; round <= runs; round++) {
          for (const [i, tab] of tabs.entries()) {
            const { tokens, seconds } = await generateOnce(tab, round);
            if (round === 0) continue; // warm-up: compilation, first allocations
            totals[i].tokens += tokens;
            totals[i].seconds += seconds;
          }
        }
      } finally {
        for (const server of servers) server.close();
      }
      const [now, baseline] = totals.map((total) => total.tokens / total.seconds);
      rows.push({ model, tokensPerSecond: now, baselineTokensPerSecond: baseline ?? null });
    }
    return { available: true, rows, runs, baseline: unavailable === null ? BASELINE_COMMIT : null };
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The probe's lines of the text report. */
export function formatPageGeneration(result: PageGenerationResult): string[] {
  if (!result.available) return [`Web page generation: not measured (${result.reason})`];
  const lines = [
    `Web page generation (headless Chromium, ?backend=wasm, the Generate button, ${LENGTH} tokens, ` +
      `${result.runs} runs each; against the page of ${result.baseline ?? '(no baseline)'} on the same model files, ` +
      `goal ≥ ${PAGE_GOAL}×):`,
  ];
  for (const row of result.rows) {
    const base = row.baselineTokensPerSecond;
    const ratio = base === null ? '' : ` vs ${base.toFixed(0)} before → ${(row.tokensPerSecond / base).toFixed(2)}×`;
    lines.push(`  ${row.model.padEnd(11)} ${row.tokensPerSecond.toFixed(0).padStart(7)} tokens/s${ratio}`);
  }
  return lines;
}

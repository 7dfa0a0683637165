/**
 * The web page probe of the benchmark: tokens per second of the page's Generate button in headless Chromium on the
 * wasm backend, against the page as it was before the speed work of issue 30 (its code at {@link BASELINE_COMMIT},
 * bundled here, serving the very same model files), both in one browser, their runs taken in turn.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium, serveFolder, type ServedFolder } from '../test/chromium';
import { PROJECT_ROOT, progress } from './children';
import { CORPUS, SEED } from './workload';

/** The last commit before issue 30's work (bcb13f6): the page whose speed the goal asks to at least double. */
const BASELINE_COMMIT = 'bcb13f6f224a60709b7d04fb0e85acae27394627';
/** The goal: the page's tokens per second at least doubled. */
const PAGE_GOAL = 2;
/** The models: the lesson's LSTM and gennet's default network (`gennet train` without `--model`). */
const MODELS = ['lstm:1x128', 'lstm:2x256'];
/** Tokens per generation (the page's length slider at its maximum) and the prompt. */
const LENGTH = 1000;
const PROMPT = 'The whale ';

/** Tokens per second of one page: the first click (weights read, code compiled) and the timed runs after it. */
interface PageTiming {
  first: number;
  /** All tokens of the timed runs over all their seconds. */
  timed: number;
}

/** One model's figures: ours and the baseline's (null without one). */
export interface PageSpeed {
  model: string;
  ours: PageTiming;
  baseline: PageTiming | null;
}

/** What the probe measured, or why it could not. */
export type PageGenerationResult =
  | { available: true; rows: PageSpeed[]; runs: number; baseline: string; baselineNote: string | null }
  | { available: false; reason: string };

/** Runs `node dist/cli.js ARGS` in the project folder (its output goes to our stderr). */
function gennet(args: readonly string[]): void {
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'cli.js'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 2, 2],
  });
}

/**
 * Bundles the page of {@link BASELINE_COMMIT} (its `src/`, from git into `source`; our node_modules; the esbuild
 * options of scripts/build-web.js) into `folder`: app.js, index.html, style.css. Throws when it cannot.
 */
function buildBaselinePage(folder: string, source: string): void {
  mkdirSync(source, { recursive: true });
  mkdirSync(folder, { recursive: true });
  try {
    execFileSync('git', ['cat-file', '-e', `${BASELINE_COMMIT}^{commit}`], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  } catch {
    throw new Error(`commit ${BASELINE_COMMIT.slice(0, 7)} is not in this clone (a shallow clone, or no git)`);
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
}

/** Opens the page at `url` on wasm, checks that it counts as visible, and sets the prompt and the length. */
async function openPage(tab: Page, url: string): Promise<void> {
  await tab.goto(`${url}?backend=wasm`);
  await tab.waitForSelector('body[data-ready]', { timeout: 120_000 });
  const state = await tab.getAttribute('body', 'data-ready');
  if (state !== 'true')
    throw new Error(`the page at ${url} did not start: ${await tab.textContent('[data-testid=status]')}`);
  const visibility = await tab.evaluate('document.visibilityState');
  if (visibility !== 'visible') throw new Error(`the page at ${url} is ${String(visibility)}: a hidden tab is slowed`);
  await tab.fill('[data-testid=prompt]', PROMPT);
  await tab.fill('[data-testid=length]', String(LENGTH));
}

/** Clicks Generate with `seed` and returns the tokens and seconds the page reports. */
async function generateOnce(tab: Page, seed: number): Promise<{ tokens: number; seconds: number }> {
  await tab.fill('[data-testid=seed]', String(seed));
  await tab.click('[data-testid=generate]');
  const output = '[data-testid=output]';
  await tab.waitForSelector(`${output}:not([data-state=running])`, { timeout: 300_000 });
  const stats = (await tab.textContent('[data-testid=generation-stats]')) ?? '';
  // The rate is the page's own, from its unrounded time; the seconds it prints are rounded to hundredths.
  const found = /(\d+) tokens in [\d.]+ s \((\d+) tokens\/s\)/.exec(stats);
  if (found === null || Number(found[1]) === 0)
    throw new Error(`the page's generation ended ${await tab.getAttribute(output, 'data-state')}: "${stats}"`);
  const tokens = Number(found[1]);
  return { tokens, seconds: tokens / Number(found[2]) };
}

/** Trains `model` briefly (enough that it rarely ends a text early) into `folder` and exports its page. */
function trainAndExport(model: string, folder: string, quick: boolean): string {
  const flags = ['--corpus', CORPUS, '--model', model, '--max-steps', quick ? '20' : '60', '--val', '0.02'];
  gennet(['train', ...flags, '--seed', String(SEED), '--out', path.join(folder, 'model')]);
  gennet(['export-web', '--model', path.join(folder, 'model'), '--out', path.join(folder, 'site')]);
  return path.join(folder, 'site');
}

/** One untimed round of Generate on each page, then `runs` timed ones, the pages taking turns. */
async function timePages(tabs: Page[], runs: number): Promise<PageTiming[]> {
  const totals = tabs.map(() => ({ first: 0, tokens: 0, seconds: 0 }));
  for (let round = 0; round <= runs; round++) {
    for (const [i, tab] of tabs.entries()) {
      const { tokens, seconds } = await generateOnce(tab, round);
      if (round === 0) totals[i].first = tokens / seconds;
      else {
        totals[i].tokens += tokens;
        totals[i].seconds += seconds;
      }
    }
  }
  return totals.map(({ first, tokens, seconds }) => ({ first, timed: tokens / seconds }));
}

/**
 * Trains each model briefly, exports its page, and times Generate on our page and, on the same model files, on the
 * baseline's (left out, with the reason in `baselineNote`, when it cannot be built or does not start).
 */
export async function measurePageGeneration(quick: boolean): Promise<PageGenerationResult> {
  if (!existsSync(CHROMIUM))
    return { available: false, reason: `no Chromium at ${CHROMIUM} (npm run setup installs it)` };
  const runs = quick ? 2 : 10;
  const work = mkdtempSync(path.join(tmpdir(), 'gennet-bench-page-'));
  const served: ServedFolder[] = [];
  try {
    const { context } = await launchChromium(work);
    try {
      const baselinePage = path.join(work, 'baseline-page');
      let baselineNote: string | null = null;
      try {
        buildBaselinePage(baselinePage, path.join(work, 'baseline-source'));
      } catch (error) {
        baselineNote = `no baseline: ${error instanceof Error ? error.message : String(error)}`;
      }
      const rows: PageSpeed[] = [];
      for (const model of MODELS) {
        progress(`  page: training ${model} briefly, exporting its page`);
        const site = trainAndExport(model, path.join(work, model.replace(/:/g, '-')), quick);
        const tabs = [await context.newPage()];
        served.push(await serveFolder(site));
        await openPage(tabs[0], served.at(-1)!.url);
        if (baselineNote === null) {
          const baselineSite = `${site}-baseline`;
          cpSync(site, baselineSite, { recursive: true });
          cpSync(baselinePage, baselineSite, { recursive: true });
          served.push(await serveFolder(baselineSite));
          const tab = await context.newPage();
          try {
            await openPage(tab, served.at(-1)!.url);
            tabs.push(tab);
          } catch (error) {
            baselineNote = `the baseline page did not start: ${error instanceof Error ? error.message : String(error)}`;
          }
        }
        const [ours, baseline] = await timePages(tabs, runs);
        rows.push({ model, ours, baseline: baseline ?? null });
      }
      return { available: true, rows, runs, baseline: BASELINE_COMMIT.slice(0, 7), baselineNote };
    } finally {
      await context.close();
    }
  } finally {
    for (const server of served) server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The probe's lines of the text report. */
export function formatPageGeneration(result: PageGenerationResult): string[] {
  if (!result.available) return [`Web page generation: not measured (${result.reason})`];
  const rate = (value: number) => `${value.toFixed(0)} tokens/s`;
  const lines = [
    `Web page generation (headless Chromium, ?backend=wasm, the Generate button, ${LENGTH} tokens, ${result.runs} ` +
      `runs each after a first click; against the page of ${result.baseline} — before issue 30 — on the same model ` +
      `files, goal ≥ ${PAGE_GOAL}×):`,
  ];
  if (result.baselineNote !== null) lines.push(`  ${result.baselineNote}`);
  for (const { model, ours, baseline } of result.rows) {
    const versus =
      baseline === null ? '' : ` vs ${rate(baseline.timed)} → ${(ours.timed / baseline.timed).toFixed(2)}×`;
    const first = baseline === null ? rate(ours.first) : `${rate(ours.first)} vs ${rate(baseline.first)}`;
    lines.push(`  ${model.padEnd(11)} ${rate(ours.timed)}${versus} (first click ${first})`);
  }
  return lines;
}

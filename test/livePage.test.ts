import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, withTimeout, type Browser } from './chromium';
import { createLivePage, lossFigure } from '../src/plot';
import type { TrainingHistory } from '../src/train/history';

/** A falling loss curve of `steps` batches, 10 batches per epoch. */
function history(steps: number): TrainingHistory {
  const batches = Array.from({ length: steps }, (_, i) => ({
    step: i + 1,
    epoch: Math.floor(i / 10) + 1,
    loss: 4.4 * Math.exp(-i / 25) + 1.2 + 0.15 * Math.sin(i * 1.7),
  }));
  const epochs = Array.from({ length: Math.floor(steps / 10) }, (_, e) => ({
    epoch: e + 1,
    step: (e + 1) * 10,
    trainLoss: batches[(e + 1) * 10 - 1].loss,
    valLoss: null,
    valBitsPerChar: null,
    seconds: 1,
  }));
  return { batches, evaluations: [], epochs };
}

/** What the page's Plotly div holds: number of points of the first trace, its path, the title. */
async function drawn(tab: Page): Promise<{ points: number; path: string | null; title: string | null }> {
  return tab.evaluate(`(() => {
    const div = document.querySelector('.js-plotly-plot');
    const path = document.querySelector('.main-svg .scatterlayer .trace path.js-line');
    const title = document.querySelector('.main-svg .gtitle');
    return {
      points: div && div.data && div.data[0] ? div.data[0].x.length : 0,
      path: path && path.getAttribute('d'),
      title: title && title.textContent,
    };
  })()`);
}

test('importing the plot module loads neither nodeplotlib nor rxjs', () => {
  const loaded = Object.keys(require.cache).filter((p) => /node_modules[\\/](nodeplotlib|rxjs)[\\/]/.test(p));
  assert.deepEqual(loaded, []);
});

/** Requests the tabs tried to send outside localhost (all refused: the network is unplugged for them). */
const remote: string[] = [];

/** Headless Chromium with a fresh profile in `dir`, one tab with the network unplugged (only localhost answers). */
async function launchBrowser(dir: string): Promise<Browser> {
  const { context, tab } = await launchChromium(dir);
  await tab.route(
    (u) => u.hostname !== 'localhost',
    (route) => {
      remote.push(route.request().url());
      return route.abort();
    },
  );
  return { context, tab };
}

test(
  'a live page draws in headless Chromium, redraws on update, and stops when the browser closes',
  { timeout: 120_000 },
  async (t) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gennet-livepage-'));
    const { context, tab } = await launchBrowser(tmp);
    const page = createLivePage({ open: false });
    try {
      const url = await withTimeout(page.url, 30_000, 'the nodeplotlib server start');
      assert.match(url, /^http:\/\/localhost:\d+$/);

      // Connect before the first update: the page shows the empty figure, then the first update's data and layout.
      await tab.goto(url);
      await tab.waitForSelector('.js-plotly-plot .main-svg', { timeout: 30_000 });
      await page.update(lossFigure(history(30)));
      await tab.waitForSelector('.main-svg .scatterlayer .trace path.js-line', { state: 'attached', timeout: 15_000 });
      await tab.waitForFunction(`document.querySelector('.js-plotly-plot').data[0].x.length === 30`, undefined, {
        timeout: 15_000,
      });
      const first = await drawn(tab);
      assert.deepEqual(
        remote.filter((u) => u.includes('plot.ly')),
        [],
        'plotly.js comes from the local server, not the CDN',
      );
      assert.equal(first.title, 'Training loss', 'the layout of the first update reaches the page');
      assert.ok(first.path && first.path.split(/[ML]/).length > 20, `expected a drawn line, got d="${first.path}"`);

      await page.update(lossFigure(history(120), { title: 'Training loss (more steps)' }));
      await tab.waitForFunction(`document.querySelector('.js-plotly-plot').data[0].x.length === 120`, undefined, {
        timeout: 15_000,
      });
      const second = await drawn(tab);
      assert.notEqual(second.path, first.path, 'the streamed update redraws the line');
      assert.equal(second.title, 'Training loss (more steps)', 'later layouts replace the first one');

      const screenshot = path.join(tmp, 'live-loss.png');
      await tab.screenshot({ path: screenshot });
      assert.ok(statSync(screenshot).size > 10_000, 'screenshot looks empty');
      if (process.env.GN_KEEP_SCREENSHOTS) t.diagnostic(`screenshot: ${screenshot}`);
    } finally {
      await context.close();
    }
    // nodeplotlib stops its server when the last tab disconnects; close() is only a fallback here.
    await withTimeout(page.closed, 15_000, 'the server shut-down after the browser closed').finally(() =>
      page.close({ delayMs: 0 }),
    );
    rmSync(process.env.GN_KEEP_SCREENSHOTS ? path.join(tmp, 'profile') : tmp, { recursive: true, force: true });
  },
);

test(
  'close() right after the last update: the open tab gets it and keeps the drawing',
  { timeout: 120_000 },
  async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gennet-livepage-'));
    const { context, tab } = await launchBrowser(tmp);
    const page = createLivePage({ open: false });
    try {
      await tab.goto(await withTimeout(page.url, 30_000, 'the nodeplotlib server start'));
      await tab.waitForSelector('.js-plotly-plot .main-svg', { timeout: 30_000 });
      await page.update(lossFigure(history(20)));
      await page.update(lossFigure(history(80)));
      await withTimeout(page.close(), 15_000, 'close()'); // as a CLI does when training ends
      await tab.waitForTimeout(500);
      const final = await drawn(tab);
      assert.equal(final.points, 80, 'the last update reached the tab before the server stopped');
      assert.ok(final.path, 'the tab still shows the curve after the server stopped');
    } finally {
      await context.close();
      await page.close({ delayMs: 0 });
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test(
  'close() stops the server without any browser, and the next page starts a fresh one',
  { timeout: 60_000 },
  async () => {
    const first = createLivePage({ open: false, layout: { title: 'waiting for the first step' } });
    const firstUrl = await first.url;
    const html = await (await fetch(firstUrl)).text();
    assert.doesNotMatch(html, /cdn\.plot\.ly/, 'the page does not load plotly.js from the CDN');
    assert.match(html, /<npl-root>/, "nodeplotlib's page");
    const script = await fetch(new URL('/gennet/plotly.min.js', firstUrl));
    assert.equal(script.status, 200);
    assert.match(
      (await script.text()).slice(0, 300),
      /plotly\.js v1\.58\.4/,
      'plotly.js 1.58.4 served from the installed package',
    );
    await first.update(lossFigure(history(5)));
    await withTimeout(first.close({ delayMs: 0 }), 15_000, 'close()');
    await first.closed;
    await assert.rejects(fetch(firstUrl), 'the server no longer answers');
    await first.update(lossFigure(history(6))); // after close: dropped, no error

    const second = createLivePage({ open: false });
    assert.match(await second.url, /^http:\/\/localhost:\d+$/);
    await withTimeout(second.close({ delayMs: 0 }), 15_000, 'close()');
    await assert.rejects(second.close({ delayMs: -1 }), /delayMs must be a number of milliseconds >= 0/);
  },
);

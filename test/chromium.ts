import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium, which `npm run setup` installs; the browser tests and the bench drive it headless. */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium and its one tab. */
export interface Browser {
  context: BrowserContext;
  tab: Page;
}

/** Starts headless Chromium with a fresh profile in `dir/profile` and returns its tab; close `context` when done. */
export async function launchChromium(dir: string, viewport = { width: 1000, height: 700 }): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is not installed at ${CHROMIUM}; this test drives it headless. Run \`npm run setup\` (installs ` +
      `Debian's chromium), then run the tests again.`,
  );
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const tab = context.pages()[0] ?? (await context.newPage());
  return { context, tab };
}

/** Rejects with "`what` did not happen within `ms` ms" unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A folder served on localhost: its address (ending in `/`) and how to stop the server. */
export interface ServedFolder {
  url: string;
  stop: () => void;
}

/** Serves `folder` with Python's static file server (`python3 -m http.server`) on a free port of 127.0.0.1. */
export async function serveFolder(folder: string): Promise<ServedFolder> {
  const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', folder], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const port = new Promise<string>((resolve, reject) => {
    let said = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      said += chunk;
      const found = /port (\d+)/.exec(said);
      if (found !== null) resolve(found[1]);
    });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`python3 -m http.server exited (code ${code}) before serving`)));
  });
  try {
    return {
      url: `http://127.0.0.1:${await withTimeout(port, 20_000, 'python3 -m http.server saying its port')}/`,
      stop: () => server.kill(),
    };
  } catch (error) {
    server.kill();
    throw error;
  }
}

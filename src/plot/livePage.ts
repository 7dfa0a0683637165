import { readFileSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type * as Nodeplotlib from 'nodeplotlib';
import type { Layout, Plot } from 'nodeplotlib';
import type * as Rxjs from 'rxjs';
import type { Figure } from './figure';
import type { LiveFigure } from './notebookDisplay';

/** Options for {@link createLivePage}. */
export interface LivePageOptions {
  /**
   * Layout shown until the first {@link LivePage.update}; after that each figure's own layout is used.
   * Default: an empty layout (blank axes).
   */
  layout?: Layout;
  /**
   * Open the page in the default browser (nodeplotlib runs `xdg-open`/`open`/`start`). Default `true`.
   * nodeplotlib never opens a browser when the environment variable `NODEPLOTLIB_PORT` is set, and
   * a page added to a server that is already running does not open a second tab.
   */
  open?: boolean;
}

/** Options for {@link LivePage.close}. */
export interface LivePageCloseOptions {
  /**
   * Milliseconds to wait before stopping the server, so that the last update still reaches open
   * tabs (socket.io long-polling delivers it within a few hundred milliseconds). Default 1000.
   */
  delayMs?: number;
}

/**
 * A live Plotly figure on a local nodeplotlib web page; pass it to `liveLossPlot` to watch the loss
 * curve of a training run in a browser. Created by {@link createLivePage}.
 */
export interface LivePage extends LiveFigure {
  /**
   * The page's address, e.g. `http://localhost:39145`, once the server listens. Print it: the
   * browser may not open by itself (no desktop, `xdg-open` missing, `NODEPLOTLIB_PORT` set). Rejects
   * with an explanation if the server cannot start; nothing else about the page throws.
   */
  readonly url: Promise<string>;
  /**
   * Resolves when the server has stopped: after {@link LivePage.close}, or when the last browser tab
   * showing the page was closed or reloaded (nodeplotlib stops when its last client disconnects).
   * Updates after that are dropped. Never rejects.
   */
  readonly closed: Promise<void>;
  /**
   * Shows `figure` on the page: its traces replace the drawn ones and its layout replaces the layout.
   * Resolves as soon as the figure is queued for the browser; never throws.
   */
  update(figure: Figure): Promise<void>;
  /**
   * Stops the web server (after `delayMs`) so the Node process can exit. Open tabs keep the last
   * drawing but can no longer be reloaded. Resolves when the server has stopped; calling it again is
   * harmless. This stops the shared server, so every live page of this process goes offline.
   */
  close(options?: LivePageCloseOptions): Promise<void>;
}

/**
 * Starts (or reuses) nodeplotlib's local web server and adds one live figure to its page. Each
 * {@link LivePage.update} redraws the figure in every open tab, so `liveLossPlot(createLivePage())`
 * streams a training loss curve into the browser.
 *
 * How it behaves (nodeplotlib 1.1.2):
 * - The server (NestJS + socket.io) listens on port `NODEPLOTLIB_PORT` if that environment variable
 *   was set when nodeplotlib was first loaded, otherwise on a free port. `url` gives the address.
 * - The browser opens by itself unless `open: false` or `NODEPLOTLIB_PORT` is set; print `url` anyway.
 * - The page gets plotly.js from this server (the installed `plotly.js-dist-min`, the version nodeplotlib's page
 *   names) instead of cdn.plot.ly, so it draws with the network unplugged (its web fonts fall back to local ones).
 * - The server keeps the Node process alive until {@link LivePage.close} is called or the last tab
 *   showing the page is closed (reloading the only tab also stops it). Ctrl+C always ends it.
 * - Figures of {@link showFigure} and of other live pages share one server and one page.
 *
 * nodeplotlib and rxjs are loaded on this call, not when the module is imported. In notebooks use
 * `createLiveFigure` instead (inline SVG saved with the notebook).
 *
 * @example
 * const page = createLivePage();
 * console.log(`Live loss plot: ${await page.url}`);
 * try {
 *   await train(model, data, config, [liveLossPlot(page, 10)]);
 * } finally {
 *   await page.close(); // the tab keeps the final curve; the process can exit
 * }
 */
export function createLivePage(options: LivePageOptions = {}): LivePage {
  const { BehaviorSubject } = require('rxjs') as typeof Rxjs;
  const data$ = new BehaviorSubject<Plot[]>([]);
  // nodeplotlib wraps the layout in `of(layout)` and re-sends that same object with every data
  // emission (combineLatest), serialising it each time; so replacing its contents in place before
  // pushing new data changes the layout the browser draws.
  const layout: Layout = { ...options.layout };
  const server = addToServer(data$, layout, options.open ?? true);
  let stopped = false;
  void server.closed.then(() => {
    stopped = true;
    data$.complete();
  });
  return {
    url: server.url,
    closed: server.closed,
    update(figure) {
      for (const key of Object.keys(layout)) delete (layout as Record<string, unknown>)[key];
      Object.assign(layout, figure.layout);
      data$.next(figure.data);
      return Promise.resolve();
    },
    async close({ delayMs = 1000 } = {}) {
      if (!Number.isFinite(delayMs) || delayMs < 0) {
        throw new Error(`close({ delayMs: ${delayMs} }): delayMs must be a number of milliseconds >= 0.`);
      }
      if (stopped) return;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      data$.complete();
      await server.stop();
    },
  };
}

/** The nodeplotlib server our pages were added to. */
interface PageServer {
  url: Promise<string>;
  closed: Promise<void>;
  stop(): Promise<void>;
}

/** The parts of a NestJS application nodeplotlib creates that we use. */
interface NestApp {
  get<T>(token: abstract new (...args: never[]) => T): T;
  use(middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): unknown;
  getHttpServer(): HttpServer;
  listen(...args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** nodeplotlib's BridgeService: `port$` emits the bound port (after opening the browser), `shutdown()` stops. */
interface Bridge {
  port$: Rxjs.Observable<number>;
  shutdown(): void;
}

/** The server started by the last page that started one, until it stops. */
let current: PageServer | undefined;

/** Where the page gets plotly.js from this server instead of cdn.plot.ly. */
const LOCAL_PLOTLY = '/gennet/plotly.min.js';

/**
 * A middleware (added before nodeplotlib's own routes) that makes the page work offline: it serves nodeplotlib's
 * index page with its plotly.js script pointed at this server, and that script from the installed `plotly.js-dist-min`
 * (the version nodeplotlib's page names). Everything else goes on to nodeplotlib.
 */
function servePlotlyLocally(fromNodeplotlib: (id: string) => string) {
  const index = readFileSync(
    path.join(path.dirname(fromNodeplotlib('nodeplotlib/package.json')), 'src/lib/server/web/index.html'),
    'utf8',
  );
  const cdn = /https:\/\/cdn\.plot\.ly\/plotly-[\d.]+\.min\.js/;
  if (!cdn.test(index))
    throw new Error(
      'This nodeplotlib page does not load plotly.js from cdn.plot.ly ' +
        'as expected; check that nodeplotlib is the pinned version.',
    );
  const page = index.replace(cdn, LOCAL_PLOTLY);
  const script = readFileSync(require.resolve('plotly.js-dist-min'));
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (url !== '/' && url !== '/index.html' && url !== LOCAL_PLOTLY)) return next();
    const local = url === LOCAL_PLOTLY;
    res.writeHead(200, {
      'content-type': local ? 'application/javascript' : 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
    });
    res.end(local ? script : page);
  };
}

/**
 * Calls nodeplotlib's `plot(data$, layout)`. nodeplotlib only console.logs its address and exports no
 * way to stop, so while `plot` runs we wrap `NestFactory.create` (which `plot` calls synchronously
 * when it starts a server) to get the application: its BridgeService reports the bound port and
 * triggers nodeplotlib's own shutdown. The wrapper also turns Nest's startup log down to warnings.
 */
function addToServer(data$: Rxjs.Observable<Plot[]>, layout: Layout, open: boolean): PageServer {
  const nodeplotlibDir = path.dirname(require.resolve('nodeplotlib/package.json'));
  const fromNodeplotlib = (id: string): string => require.resolve(id, { paths: [nodeplotlibDir] });
  if (fromNodeplotlib('rxjs') !== require.resolve('rxjs')) {
    throw new Error(
      "Two copies of rxjs are installed (ours and nodeplotlib's), so nodeplotlib would not recognise the " +
        'live data stream. Run `npm dedupe` (package.json pins rxjs to the version nodeplotlib uses).',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- nodeplotlib's own copy, by path
  const { NestFactory } = require(fromNodeplotlib('@nestjs/core')) as {
    NestFactory: { create: (...args: unknown[]) => Promise<NestApp> };
  };
  const { plot } = require('nodeplotlib') as typeof Nodeplotlib;

  const originalCreate = NestFactory.create;
  let created: Promise<NestApp> | undefined;
  let failListen: (error: unknown) => void = () => undefined;
  const listenFailed = new Promise<never>((_, reject) => {
    failListen = reject;
  });
  NestFactory.create = function (this: unknown, ...args: unknown[]) {
    created = originalCreate
      .apply(this, args.length === 1 ? [args[0], { logger: ['error', 'warn'] }] : args)
      .then((app) => {
        app.use(servePlotlyLocally(fromNodeplotlib));
        // nodeplotlib does not catch a failed listen (e.g. NODEPLOTLIB_PORT in use), and the unhandled
        // rejection would end the process; report it through `url` instead and leave its start pending.
        // Nest returns a Proxy that ignores assignments, so define the method on its target.
        const target = Object.getPrototypeOf(app) as NestApp;
        Object.defineProperty(app, 'listen', {
          configurable: true,
          writable: true,
          value(this: NestApp, ...listenArgs: unknown[]) {
            return target.listen.apply(this, listenArgs).catch((error: unknown) => {
              failListen(error);
              return new Promise<never>(() => undefined);
            });
          },
        });
        return app;
      });
    return created;
  };
  const suppressOpen = !open && process.env.NODEPLOTLIB_PORT === undefined;
  // nodeplotlib skips `xdg-open` when NODEPLOTLIB_PORT is set; '0' still means "any free port".
  if (suppressOpen) process.env.NODEPLOTLIB_PORT = '0';
  const restoreEnv = (): void => {
    if (suppressOpen && process.env.NODEPLOTLIB_PORT === '0') delete process.env.NODEPLOTLIB_PORT;
  };
  try {
    plot(data$, layout);
  } catch (cause) {
    restoreEnv();
    throw new Error(
      'nodeplotlib could not start its plot server; see the cause below. Check that `npm ci` completed.',
      { cause },
    );
  } finally {
    NestFactory.create = originalCreate;
  }

  if (!created) {
    restoreEnv();
    if (current) return current; // another live page's server, still running: same page, same URL
    const url = Promise.reject(
      new Error(
        "This figure was added to a nodeplotlib page started elsewhere (by nodeplotlib's own plot()), whose " +
          'address is the "[Nodeplotlib] Server running at …" line printed earlier. To get the URL from a live ' +
          'page, create it before plotting with nodeplotlib directly, or close that page first.',
      ),
    );
    url.catch(() => undefined);
    return { url, closed: new Promise<void>(() => undefined), stop: () => Promise.resolve() };
  }

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module inside nodeplotlib, by path
  const { BridgeService } = require(fromNodeplotlib('nodeplotlib/src/lib/server/services/bridge.service')) as {
    BridgeService: abstract new () => Bridge;
  };
  let failedApp: NestApp | undefined;
  const started = created
    .then(async (app) => {
      const bridge = app.get(BridgeService);
      const { firstValueFrom } = require('rxjs') as typeof Rxjs;
      const port = await Promise.race([firstValueFrom(bridge.port$), listenFailed]).catch((error: unknown) => {
        failedApp = app;
        throw error;
      });
      return { app, bridge, port };
    })
    .finally(restoreEnv);

  const url = started.then(
    ({ port }) => `http://localhost:${port}`,
    (cause: NodeJS.ErrnoException) => {
      const hint =
        cause?.code === 'EADDRINUSE'
          ? `port ${process.env.NODEPLOTLIB_PORT ?? ''} is in use. Restart with another NODEPLOTLIB_PORT, or ` +
            'without it for any free port (nodeplotlib reads it once per process).'
          : 'see the cause below; nodeplotlib cannot start again in this process.';
      throw new Error(`The nodeplotlib plot server did not start: ${hint}`, { cause });
    },
  );
  url.catch(() => undefined); // callers that never ask for the URL must not crash the process
  const closed = started.then(
    ({ app }) =>
      new Promise<void>((resolve) => {
        const httpServer = app.getHttpServer();
        if (!httpServer.listening) resolve();
        else httpServer.once('close', () => resolve());
      }),
    async () => {
      await failedApp?.close().catch(() => undefined);
    },
  );
  const server: PageServer = {
    url,
    closed,
    async stop() {
      const running = await started.catch(() => undefined);
      if (running && running.app.getHttpServer().listening) running.bridge.shutdown();
      await closed;
    },
  };
  current = server;
  // After a failed start nodeplotlib believes its server is starting forever, so keep reporting
  // that failure to later pages instead of pretending a new server could start.
  void started
    .then(() => closed)
    .then(
      () => {
        if (current === server) current = undefined;
      },
      () => undefined,
    );
  return server;
}

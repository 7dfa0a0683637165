import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import { initBackend } from '../backend';
import { serveWebSite, writeWebSite, type WebModelManifest } from '../web';
import { integer } from './options';
import { log } from './output';
import { firstStopSignal, SIGNAL_EXIT } from './signals';

/**
 * One line about the model a site shows, e.g. `LSTM, 1 layer × 128 units, one-hot input; char level, 2.150 bits/char`.
 */
function describeSite({ facts }: WebModelManifest): string {
  return (
    `${facts.shape}; ${facts.unit} ` +
    `level${facts.valBitsPerChar === null ? '' : `, ${facts.valBitsPerChar.toFixed(3)} bits/char`}`
  );
}

/** The IPv4 addresses of this machine's network interfaces (what other machines open when serving on 0.0.0.0). */
function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((net) => net !== undefined && net.family === 'IPv4' && !net.internal)
    .map((net) => net!.address);
}

/**
 * `gennet serve`: the page on a local server until Ctrl-C, `kill` or the terminal closing; its address is the one
 * line on stdout.
 */
async function serveCommand(flags: { model: string; port: number; host: string }): Promise<void> {
  const stopped = firstStopSignal();
  await initBackend(); // the model is loaded once here, with every check, before the page gets its files
  const server = await serveWebSite(flags.model, { port: flags.port, host: flags.host, log });
  log(`serving ${flags.model} (${describeSite(server.manifest)}); Ctrl-C stops`);
  if (flags.host === '0.0.0.0')
    log(
      `other machines open http://<this machine's address>:${new URL(server.url).port}/ ` +
        `(${lanAddresses().join(', ') || 'no network address found'})`,
    );
  process.stdout.write(`${server.url}\n`);
  const signal = await stopped;
  await server.close();
  process.exitCode = SIGNAL_EXIT[signal];
}

/** `gennet export-web`: the same page as static files. */
async function exportWebCommand(flags: { model: string; out: string }): Promise<void> {
  await initBackend();
  const manifest = await writeWebSite(flags.model, flags.out);
  log(
    `wrote the page of ${flags.model} (${describeSite(manifest)}) to ${flags.out}/: serve that folder with ` +
      `any static file server (e.g. python3 -m http.server -d ${flags.out}) or publish it on GitHub Pages`,
  );
}

/** Adds `serve` and `export-web` to the CLI. */
export function addWebCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'show a model on a local web page: generation with sliders, ' +
        'the next-token distribution, the temperature comparison',
    )
    .requiredOption('--model <dir>', 'model directory written by `gennet train` (a plain network or an n-gram model)')
    .option('--port <n>', 'port to listen on (0: any free port)', integer(0, 65535), 8000)
    .option(
      '--host <name>',
      'address to listen on (0.0.0.0: every network interface, e.g. for a classroom)',
      'localhost',
    )
    .action(serveCommand);
  program
    .command('export-web')
    .description('write the page of `gennet serve` as static files that any static host serves (GitHub Pages)')
    .requiredOption('--model <dir>', 'model directory written by `gennet train`')
    .requiredOption(
      '--out <dir>',
      'folder to write the site to: new, empty, or a site exported before (only its gennet files are replaced)',
    )
    .action(exportWebCommand);
}

import { log } from './output';

/** Exit status of a process stopped by a signal (128 + its number), the shell convention. */
export const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143, SIGPIPE: 141 } as const;

/** The signals that stop a server: Ctrl-C, `kill`, and the terminal it runs in closing. */
type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/**
 * Resolves with the first SIGINT, SIGTERM or SIGHUP that comes (call it before starting, so that a signal during the
 * start is handled once the start is over); a second one exits at once.
 */
export function firstStopSignal(): Promise<StopSignal> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: StopSignal) => {
      if (received) process.exit(SIGNAL_EXIT[signal]);
      received = true;
      resolve(signal);
    };
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, handler);
  });
}

/**
 * A reader that closed our stdout (`gennet generate … | head`) ends the CLI quietly with the status of a process
 * stopped by SIGPIPE, as other command-line tools end (Node ignores the signal and reports EPIPE on the next write).
 */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(SIGNAL_EXIT.SIGPIPE);
    throw error;
  });
}

/**
 * Turns the first SIGINT/SIGTERM into an abort of `controller` (training stops after its current step and saves a
 * resumable checkpoint); a second one exits at once — the last complete checkpoint stays intact.
 */
export function stopOnSignals(controller: AbortController, out: string) {
  let received: 'SIGINT' | 'SIGTERM' | null = null;
  const handler = (signal: 'SIGINT' | 'SIGTERM') => {
    if (received !== null) process.exit(SIGNAL_EXIT[signal]);
    received = signal;
    log(
      `\n${signal}: stopping after this step and saving a ` +
        `resumable checkpoint to ${out} (again to quit without saving)`,
    );
    controller.abort();
  };
  const names = ['SIGINT', 'SIGTERM'] as const;
  names.forEach((name) => process.on(name, handler));
  return { received: () => received, remove: () => names.forEach((name) => process.off(name, handler)) };
}

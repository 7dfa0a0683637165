/** A line on stderr. */
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Exit status of a process stopped by a signal (128 + its number), the shell convention. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Turns the first SIGINT/SIGTERM into an abort of `controller` (training stops after its current step and saves a
 * resumable checkpoint); a second one exits at once — the last complete checkpoint stays intact.
 */
export function stopOnSignals(controller: AbortController, out: string) {
  let received: keyof typeof SIGNAL_EXIT | null = null;
  const handler = (signal: keyof typeof SIGNAL_EXIT) => {
    if (received !== null) process.exit(SIGNAL_EXIT[signal]);
    received = signal;
    log(`\n${signal}: stopping after this step and saving a resumable checkpoint to ${out} (again to quit without saving)`);
    controller.abort();
  };
  const names = Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[];
  names.forEach((name) => process.on(name, handler));
  return { received: () => received, remove: () => names.forEach((name) => process.off(name, handler)) };
}

// The page's shared handles: its elements by test id, and the status line.
import { yieldToEventLoop } from '../../sample';

/** The element with `data-testid="id"` (the page's stable handles, shared with the tests). */
export const byTestId = <T extends HTMLElement>(id: string): T => {
  const element = document.querySelector<T>(`[data-testid="${id}"]`);
  if (element === null) throw new Error(`The page has no element data-testid="${id}".`);
  return element;
};

/** The status line under the header. */
export const status = byTestId<HTMLParagraphElement>('status');

/** An error's message, for the status line. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Shows `text` in the status line (as an error: `error`). */
export function showStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

/**
 * Resolves once the page has painted what was just changed (the status line, before a task that runs to its end in
 * one piece); in a hidden tab, which does not paint, at once.
 */
export function afterPaint(): Promise<void> {
  if (document.hidden) return yieldToEventLoop();
  return new Promise((resolve) => requestAnimationFrame(() => resolve(yieldToEventLoop())));
}

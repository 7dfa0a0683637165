// The page's shared handles: its elements by test id, and the status line.

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

import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The backends a page can run, in the order `auto` tries them: WebGL where the browser has it, else wasm, else cpu. */
export const BROWSER_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;

/**
 * Starts the backend `choice` (`auto`: the first of {@link BROWSER_BACKENDS} that starts) and returns its name. The
 * wasm binaries come from the page's own folder, never from a CDN. A backend asked for by name that cannot start is
 * an error.
 */
export async function initBrowserBackend(choice: string): Promise<void> {
  if (choice !== 'auto' && !(BROWSER_BACKENDS as readonly string[]).includes(choice)) {
    throw new Error(`Unknown backend "${choice}" in the address; use ?backend=auto, ${BROWSER_BACKENDS.join(', ')}.`);
  }
  setWasmPaths(new URL('./', document.baseURI).href);
  for (const name of choice === 'auto' ? BROWSER_BACKENDS : [choice]) {
    try {
      if (await tf.setBackend(name)) return await tf.ready();
    } catch {
      // this browser cannot run it: try the next one
    }
  }
  throw new Error(`The TensorFlow.js backend "${choice}" cannot start in this browser; try ?backend=cpu.`);
}

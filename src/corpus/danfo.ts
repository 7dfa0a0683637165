import type * as Danfo from 'danfojs-node';

/**
 * Loads danfojs-node on first use. Importing it takes about half a second (it brings TensorFlow.js),
 * so the library only pays that when a corpus is actually loaded.
 */
export function loadDanfo(): typeof Danfo {
  return require('danfojs-node') as typeof Danfo;
}

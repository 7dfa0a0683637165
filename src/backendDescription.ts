import * as tf from '@tensorflow/tfjs';

/**
 * One line that says which TensorFlow.js backend runs, e.g. `wasm (SIMD, 1 thread)` or `webgl (WebGL 2)`, for
 * notebooks, the CLI, logs and the web page (this module imports nothing Node-only).
 */
export function describeBackend(): string {
  const name = tf.getBackend();
  if (name === 'wasm') {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : '1 thread'})`;
  }
  if (name === 'webgl') return `webgl (WebGL ${tf.env().getNumber('WEBGL_VERSION')})`;
  if (name === 'tensorflow') return 'tensorflow (native libtensorflow via tfjs-node)';
  return `${name} (pure JavaScript)`;
}

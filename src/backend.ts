import * as tf from '@tensorflow/tfjs';

export { describeBackend } from './backendDescription';

/** The TensorFlow.js backends this project knows, fastest first. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** Name of a TensorFlow.js backend: native libtensorflow, WebAssembly (XNNPACK) or pure JavaScript. */
export type BackendName = (typeof BACKENDS)[number];

/** Loads the package that registers a backend; returns false when it is not installed or cannot load. */
function registerBackend(name: BackendName): boolean {
  try {
    if (name === 'tensorflow') require('@tensorflow/tfjs-node');
    if (name === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  } catch {
    return false;
  }
  // The `@tensorflow/tfjs-node` name may be an alias of plain tfjs (see package.json overrides),
  // so a backend counts as present only once its factory is registered.
  return tf.findBackendFactory(name) !== null;
}

/**
 * Keeps the cpu backend from printing its banner at its first tensor ("install our node backend"): tfjs-node's binary
 * cannot be installed where its download host is unreachable, `gennet engines` and the README say what runs, and the
 * banner would land once per process and worker thread in gennet's output, the bench's and the notebooks'. It sets
 * the flag the backend checks (`firstUse`, tfjs-backend-cpu 4.x); its other warnings stay.
 */
function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: unknown } | null;
  if (cpu !== null && cpu.firstUse === true) cpu.firstUse = false;
}

function parseBackendName(value: string, origin: string): BackendName | 'auto' {
  const name = value.trim().toLowerCase();
  if (name === 'auto' || (BACKENDS as readonly string[]).includes(name)) return name as BackendName | 'auto';
  throw new Error(`Unknown backend "${value}" in ${origin}. Use one of: auto, ${BACKENDS.join(', ')}.`);
}

/**
 * Chooses and initialises the TensorFlow.js backend.
 *
 * Order of precedence: the `requested` argument, then the `GN_BACKEND` environment variable, then
 * automatic choice (native `tensorflow` when `@tensorflow/tfjs-node` loads, else `wasm`, else `cpu`).
 * A backend that was asked for explicitly and cannot start is an error, never a silent fallback.
 * @returns the name of the backend now in use.
 */
export async function initBackend(requested?: BackendName | 'auto'): Promise<BackendName> {
  const choice = requested ?? parseBackendName(process.env.GN_BACKEND ?? 'auto', 'GN_BACKEND');
  const candidates =
    choice === 'auto' ? [...BACKENDS] : [parseBackendName(choice, 'the backend option') as BackendName];
  for (const name of candidates) {
    if (!registerBackend(name)) continue;
    if (await tf.setBackend(name)) {
      await tf.ready();
      quietCpuBanner();
      return name;
    }
  }
  if (choice === 'tensorflow') {
    throw new Error(
      'The native "tensorflow" backend is not installed. Run `npm run native` (needs access to the ' +
        'TensorFlow binary download host) or choose GN_BACKEND=wasm or cpu.',
    );
  }
  throw new Error(`The TensorFlow.js backend "${choice}" could not be initialised. Try GN_BACKEND=cpu.`);
}

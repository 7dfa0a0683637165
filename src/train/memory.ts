import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { type EngineChoice, engineNamed } from '../engines';
import type { NetworkConfig, NetworkFamily } from '../families';

/**
 * The most a wasm backend's heap can hold: tfjs-backend-wasm 4.22 is built with a 32-bit memory of at most
 * 65,536 pages of 64 KiB (4 GiB − 64 KiB, its `getHeapMax`); a run that needs more aborts.
 */
export const WASM_HEAP_LIMIT = 65_536 * 65_536 - 65_536;

/** How a run trains, as far as memory goes. */
export interface MemorySettings {
  batchSize: number;
  seqLen: number;
  /** The engine asked for (`auto`: the fastest available of the family's). */
  engine: EngineChoice;
  /** Threads computing each step (worker threads hold their own copy of the network). */
  threads: number;
  /** The TensorFlow.js backend (`tf.getBackend()`). */
  backend: string;
}

/** The memory a training run is estimated to take. */
export interface TrainingMemory {
  /** The engine the estimate is for. */
  engine: string;
  /** The network's trainable parameters. */
  params: number;
  /** Bytes beyond what the process holds before it builds the network: the peak of a step and a checkpoint. */
  bytes: number;
  /** Of those, the most that one TensorFlow.js backend's heap holds (the main thread's). */
  heapBytes: number;
}

/**
 * The engine a run of a network of `family` takes for `choice`: the one named, or for `auto` the fastest of the
 * family's engines that runs here (as `selectEngine` picks for the built network).
 */
function engineFor(family: NetworkFamily, choice: EngineChoice): string {
  if (choice !== 'auto') return engineNamed(choice).name;
  return family.engines.find((name) => engineNamed(name).unavailableReason() === null) ?? 'layers';
}

/** Bytes per parameter that each thread beyond the first adds: its copy of the weights and of their gradients. */
const PER_THREAD_PARAM = 16;
/**
 * Bytes per parameter of the best validation's weights, which a run keeps beside the latest (see `BestModel`), and of
 * the copy of the latest that a checkpoint past the best takes: not in the engines' measured figures, added here.
 */
const BEST_WEIGHTS_PER_PARAM = 8;

/**
 * The share of its wasm peak that the backend's memory reaches on other backends: a wasm heap keeps its high-water
 * mark, while the cpu backend's freed tensors go back to the system as a step runs (measured: the layers engine's
 * lstm:1x512 and mlp:16x1024 took 0.43 of their wasm peaks on the cpu backend).
 */
const RELEASED_SHARE = 0.43;

/**
 * The memory a training run of the network of `family` and `config` takes with `settings`: the engine's measured
 * `EngineMemory` applied to the network's sizes (its family's `trainingShape`). Calibrated against the peak resident
 * memory of `gennet train` (three steps, validation and a checkpoint) less that of a tiny model: on wasm, 23 runs of
 * LSTM, GRU and RNN networks of 256 to 2048 units and MLPs on the three engines came within 0.89–1.09 of their
 * estimates (lstm:1x2048 on native: 1.43 GB measured, 1.41 estimated; lstm:1x512 on layers: 1.87 and 1.87;
 * mlp:32x1024: 2.13 and 2.12), three runs on the cpu backend within 0.99–1.03.
 */
export function trainingMemory(family: NetworkFamily, config: NetworkConfig, settings: MemorySettings): TrainingMemory {
  const shape = family.trainingShape(config, settings.seqLen);
  const engine = engineNamed(engineFor(family, settings.engine));
  const { memory } = engine;
  const floats = settings.batchSize * settings.seqLen * shape.floatsPerToken;
  // The trainer's worker threads (not an engine's own) each keep a tape and take an equal share of the batch's rows.
  const tapes = engine.ownThreads ? 1 : settings.threads;
  const tape = memory.perTapeGradient * shape.tapeGradients;
  const own =
    (memory.perParam - memory.heapPerParam) * shape.params + (memory.perTokenFloat - memory.heapPerTokenFloat) * floats;
  const onBackend =
    (memory.heapPerParam + BEST_WEIGHTS_PER_PARAM) * shape.params +
    tapes * tape +
    memory.heapPerTokenFloat * floats +
    (settings.threads - 1) * PER_THREAD_PARAM * shape.params;
  return {
    engine: engine.name,
    params: shape.params,
    bytes: own + onBackend * (settings.backend === 'wasm' ? 1 : RELEASED_SHARE),
    heapBytes:
      (memory.heapPerParam + BEST_WEIGHTS_PER_PARAM) * shape.params +
      tape +
      (memory.heapPerTokenFloat * floats) / tapes,
  };
}

/**
 * Bytes this process can still take: on Linux the system's available memory (`os.freemem` reads MemAvailable, which
 * counts the page cache the kernel gives back), or less under a cgroup memory limit (a container's). Elsewhere the
 * free figure leaves out what the system would reclaim (macOS reports a few hundred MB free on a machine with
 * gigabytes to spare), so the machine's total memory is the bound there: only a run that cannot fit at all is refused.
 */
export function availableMemory(): number {
  const free = process.platform === 'linux' ? os.freemem() : os.totalmem();
  const limit = process.constrainedMemory();
  return limit > 0 && limit < os.totalmem() ? Math.min(free, limit - process.memoryUsage.rss()) : free;
}

/** Bytes in words: `9.4 GB`, `31 GB` (decimal units). */
function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes < 10e9 ? 1 : 0)} GB`;
}

/** A count in words: `470 M`, `4.7 M`, `38,000`. */
function count(n: number): string {
  if (n < 1e6) return n.toLocaleString('en-US');
  return `${(n / 1e6).toFixed(n < 10e6 ? 1 : 0)} M`;
}

/**
 * Refuses, before its network is built, a training run that would not fit in memory: the network of `family` and
 * `config` (`label` in the message) trained with `settings` needs more than this machine has available, or more
 * than the wasm backend can address. The message gives the estimate and what to change.
 */
export function checkTrainingFits(
  label: string,
  family: NetworkFamily,
  config: NetworkConfig,
  settings: Omit<MemorySettings, 'backend'>,
): void {
  const backend = tf.getBackend();
  const need = trainingMemory(family, config, { ...settings, backend });
  const free = availableMemory();
  const overHeap = backend === 'wasm' && need.heapBytes > WASM_HEAP_LIMIT;
  const limits = [
    ...(need.bytes > free ? [`this machine has ${gigabytes(free)} available`] : []),
    ...(overHeap
      ? [`the wasm backend would hold ${gigabytes(need.heapBytes)} of it and can address ${gigabytes(WASM_HEAP_LIMIT)}`]
      : []),
  ];
  if (limits.length === 0) return;
  throw new Error(
    `${label} has ${count(need.params)} parameters; training it on the ${need.engine} engine needs about ` +
      `${gigabytes(need.bytes)} (weights, gradients, Adam state, checkpoint copies, activations for batch ` +
      `${settings.batchSize} × ${settings.seqLen} steps), but ${limits.join(' and ')}. Choose fewer units or ` +
      'layers, or a smaller batch (--batch) or sequence length (--seq-len)' +
      (need.bytes > free ? '.' : '; or the cpu backend (--backend cpu), which has no such limit.'),
  );
}

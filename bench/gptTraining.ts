/**
 * GPT training rows of `npm run bench`: throughput of `gpt:4x128:h4:ctx128`, batch 32, on the native engine (1 and 2
 * threads) and the layers engine, against the same GPT in PyTorch (`bench/torch_gpt.py`) at its best thread count.
 */
import { WindowDataset } from '../src/data/windowDataset';
import { buildGpt, type GptConfig } from '../src/families';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/train';
import { runTorchScript, type TorchThroughput } from './versusTorch';
import { GPT, GPT_SPEC, SEED } from './workload';

/** The batch. */
const BATCH = 32;
/** The model as a spec, for the tables. */
export const GPT_BENCH_MODEL = `${GPT_SPEC}, batch ${BATCH}`;

/** Our characters per second by engine and threads (null: the engine is not available). */
export interface GptTrainingMeasurement {
  native: number | null;
  nativeTwoThreads: number | null;
  layers: number;
}

/** The median time of `steps` training steps after the first (untimed), in characters per second. */
async function charsPerSecond(vocabSize: number, engine: 'native' | 'layers', threads: number, steps: number) {
  const config: GptConfig = { family: 'gpt', vocabSize, seed: SEED, ...GPT };
  const stream = Int32Array.from({ length: (steps + 2) * BATCH * (GPT.context + 1) }, (_, i) => (i * 7919) % vocabSize);
  const times: number[] = [];
  let last = 0;
  const timer = {
    onBatchEnd: () => {
      const now = performance.now();
      if (last > 0) times.push(now - last);
      last = now;
    },
  };
  const network = buildGpt(config);
  const data = { train: new WindowDataset(stream, { seqLen: GPT.context }), val: null };
  const settings = { ...DEFAULT_TRAIN_CONFIG, batchSize: BATCH, epochs: 1, maxSteps: steps + 1, engine, threads };
  await train(network, data, { ...settings, learningRate: 1e-3, seed: SEED }, [timer]);
  network.dispose();
  times.sort((a, b) => a - b);
  return (BATCH * GPT.context) / (times[Math.floor(times.length / 2)] / 1000);
}

/** Measures our engines on the current backend (`nativeAvailable`: whether the addon runs GPTs). */
export async function measureGptTraining(
  vocabSize: number,
  nativeAvailable: boolean,
  quick: boolean,
): Promise<GptTrainingMeasurement> {
  const steps = quick ? 2 : 6;
  return {
    native: nativeAvailable ? await charsPerSecond(vocabSize, 'native', 1, steps) : null,
    nativeTwoThreads: nativeAvailable ? await charsPerSecond(vocabSize, 'native', 2, steps) : null,
    layers: await charsPerSecond(vocabSize, 'layers', 1, quick ? 1 : 3),
  };
}

/** Runs the PyTorch GPT with 1 and 2 threads. */
export function runTorchGpt(vocabSize: number, quick: boolean): Promise<TorchThroughput> {
  const shape = ['--layers', GPT.layers, '--width', GPT.width, '--heads', GPT.heads, '--context', GPT.context];
  const args = [...shape, '--batch', BATCH, '--vocab-size', vocabSize, '--steps', quick ? 2 : 5];
  return runTorchScript('bench/torch_gpt.py', args);
}

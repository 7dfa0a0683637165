/** How the training rows of `npm run bench` time an updater's steps, and the settings they step with. */
import type { Batch } from '../src/data';
import type { Updater } from '../src/train/updater';

/**
 * The optimiser of the training rows against PyTorch: AdamW with a weight decay of 0.01 (PyTorch's AdamW decays every
 * tensor, ours the matrices: the same work per weight) and the gradients clipped to norm 1, as the references step.
 */
export const ROW_OPTIMIZER = { learningRate: 1e-3, weightDecay: 0.01, clipNorm: 1 } as const;

/**
 * Steps `updater` on `batchAt(0)`, untimed (it allocates and warms up), then on `batchAt(1…steps)`, and returns the
 * median step's speed in tokens per second (`tokens` per batch); disposes the updater.
 */
export async function medianTokensPerSecond(
  updater: Updater,
  batchAt: (step: number) => Batch,
  steps: number,
  tokens: number,
): Promise<number> {
  const times: number[] = [];
  try {
    for (let step = 0; step <= steps; step++) {
      const batch = batchAt(step);
      const start = performance.now();
      await updater.step(batch);
      if (step > 0) times.push(performance.now() - start);
    }
  } finally {
    await updater.dispose();
  }
  times.sort((a, b) => a - b);
  return tokens / (times[Math.floor(times.length / 2)] / 1000);
}

/** `rows × length` token ids in 1 … vocab − 1, a fixed pattern shifted by `salt` (the same on every run). */
export function patternIds(rows: number, length: number, vocab: number, salt: number): Int32Array {
  return Int32Array.from({ length: rows * length }, (_, i) => 1 + ((i * 7919 + salt) % (vocab - 1)));
}

/** The PyTorch side of the benchmark: runs `bench/torch_reference.py` on the same text and settings as ours. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CellType } from '../src/model';
import { PROJECT_ROOT, runJson } from './children';
import { CLIP_NORM, LEARNING_RATE, SEQ_LEN, trainingText, UNITS, type BenchPlan, type Workload } from './workload';

/** The Python with torch: `GN_PYTHON`, else Debian's (the `python3` on PATH may be another one, without torch). */
export const PYTHON = process.env.GN_PYTHON ?? '/usr/bin/python3';

/** Throughput of one training configuration with one thread count. */
export interface TorchTraining {
  cell: CellType;
  batch: number;
  threads: number;
  charsPerSecond: number;
  steps: number;
  seconds: number;
}

/** Time of the generation grid with one thread count. */
export interface TorchGeneration {
  threads: number;
  seconds: number;
  samples: number;
  chars: number;
}

/** What the reference measured, or why it could not run. */
export type TorchResult =
  | {
      available: true;
      version: string;
      blas: string;
      windows: number;
      training: TorchTraining[];
      generation: TorchGeneration[];
    }
  | { available: false; reason: string };

/**
 * Runs the PyTorch reference with every cell, batch size and thread count of the plan. The text goes through a
 * temporary file; a Python that is missing or lacks torch gives `available: false`, never an error.
 */
export async function runTorchReference(workload: Workload, plan: BenchPlan): Promise<TorchResult> {
  const folder = mkdtempSync(path.join(tmpdir(), 'gennet-bench-'));
  try {
    const textFile = path.join(folder, 'train.txt');
    writeFileSync(textFile, trainingText(workload));
    const { generation, torch } = plan;
    const args = [
      path.join(PROJECT_ROOT, 'bench', 'torch_reference.py'),
      '--text',
      textFile,
      '--vocab-size',
      String(workload.data.vocab.size),
      '--seq-len',
      String(SEQ_LEN),
      '--hidden',
      String(UNITS),
      '--lr',
      String(LEARNING_RATE),
      '--clip',
      String(CLIP_NORM ?? 0),
      '--cells',
      plan.cells.join(','),
      '--batches',
      plan.batches.join(','),
      '--threads',
      torch.threads.join(','),
      '--warmup',
      String(torch.warmupSteps),
      '--seconds',
      String(torch.seconds),
      '--min-steps',
      String(torch.minTimedSteps),
      '--train-repeats',
      String(torch.repeats),
      '--prompts',
      JSON.stringify(generation.prompts),
      '--temperatures',
      JSON.stringify(generation.temperatures),
      '--length',
      String(generation.length),
      '--repeats',
      String(generation.repeats),
    ];
    return await runJson<TorchResult>(PYTHON, args);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { available: false, reason: code === 'ENOENT' ? `${PYTHON} not found` : (error as Error).message };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The best of the thread counts: the highest training throughput of a configuration, and each count's. */
export function bestTraining(
  result: TorchResult,
  cell: CellType,
  batch: number,
): { best: number; byThreads: Record<number, number> } | null {
  if (!result.available) return null;
  const runs = result.training.filter((run) => run.cell === cell && run.batch === batch);
  if (runs.length === 0) return null;
  return {
    best: Math.max(...runs.map((run) => run.charsPerSecond)),
    byThreads: Object.fromEntries(runs.map((run) => [run.threads, run.charsPerSecond])),
  };
}

/** The fastest generation of the grid over the thread counts, in seconds, and each count's. */
export function bestGeneration(result: TorchResult): { best: number; byThreads: Record<number, number> } | null {
  if (!result.available || result.generation.length === 0) return null;
  return {
    best: Math.min(...result.generation.map((run) => run.seconds)),
    byThreads: Object.fromEntries(result.generation.map((run) => [run.threads, run.seconds])),
  };
}

/** Training rows of one model against the same model in PyTorch: the rows, and their table. */
import type { BackendName } from '../src/backend';
import { runJson } from './children';
import type { OurBackendResult } from './ours';
import { PYTHON } from './torch';
import { formatTable, integer, perThread, ratio } from './textTable';

/** Our native engine's training throughput on 1 and 2 threads (null: not available), as a row measures it. */
export interface NativeThroughput {
  native: number | null;
  nativeTwoThreads: number | null;
}

/**
 * A training throughput row on one backend (`M`: our measurement) against PyTorch's, and native ÷ PyTorch's best
 * (above 1: ours faster).
 */
export type VersusTorchRow<M extends NativeThroughput> = M & {
  backend: BackendName;
  torchBest: number | null;
  torchByThreads: Record<number, number> | null;
  nativeOverTorch: number | null;
};

/** Joins our training measurements (`pick`s of each backend's result) with PyTorch's by thread count. */
export function versusTorchRows<M extends NativeThroughput>(
  ours: readonly OurBackendResult[],
  pick: (result: Extract<OurBackendResult, { available: true }>) => M,
  torch: { available: true; byThreads: Record<number, number> } | { available: false },
): VersusTorchRow<M>[] {
  const byThreads = torch.available ? torch.byThreads : null;
  const torchBest = byThreads === null ? null : Math.max(...Object.values(byThreads));
  return ours.flatMap((result) => {
    if (!result.available) return [];
    const measured = pick(result);
    const best = measured.native === null ? null : Math.max(measured.native, measured.nativeTwoThreads ?? 0);
    const nativeOverTorch = best === null || torchBest === null ? null : best / torchBest;
    return [{ ...measured, backend: result.backend, torchBest, torchByThreads: byThreads, nativeOverTorch }];
  });
}

/** PyTorch's speed by thread count for a model, or why it was not measured. */
export type TorchThroughput =
  { available: true; version: string; byThreads: Record<number, number> } | { available: false; reason: string };

/** Runs the PyTorch reference `script` (a bench/torch_*.py printing {@link TorchThroughput}) with `args`. */
export function runTorchScript(script: string, args: readonly (string | number)[]): Promise<TorchThroughput> {
  return runJson<TorchThroughput>(PYTHON, [script, ...args.map(String)]).catch((error: unknown) => ({
    available: false as const,
    reason: error instanceof Error ? error.message : String(error),
  }));
}

/**
 * The lines of one model's training table: `title` (told which PyTorch ran), then per backend native on 1 and 2
 * threads, `other` (a JavaScript engine's column), PyTorch's best and per thread count, and native ÷ PyTorch; a note
 * when PyTorch was not measured.
 */
export function versusTorchSection<M extends NativeThroughput>(
  title: (torchVersion: string) => string,
  rows: readonly VersusTorchRow<M>[],
  other: { header: string; value: (row: M) => number | null },
  torch: TorchThroughput,
): string[] {
  return [
    '',
    title(torch.available ? torch.version : 'not measured'),
    '',
    ...formatTable(
      ['backend', 'native 1t', 'native 2t', other.header, 'PyTorch best', '(per thread count)', 'native ÷ PyTorch'],
      rows.map((row) => [
        row.backend,
        integer(row.native),
        integer(row.nativeTwoThreads),
        integer(other.value(row)),
        integer(row.torchBest),
        perThread(row.torchByThreads, integer),
        ratio(row.nativeOverTorch),
      ]),
      1,
    ),
    ...(torch.available ? [] : [`PyTorch: ${torch.reason}`]),
  ];
}

/** The memory probe of the benchmark: peak resident memory of `gennet train` on a large text corpus. */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadCorpus } from '../src/corpus';
import type { EngineChoice } from '../src/engines';
import { PROJECT_ROOT, runJson } from './children';
import { SEQ_LEN } from './workload';

/** The goal: training on a 50 MB corpus fits in 1 GB. */
export const MEMORY_GOAL_MB = 1024;
/** Share of the text the probe validates on: 1 % keeps the end-of-epoch evaluation to seconds (10 % takes minutes). */
const VAL_FRACTION = 0.01;
const MB = 1024 * 1024;

/** One run of the probe: an engine and, unless the default, a model spec (`--model`). */
export interface MemoryRun {
  engine: EngineChoice;
  model?: string;
}

/** Peak memory of one training run. */
export interface MemoryResult {
  engine: EngineChoice;
  /** The `--model` given; null for the default model. */
  model: string | null;
  /** Size of the corpus file in MB (2^20 bytes). */
  corpusMB: number;
  peakRssMB: number;
  goalMB: number;
  /** What the CLI reported: backend, steps and its own training speed. */
  backend: string;
  steps: number;
  charsPerSecond: number;
  /** The command that ran, with `CORPUS` and `OUT` for the temporary paths. */
  command: string;
}

/**
 * Writes `megabytes` MB of UTF-8 text (give or take a character) to `file` by repeating the `sotu` corpus (State of the
 * Union addresses).
 */
async function writeLargeCorpus(file: string, megabytes: number): Promise<void> {
  const text = `${(await loadCorpus('sotu')).texts.join('\n\n')}\n\n`;
  const fd = openSync(file, 'w');
  try {
    // Mostly ASCII, so n characters are about n bytes; the last piece is cut to what is missing.
    for (let written = 0; written < megabytes * MB;) written += writeSync(fd, text.slice(0, megabytes * MB - written));
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `gennet train FLAGS --out OUT` as a user would, under the peak-memory preload (`node -r bench/peakRss.js
 * dist/cli.js train …`), and returns its JSON summary (give `--json`) and its peak RSS in MB.
 */
export async function trainWithPeakRss<T>(
  flags: readonly string[],
  out: string,
): Promise<{ summary: T; peakRssMB: number }> {
  const peakFile = `${out}.peak-rss`;
  const preload = ['-r', path.join(PROJECT_ROOT, 'bench', 'peakRss.js')];
  const command = [...preload, path.join(PROJECT_ROOT, 'dist', 'cli.js'), 'train', ...flags, '--out', out];
  const summary = await runJson<T>(process.execPath, command, {
    ...process.env,
    PEAK_RSS_FILE: peakFile,
  });
  return { summary, peakRssMB: Number(readFileSync(peakFile, 'utf8')) / 1024 };
}

/**
 * Trains with the CLI (`node -r bench/peakRss.js dist/cli.js train ...`, as a user would) on a corpus of `megabytes` MB
 * for `maxSteps` steps, once per run, and reports the peak RSS of each. The default model reads windows of
 * {@link SEQ_LEN}; a run that names a model trains on that model's own windows (a GPT's context).
 */
export async function measurePeakRss(
  megabytes: number,
  maxSteps: number,
  runs: readonly MemoryRun[],
): Promise<MemoryResult[]> {
  const folder = mkdtempSync(path.join(tmpdir(), 'gennet-bench-memory-'));
  try {
    const corpus = path.join(folder, 'corpus.txt');
    await writeLargeCorpus(corpus, megabytes);
    const results: MemoryResult[] = [];
    for (const [k, { engine, model }] of runs.entries()) {
      const flags = [
        ...(model === undefined ? ['--seq-len', String(SEQ_LEN)] : ['--model', model]),
        '--engine',
        engine,
        '--max-steps',
        String(maxSteps),
        '--val',
        String(VAL_FRACTION),
        '--no-samples',
        '--json',
      ];
      const { summary, peakRssMB } = await trainWithPeakRss<{ backend: string; steps: number; charsPerSecond: number }>(
        ['--corpus', corpus, ...flags],
        path.join(folder, `run-${k}`),
      );
      results.push({
        engine,
        model: model ?? null,
        corpusMB: statSync(corpus).size / MB,
        peakRssMB,
        goalMB: MEMORY_GOAL_MB,
        backend: summary.backend,
        steps: summary.steps,
        charsPerSecond: summary.charsPerSecond,
        command: `node -r bench/peakRss.js dist/cli.js train --corpus CORPUS ${flags.join(' ')} --out OUT`,
      });
    }
    return results;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

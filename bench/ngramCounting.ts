/** The n-gram probe of the benchmark: counting a word-level order-5 model of sotu, its time and peak memory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { trainWithPeakRss } from './memory';

/** The goals: counting within 4 s, the whole `gennet train` run within 600 MB. */
export const NGRAM_GOALS = { seconds: 4, peakRssMB: 600 };
/** The flags of the run, after `gennet train`. */
const FLAGS = ['--corpus', 'sotu', '--level', 'word', '--model', 'ngram:5', '--json'];

/** What one counting run measured. */
export interface NgramCountingResult {
  /** Counting alone (the CLI's summary: `fit` of the family, corpus loading and scoring excluded). */
  seconds: number;
  /** Peak resident memory of the whole CLI run. */
  peakRssMB: number;
  /** Counts the model keeps (every order). */
  params: number;
  /** The command that ran, with `OUT` for the temporary model folder. */
  command: string;
}

/** Counts the model with the CLI (`node -r bench/peakRss.js dist/cli.js train …`, as a user would). */
export async function measureNgramCounting(): Promise<NgramCountingResult> {
  const folder = mkdtempSync(path.join(tmpdir(), 'gennet-bench-ngram-'));
  try {
    const { summary, peakRssMB } = await trainWithPeakRss<{ seconds: number; params: number }>(
      FLAGS,
      path.join(folder, 'model'),
    );
    return {
      seconds: summary.seconds,
      peakRssMB,
      params: summary.params,
      command: `node -r bench/peakRss.js dist/cli.js train ${FLAGS.join(' ')} --out OUT`,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The probe's lines of the text report. */
export function formatNgramCounting(result: NgramCountingResult): string[] {
  const within = (value: number, goal: number) => (value <= goal ? 'within' : 'OVER');
  return [
    `Counting an order-5 word n-gram model of sotu (${(result.params / 1e6).toFixed(1)} M counts, every order): ` +
      `${result.seconds.toFixed(2)} s (goal ≤ ${NGRAM_GOALS.seconds} s, ${within(result.seconds, NGRAM_GOALS.seconds)}), ` +
      `peak RSS ${result.peakRssMB.toFixed(0)} MB (goal ≤ ${NGRAM_GOALS.peakRssMB} MB, ` +
      `${within(result.peakRssMB, NGRAM_GOALS.peakRssMB)})`,
    `  ${result.command}`,
  ];
}

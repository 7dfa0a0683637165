import type { Command } from 'commander';
import { describeBackend, initBackend } from '../backend';
import { type ModelSpec, parseModelSpecs } from '../families';
import { writeFileAtomically } from '../io';
import { figureToSvg, modelComparisonFigure } from '../plot';
import { compareModels, type CompareRow } from '../session';
import { DEFAULT_TRAIN_CONFIG } from '../train';
import { addDataOptions, addRunOptions, type DataFlags, dataSettingsOf, decimal, integer, valMaxOf } from './options';
import { addStepOptions, type StepFlags, stepSettingsOf } from './stepOptions';
import { log, printJson, printText } from './output';

/** Flags of `gennet compare`. */
interface CompareFlags extends DataFlags, StepFlags {
  models: ModelSpec[];
  seconds?: number;
  sampleLength: number;
  temperature: number;
  plot?: string;
}

async function compareCommand(flags: CompareFlags, command: Command): Promise<void> {
  if (flags.corpus === undefined) throw new Error("required option '--corpus <name|path>' not specified.");
  await initBackend(flags.backend);
  log(`backend: ${describeBackend()}`);
  const rows = await compareModels(
    {
      data: { ...dataSettingsOf(flags, command), corpus: flags.corpus },
      models: flags.models,
      maxSteps: flags.maxSteps ?? null,
      seconds: flags.seconds ?? null,
      seed: flags.seed,
      batchSize: flags.batch ?? DEFAULT_TRAIN_CONFIG.batchSize,
      learningRate: flags.lr,
      engine: flags.engine,
      threads: flags.threads,
      training: stepSettingsOf(flags),
      valMaxTokens: valMaxOf(flags),
      sampleLength: flags.sampleLength,
      temperature: flags.temperature,
    },
    log,
  );
  if (flags.plot !== undefined) {
    await writeFileAtomically(flags.plot, await figureToSvg(modelComparisonFigure(rows)));
    log(`figure written to ${flags.plot}`);
  }
  if (flags.json) printJson(rows);
  else printText(`${comparisonTable(rows)}\n`);
}

/** The comparison as a plain-text table, one model a line, its sample on one line cut to 60 characters. */
function comparisonTable(rows: readonly CompareRow[]): string {
  const lines = [
    ['model', 'params', 'steps', 'seconds', 'chars/s', 'val bits/char', 'sample'],
    ...rows.map((r) => [
      r.model,
      String(r.params),
      String(r.steps),
      r.seconds.toFixed(1),
      String(r.charsPerSecond),
      r.valBitsPerChar.toFixed(3),
      JSON.stringify(r.sample.length > 60 ? `${r.sample.slice(0, 60)}…` : r.sample),
    ]),
  ];
  const widths = lines[0].map((_, c) => Math.max(...lines.map((line) => line[c].length)));
  return lines
    .map((line) => line.map((cell, c) => (c === line.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '))
    .join('\n');
}

/** Adds `compare` to the CLI: several models trained alike, in one table. */
export function addCompareCommand(program: Command): void {
  const compare = program
    .command('compare')
    .description('train several models (n-gram and networks) on one corpus, one split and one budget, and compare them')
    .requiredOption(
      '--models <list>',
      'model specs separated by commas (see gennet models; e.g. ngram:3,ngram:5,mlp:8x128,gru,lstm:2x256)',
      parseModelSpecs,
    )
    .option(
      '--seconds <s>',
      'training time of each network (with or instead of --max-steps)',
      decimal((n) => n > 0, '> 0'),
    );
  addStepOptions(addDataOptions(compare))
    .option('--sample-length <n>', "tokens of each model's sample", integer(0), 200)
    .option(
      '--temperature <t>',
      'temperature of the samples',
      decimal((n) => n >= 0 && n <= 100, 'between 0 and 100'),
      0.8,
    )
    .option('--plot <file.svg>', 'also write validation bits/char against training time as SVG');
  addRunOptions(
    compare,
    'print one JSON array of {model, params, steps, seconds, ' +
      'charsPerSecond, valLoss, valBitsPerChar, sample, curve} rows',
  ).action(compareCommand);
}

import type { Command } from 'commander';
import { describeBackend } from '../backend';
import { writeFileAtomically } from '../io';
import { diversityFigure, figureToSvg } from '../plot';
import { compareTemperatures, formatComparison, LESSON_PROMPTS, LESSON_TEMPERATURES } from '../sample';
import { loadForSampling, trainingWords } from '../session';
import {
  addRunOptions,
  addSamplingOptions,
  promptList,
  samplingOf,
  type SamplingFlags,
  temperatureList,
} from './options';
import { log, printJson, printText } from './output';

async function temperaturesCommand(
  flags: SamplingFlags & { prompts: string[]; temps: number[]; corpus?: string; plot?: string },
): Promise<void> {
  const { backend, loaded, engine, initialState } = await loadForSampling(flags, flags.prompts, log);
  const knownWords = await trainingWords(loaded, flags.corpus, log);
  log(
    `backend: ${describeBackend()}, engine ${engine}; ${flags.prompts.length} prompts × ` +
      `${flags.temps.length} temperatures × ${flags.length} tokens`,
  );
  const rows = compareTemperatures(loaded, {
    prompts: flags.prompts,
    temperatures: flags.temps,
    length: flags.length,
    seed: flags.seed,
    knownWords: knownWords ?? undefined,
    engine,
    initialState,
    ...samplingOf(flags),
  });
  if (flags.plot !== undefined) {
    await writeFileAtomically(flags.plot, await figureToSvg(diversityFigure(rows)));
    log(`figure written to ${flags.plot}`);
  }
  if (flags.json) printJson(rows);
  else printText(`${formatComparison(rows)}\n(backend ${backend})\n`);
}

/** Adds `temperatures` to the CLI: the lesson's comparison of temperatures. */
export function addTemperaturesCommand(program: Command): void {
  const temperatures = program
    .command('temperatures')
    .description("the lesson's comparison: every prompt continued at every temperature, with metrics per sample")
    .option('--prompts <list>', 'prompts separated by "|"', promptList, [...LESSON_PROMPTS])
    .option('--temps <list>', 'temperatures separated by commas (0 = greedy)', temperatureList, [
      ...LESSON_TEMPERATURES,
    ])
    .option('--corpus <name|path>', 'corpus whose words count as known (default: the one the model was trained on)')
    .option('--plot <file.svg>', 'also write the metrics-by-temperature figure as SVG');
  addSamplingOptions(temperatures, 'sampling seed of the first prompt (prompt i uses seed + i)');
  addRunOptions(temperatures, 'print one JSON array of {prompt, temperature, text, metrics} rows on stdout').action(
    temperaturesCommand,
  );
}

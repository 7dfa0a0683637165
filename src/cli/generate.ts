import type { Command } from 'commander';
import type { LoadedModel } from '../io';
import { beamSearch, type Generation, generateBatch } from '../sample';
import { generationProgressBar, loadForSampling } from '../session';
import {
  addRunOptions,
  addSamplingOptions,
  decimal,
  integer,
  readPromptFile,
  samplingOf,
  type SamplingFlags,
} from './options';
import { log, printJson, printText } from './output';

/** Flags of `gennet generate`. */
type GenerateFlags = SamplingFlags & {
  prompt: string;
  promptFile?: string;
  temperature: number;
  count: number;
  beam?: number;
  lengthPenalty: number;
};

/**
 * For `--json`, a decoder with attention's alignment of a generation: the source's tokens, the generated tokens, and
 * each generated token's attention weights over the source tokens (rows: generated tokens); nothing for other models.
 */
function alignmentOf(loaded: LoadedModel, source: string | undefined, generation: Generation) {
  if (generation.attention === undefined || loaded.source === null || source === undefined) return {};
  const token = (vocab: LoadedModel['vocab'], id: number) => vocab.decode([id]);
  return {
    alignment: {
      source: Array.from(loaded.source.vocab.encode(source), (id) => token(loaded.source!.vocab, id)),
      target: generation.tokens.map((id) => token(loaded.vocab, id)),
      weights: generation.attention,
    },
  };
}

async function generateCommand(flags: GenerateFlags, command: Command): Promise<void> {
  if (command.getOptionValueSource('lengthPenalty') === 'cli')
    throw new Error('--length-penalty ranks beam-search hypotheses; add --beam K, or drop it.');
  const { backend, loaded, engine, initialState, conditions, seq2seq } = await loadForSampling(
    flags,
    [flags.prompt],
    log,
  );
  // A sequence-to-sequence model decodes greedily unless a temperature is asked for: its target has one right answer.
  const temperature = seq2seq && command.getOptionValueSource('temperature') !== 'cli' ? 0 : flags.temperature;
  const request = { prompt: flags.prompt, temperature, ...samplingOf(flags) };
  const seeds = Array.from({ length: flags.count }, (_, i) => flags.seed + i);
  const stream = flags.count === 1 && !flags.json;
  if (stream) printText(flags.prompt);
  // samples printed at the end: show the wait
  const bar = stream ? null : generationProgressBar(flags.count * flags.length);
  const generations = generateBatch(
    loaded,
    seeds.map((seed) => ({ ...request, seed, initialState })),
    {
      length: flags.length,
      engine,
      onToken: stream ? (event) => printText(event.text) : () => bar!.tick(),
    },
  );
  bar?.stop();
  if (stream) process.stdout.write('\n');
  else if (flags.json) {
    const samples = generations.map((g, i) => ({
      seed: seeds[i],
      text: g.text,
      logLikelihood: g.logLikelihood,
      entropy: g.entropy,
      ...alignmentOf(loaded, flags.source, g),
    }));
    printJson({
      ...request,
      conditions,
      length: flags.length,
      seed: flags.seed,
      backend,
      engine,
      text: samples[0].text,
      samples,
    });
  } else printText(generations.map((g, i) => `--- seed ${seeds[i]}\n${g.text}\n`).join('\n'));
}

/** Sampling flags that mean nothing to beam search, which always takes the most probable tokens. */
const SAMPLING_ONLY = {
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  repetitionPenalty: '--repetition-penalty',
  seed: '--seed',
};

async function beamCommand(flags: GenerateFlags & { beam: number }, command: Command): Promise<void> {
  const given = Object.entries(SAMPLING_ONLY)
    .filter(([key]) => command.getOptionValueSource(key) === 'cli')
    .map(([, name]) => name);
  if (given.length > 0)
    throw new Error(
      '--beam searches for the most probable text, with no randomness; ' +
        `drop ${given.join(', ')} (or drop --beam to sample).`,
    );
  if (flags.count > flags.beam)
    throw new Error(
      `--count ${flags.count} asks for more hypotheses than --beam ${flags.beam} keeps; use --count ≤ ${flags.beam}.`,
    );
  const { backend, loaded, engine, initialState, conditions } = await loadForSampling(flags, [flags.prompt], log);
  const hypotheses = beamSearch(loaded, {
    prompt: flags.prompt,
    beam: flags.beam,
    length: flags.length,
    lengthPenalty: flags.lengthPenalty,
    count: flags.count,
    engine,
    initialState,
  });
  if (flags.json) {
    const rows = hypotheses.map((h) => ({
      text: h.text,
      score: h.score,
      totalLogProb: h.totalLogProb,
      logLikelihood: h.logLikelihood,
      entropy: h.entropy,
      endedAtEos: h.endedAtEos,
      ...alignmentOf(loaded, flags.source, h),
    }));
    printJson({
      prompt: flags.prompt,
      conditions,
      beam: flags.beam,
      lengthPenalty: flags.lengthPenalty,
      length: flags.length,
      backend,
      engine,
      text: rows[0].text,
      hypotheses: rows,
    });
  } else if (hypotheses.length === 1) printText(`${hypotheses[0].text}\n`);
  else
    printText(hypotheses.map((h, i) => `--- hypothesis ${i + 1}, score ${h.score.toFixed(3)}\n${h.text}\n`).join('\n'));
}

/** Adds `generate` to the CLI: sampling, or beam search with `--beam`. */
export function addGenerateCommand(program: Command): void {
  const generate = program
    .command('generate')
    .description('generate text from a trained model directory')
    .option('--prompt <text>', 'text to continue', '')
    .option(
      '--prompt-file <path>',
      'continue the text of this file (UTF-8, up to 1 MB; - reads standard input; instead of --prompt)',
    )
    .option(
      '--temperature <t>',
      '0 = greedy; higher = more random',
      decimal((n) => n >= 0 && n <= 100, 'between 0 and 100'),
      1,
    )
    .option(
      '--count <n>',
      'number of samples, generated together in one batch (with --beam: the n best hypotheses)',
      integer(1),
      1,
    )
    .option(
      '--beam <k>',
      'beam search with k hypotheses instead of sampling: deterministic, the most probable text (1 = greedy)',
      integer(1, 1000),
    )
    .option(
      '--length-penalty <alpha>',
      "with --beam: rank by log P / ((5 + n) / 6)^alpha (GNMT's; 0 = plain log P)",
      decimal((n) => n >= 0 && n <= 10, 'between 0 and 10'),
      0.6,
    );
  addSamplingOptions(generate, 'sampling seed (with --count, sample i uses seed + i)');
  addRunOptions(generate, 'print a JSON document on stdout').action(async (flags: GenerateFlags, command: Command) => {
    if (flags.promptFile !== undefined && command.getOptionValueSource('prompt') === 'cli')
      throw new Error('Give the prompt with --prompt or with --prompt-file, not both.');
    const prompted =
      flags.promptFile === undefined ? flags : { ...flags, prompt: await readPromptFile(flags.promptFile, log) };
    return prompted.beam === undefined
      ? generateCommand(prompted, command)
      : beamCommand({ ...prompted, beam: prompted.beam }, command);
  });
}

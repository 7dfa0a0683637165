import type { Command } from 'commander';
import { initBackend } from '../backend';
import { selectEngine } from '../engines';
import { loadArtifact } from '../io';
import { evaluateTranslations } from '../sample';
import { evaluationPairs } from '../session';
import { addRunOptions, type CommonFlags, decimal, integer } from './options';
import { log, printJson, printText } from './output';

/** Flags of `gennet evaluate`. */
interface EvaluateFlags extends CommonFlags {
  model: string;
  corpus?: string;
  beam: number;
  lengthPenalty: number;
  length: number;
  limit?: number;
}

async function evaluateCommand(flags: EvaluateFlags, command: Command): Promise<void> {
  if (command.getOptionValueSource('lengthPenalty') === 'cli' && flags.beam === 1)
    throw new Error('--length-penalty ranks beam-search hypotheses; add --beam K, or drop it.');
  const backend = await initBackend(flags.backend);
  const loaded = await loadArtifact(flags.model);
  const pairs = (await evaluationPairs(loaded, flags.corpus, log)).slice(0, flags.limit);
  const engine = selectEngine(flags.engine, loaded.network).name;
  log(`decoding ${pairs.length} sources (${flags.beam === 1 ? 'greedy' : `beam ${flags.beam}`}), engine ${engine}`);
  const scores = evaluateTranslations(loaded, loaded.source!, pairs, {
    beam: flags.beam,
    lengthPenalty: flags.lengthPenalty,
    length: flags.length,
    engine,
  });
  if (scores.skipped > 0)
    log(
      `evaluate: left out ${scores.skipped} pairs whose source is longer than the model reads ` +
        `(${loaded.source!.config.maxLen} tokens)`,
    );
  if (flags.json) return void printJson({ ...scores, beam: flags.beam, backend, engine });
  const shown = scores.results.filter((r) => !r.exact).slice(0, 10);
  printText(
    `exact match ${(100 * scores.exactMatch).toFixed(1)}% of ${scores.pairs} pairs, token error rate ` +
      `${(100 * scores.tokenErrorRate).toFixed(1)}%\n` +
      (shown.length === 0
        ? ''
        : 'some misses (source → output / ' +
          `target):\n${shown.map((r) => `  ${r.source} → ${r.output} / ${r.target}`).join('\n')}\n`),
  );
}

/** Adds `evaluate` to the CLI: a sequence-to-sequence model's scores. */
export function addEvaluateCommand(program: Command): void {
  const evaluate = program
    .command('evaluate')
    .description(
      'score a sequence-to-sequence model: exact-match accuracy ' +
        'and token error rate on its validation pairs or a corpus',
    )
    .requiredOption('--model <dir>', 'model directory written by `gennet train --task seq2seq`')
    .option(
      '--corpus <name|path>',
      "pairs to score, read with the model's source and target columns (default: the validation pairs of its run)",
    )
    .option('--beam <k>', 'decode with beam search of k hypotheses (1 = greedy)', integer(1, 1000), 1)
    .option(
      '--length-penalty <alpha>',
      'with --beam: the length normalisation α',
      decimal((n) => n >= 0 && n <= 10, 'between 0 and 10'),
      0.6,
    )
    .option('--length <n>', 'target tokens at most per source', integer(1), 100)
    .option('--limit <n>', 'score only the first n pairs', integer(1));
  addRunOptions(
    evaluate,
    'print {pairs, exactMatch, tokenErrorRate, results: [{source, target, output, exact, edits}]} as JSON',
  ).action(evaluateCommand);
}

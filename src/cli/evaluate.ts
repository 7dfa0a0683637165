import type { Command } from 'commander';
import { initBackend } from '../backend';
import { selectEngine } from '../engines';
import { loadArtifact } from '../io';
import { withoutStress } from '../corpus';
import { evaluateTranslations, type TranslationScores } from '../sample';
import { evaluationPairs } from '../session';
import { addRunOptions, type CommonFlags, decimal, integer, integerList } from './options';
import { log, printJson, printText } from './output';

/** Flags of `gennet evaluate`. */
interface EvaluateFlags extends CommonFlags {
  model: string;
  corpus?: string;
  /** Beam widths, each decoded and scored (1 = greedy). */
  beam: number[];
  lengthPenalty: number;
  length: number;
  limit?: number;
  /** Compare phonemes without their stress digits. */
  ignoreStress: boolean;
  /** A column of other right targets of each pair. */
  references?: string;
}

const decodingName = (beam: number) => (beam === 1 ? 'greedy' : `beam ${beam}`);

/** One decoding's scores in a line: word and token error rates, exact match. */
function scoreLine(beam: number, scores: TranslationScores): string {
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  return (
    `${decodingName(beam)}: word error rate ${percent(scores.wordErrorRate)} (exact match ` +
    `${percent(scores.exactMatch)} of ${scores.pairs} pairs), token error rate ${percent(scores.tokenErrorRate)}`
  );
}

async function evaluateCommand(flags: EvaluateFlags, command: Command): Promise<void> {
  if (command.getOptionValueSource('lengthPenalty') === 'cli' && flags.beam.every((beam) => beam === 1))
    throw new Error('--length-penalty ranks beam-search hypotheses; add --beam K, or drop it.');
  const backend = await initBackend(flags.backend);
  const loaded = await loadArtifact(flags.model);
  const from = { corpus: flags.corpus, referencesColumn: flags.references };
  const pairs = (await evaluationPairs(loaded, from, log)).slice(0, flags.limit);
  const engine = selectEngine(flags.engine, loaded.network).name;
  const decodings = flags.beam.map((beam) => {
    log(
      `decoding ${pairs.length} sources (${decodingName(beam)}), engine ${engine}` +
        (flags.ignoreStress ? ', phonemes compared without stress' : '') +
        (flags.references === undefined ? '' : `, any target of column ${flags.references} counts`),
    );
    const scores = evaluateTranslations(loaded, loaded.source!, pairs, {
      beam,
      lengthPenalty: flags.lengthPenalty,
      length: flags.length,
      engine,
      ...(flags.ignoreStress && { tokenKey: withoutStress }),
    });
    return { beam, scores };
  });
  const { skipped } = decodings[0].scores;
  if (skipped > 0)
    log(
      `evaluate: left out ${skipped} pairs whose source is longer than the model reads ` +
        `(${loaded.source!.config.maxLen} tokens)`,
    );
  if (flags.json) {
    const documents = decodings.map(({ beam, scores }) => ({
      ...scores,
      beam,
      backend,
      engine,
      ...(flags.ignoreStress && { ignoreStress: true }),
      ...(flags.references !== undefined && { referencesColumn: flags.references }),
    }));
    return void printJson(documents.length === 1 ? documents[0] : documents);
  }
  const shown = decodings
    .at(-1)!
    .scores.results.filter((r) => !r.exact)
    .slice(0, 10);
  printText(
    decodings.map(({ beam, scores }) => `${scoreLine(beam, scores)}\n`).join('') +
      (shown.length === 0
        ? ''
        : `some misses of ${decodingName(decodings.at(-1)!.beam)} (source → output / ` +
          `closest target):\n${shown.map((r) => `  ${r.source} → ${r.output} / ${r.reference}`).join('\n')}\n`),
  );
}

/** Adds `evaluate` to the CLI: a sequence-to-sequence model's scores. */
export function addEvaluateCommand(program: Command): void {
  const evaluate = program
    .command('evaluate')
    .description(
      'score a sequence-to-sequence model: word error rate (exact match) ' +
        'and token error rate on its validation pairs or a corpus, greedy and with beam search',
    )
    .requiredOption('--model <dir>', 'model directory written by `gennet train --task seq2seq`')
    .option(
      '--corpus <name|path>',
      "pairs to score, read with the model's source and target columns (default: the validation pairs of its run)",
    )
    .option(
      '--beam <k[,k…]>',
      'decode with beam search of k hypotheses (1 = greedy); several widths (1,4) are each decoded and scored',
      integerList(1, 1000),
      [1],
    )
    .option(
      '--length-penalty <alpha>',
      'with --beam: the length normalisation α',
      decimal((n) => n >= 0 && n <= 10, 'between 0 and 10'),
      0.6,
    )
    .option('--length <n>', 'target tokens at most per source', integer(1), 100)
    .option('--limit <n>', 'score only the first n pairs', integer(1))
    .option(
      '--ignore-stress',
      "compare phonemes without CMUdict's stress digits (AH0, AH1 → AH), as published CMUdict results are scored",
      false,
    )
    .option(
      '--references <column>',
      "a column of other right targets of each pair, separated by | (cmudict: alternatives, its words' other " +
        'pronunciations): an output equal to any right target is right, and is scored against the closest',
    );
  addRunOptions(
    evaluate,
    'print {beam, pairs, exactMatch, wordErrorRate, tokenErrorRate, results: [{source, target, output, reference, ' +
      'exact, edits}]} ' +
      'as JSON (an array of them for several --beam widths)',
  ).action(evaluateCommand);
}

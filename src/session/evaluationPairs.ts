import { LineDataset, prepareCorpusData } from '../data';
import { loadCorpus } from '../corpus';
import type { LoadedArtifact } from '../io';
import type { Pair } from '../sample';
import type { Log } from './run';

/** Where {@link evaluationPairs} reads the pairs. */
export interface PairSource {
  /** A corpus to score every pair of, instead of the validation pairs of the model's run. */
  corpus?: string;
  /** A column of the corpus with other right targets of each pair, separated by `|` (e.g. cmudict's `alternatives`). */
  referencesColumn?: string;
}

/**
 * The pairs to evaluate a sequence-to-sequence model on: every pair of `from.corpus` (read with the model's source and
 * target columns) or, without one, the validation pairs of the run that trained it (its corpus prepared again with
 * its settings: the same seeded split); each with its other right targets when `from.referencesColumn` names them.
 */
export async function evaluationPairs(
  model: LoadedArtifact,
  from: PairSource = {},
  log: Log = () => {},
): Promise<Pair[]> {
  if (typeof from !== 'object')
    throw new Error(`evaluationPairs takes where to read the pairs as {corpus, referencesColumn}, got ${typeof from}.`);
  const { corpus, referencesColumn } = from;
  const run = model.saved.run;
  if (model.source === null)
    throw new Error('This is not a sequence-to-sequence model; evaluate scores models trained with --task seq2seq.');
  if (run === null || run.data.sourceColumn === null) {
    throw new Error(
      'The model does not record the run that trained it (or its source column), so its columns are unknown; ' +
        'train it with gennet train --task seq2seq.',
    );
  }
  if (corpus !== undefined) {
    const loaded = await loadCorpus(corpus, {
      column: run.data.columns ?? undefined,
      sourceColumn: run.data.sourceColumn,
      referencesColumn,
    });
    log(
      `evaluate: ${loaded.texts.length} pairs of ${loaded.name} ` +
        `(${run.data.sourceColumn} → ${loaded.columns.join('+')})`,
    );
    return loaded.texts.map((target, d) =>
      withReferences({ source: loaded.sources![d], target }, loaded.references, d),
    );
  }
  const prepared = await prepareCorpusData(run.data, undefined, { referencesColumn });
  if (run.corpusSha256 !== null && prepared.corpusSha256 !== run.corpusSha256) {
    throw new Error(
      `The corpus "${run.data.corpus}" changed since the model was trained, so its validation pairs cannot ` +
        'be told apart from its training pairs; ' +
        'give the pairs to score with --corpus FILE.',
    );
  }
  const val = prepared.data.val;
  if (!(val instanceof LineDataset) || val.documents === null) {
    throw new Error(
      'The run that trained this model kept no validation pairs (--val 0); give pairs to evaluate with --corpus FILE.',
    );
  }
  const { texts, sources, references } = prepared.corpus;
  log(`evaluate: the ${val.documents.length} validation pairs of ${prepared.corpus.name}`);
  return val.documents.map((d) => withReferences({ source: sources![d], target: texts[d] }, references, d));
}

/** The pair with document d's other right targets, if the corpus has any for it. */
function withReferences(pair: Pair, references: string[][] | null, d: number): Pair {
  return references === null || references[d].length === 0 ? pair : { ...pair, references: references[d] };
}

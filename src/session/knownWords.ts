import { loadCorpus } from '../corpus';
import type { LoadedArtifact } from '../io';
import { wordSet } from '../sample';
import type { Log } from './run';

/**
 * The words of the corpus a model was trained on (reloaded as its run recorded it), or of `corpus` when given, for
 * the "known words" metric; null with a note through `log` when the model records no corpus or it cannot be loaded
 * any more. A `corpus` that cannot be loaded is an error.
 */
export async function trainingWords(
  artifact: Pick<LoadedArtifact, 'saved'> | { saved: Pick<LoadedArtifact['saved'], 'run'> },
  corpus: string | undefined,
  log: Log,
): Promise<Set<string> | null> {
  if (corpus !== undefined) return wordSet((await loadCorpus(corpus)).texts);
  const data = artifact.saved.run?.data;
  if (data === undefined) {
    log('note: the model does not record its corpus; give one (--corpus) to measure the share of known words.');
    return null;
  }
  try {
    return wordSet(
      (
        await loadCorpus(data.corpus, {
          column: data.columns ?? undefined,
          split: data.split,
          limit: data.limit ?? undefined,
        })
      ).texts,
    );
  } catch (error) {
    log(
      `note: cannot reload the training corpus "${data.corpus}" ` +
        `(${error instanceof Error ? error.message : String(error)}); give one (--corpus) to measure known words.`,
    );
    return null;
  }
}

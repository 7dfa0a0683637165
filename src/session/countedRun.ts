import {
  type DataSettings,
  DEFAULT_DATA_SETTINGS,
  prepareCorpusData,
  type TokenData,
  type TokenDataset,
} from '../data';
import { type CountedFamily, type FamilyModel, familyNamed, type ModelSpec, parseModelSpec } from '../families';
import { checkRunSettings, checkSaveTarget, saveCountedArtifact } from '../io';
import {
  DEFAULT_TRAIN_CONFIG,
  summarizeRun,
  type TrainConfig,
  type TrainResult,
  type TrainSummary,
  validationBatches,
  bitsPerChar,
} from '../train';
import { given, type Log } from './run';

/**
 * What a counted run is given: the corpus and data settings (as for a network), the model's spec, and how it is scored.
 */
export interface CountedRunSettings {
  data: Partial<DataSettings> & { corpus: string };
  /** A spec of a counted family (`ngram:5`). */
  spec: string | ModelSpec;
  /**
   * Rows per batch when counting and scoring (the counts do not depend on it; with `valMaxTokens`, which batches are
   * scored does).
   */
  batchSize?: number;
  /** Validation scores about this many tokens, spread over the split, as for networks (null: all). */
  valMaxTokens?: number | null;
}

/**
 * Counts a model of a counted family (an n-gram model) on a corpus — the same prepared examples and split a network
 * of these data settings trains on — scores it like one (training and validation loss, bits per character) and saves
 * it in `out` with its run and summary (`params`: the stored counts). Seconds, not minutes.
 */
export async function trainCountedRun(
  settings: CountedRunSettings,
  out: string,
  log: Log = () => {},
): Promise<{ model: FamilyModel; summary: TrainSummary }> {
  const spec = typeof settings.spec === 'string' ? parseModelSpec(settings.spec) : settings.spec;
  const family = countedFamily(spec);
  const dataSettings: DataSettings = {
    ...DEFAULT_DATA_SETTINGS,
    ...given(settings.data),
    corpus: settings.data.corpus,
  };
  const training: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    engine: family.name,
    threads: 1,
    epochs: 1,
    seed: dataSettings.seed,
    batchSize: settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
    valMaxTokens: valMaxTokensOf(settings.valMaxTokens),
  };
  checkRunSettings(dataSettings, training);
  await checkSaveTarget(out);
  const prepared = await prepareCorpusData(dataSettings, log);
  const { data } = prepared;
  const { model, params, seconds, trainLoss, valLoss } = fitCounted(
    spec,
    data,
    training.batchSize,
    training.valMaxTokens,
  );
  const valBitsPerChar = valLoss === null ? null : bitsPerChar(valLoss, data);
  const history = {
    batches: [],
    evaluations: [],
    epochs: [{ epoch: 1, step: 1, trainLoss, valLoss, valBitsPerChar, seconds }],
  };
  const result: TrainResult = {
    engine: family.name,
    history,
    steps: 1,
    stopReason: 'epochs',
    bestStep: valLoss === null ? null : 1,
    charsPerSecond: (data.train.tokens * data.charsPerToken) / seconds,
    trainLoss,
    valLoss,
    valBitsPerChar,
    seconds,
    interrupted: null,
  };
  const summary = summarizeRun(result, data, { backend: 'none', threads: 1, params, out });
  const run = {
    data: prepared.settings,
    training: { ...training, charsPerToken: data.charsPerToken },
    history,
    summary,
    corpusSha256: prepared.corpusSha256,
  };
  await saveCountedArtifact(out, model, { run });
  return { model, summary };
}

/** A validation cap as given (null: all tokens), or the training default when not given. */
export function valMaxTokensOf(given: number | null | undefined): number | null {
  return given === undefined ? DEFAULT_TRAIN_CONFIG.valMaxTokens : given;
}

/** The counted family of `spec`; a network's spec is refused. */
export function countedFamily(spec: ModelSpec): CountedFamily {
  const family = familyNamed(spec.family);
  if (family.training !== 'counts')
    throw new Error(`"${spec.label}" is a network, trained by steps; it is not counted.`);
  return family;
}

/**
 * Counts a model of `spec` (a counted family's) on prepared data (in `batchSize` rows, which does not change it) and
 * scores it like a network: training and validation loss over the same batches (`validationBatches`).
 */
export function fitCounted(
  spec: ModelSpec,
  data: TokenData,
  batchSize: number,
  valMaxTokens: number | null,
): { model: FamilyModel; params: number; seconds: number; trainLoss: number; valLoss: number | null } {
  const family = countedFamily(spec);
  const started = performance.now();
  const model = family.fit(spec, data, batchSize);
  const seconds = (performance.now() - started) / 1000;
  const score = (dataset: TokenDataset) => family.loss(model, validationBatches(dataset, batchSize, valMaxTokens));
  return {
    model,
    params: family.describe(model).params,
    seconds,
    trainLoss: score(data.train),
    valLoss: data.val === null ? null : score(data.val),
  };
}

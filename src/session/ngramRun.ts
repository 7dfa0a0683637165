import { type DataSettings, DEFAULT_DATA_SETTINGS, prepareCorpusData, type TokenData, type TokenDataset } from '../data';
import { checkRunSettings, checkSaveTarget, saveNgramArtifact } from '../io';
import { type NgramGenerator, NgramModel } from '../model';
import { DEFAULT_TRAIN_CONFIG, summarizeRun, type TrainConfig, type TrainResult, type TrainSummary, validationBatches } from '../train';
import { given, type Log } from './run';

/** What an n-gram run is given: the corpus and data settings (as for a network), the order, and how it is scored. */
export interface NgramRunSettings {
  data: Partial<DataSettings> & { corpus: string };
  order: number;
  /** Rows per batch when counting and scoring (the counts do not depend on it; with `valMaxTokens`, which batches are scored does). */
  batchSize?: number;
  /** Validation scores about this many tokens, spread over the split, as for networks (null: all). */
  valMaxTokens?: number | null;
}

/**
 * Trains an n-gram model on a corpus — the same prepared examples and split a network of these data settings
 * trains on — scores it like one (training and validation loss, bits per character) and saves it in `out` with its
 * run and summary (`params`: the stored counts). Seconds, not minutes.
 */
export async function trainNgramRun(settings: NgramRunSettings, out: string, log: Log = () => {}): Promise<{ model: NgramGenerator; summary: TrainSummary }> {
  const dataSettings: DataSettings = { ...DEFAULT_DATA_SETTINGS, ...given(settings.data), corpus: settings.data.corpus };
  const training: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG, engine: 'ngram', threads: 1, epochs: 1, seed: dataSettings.seed, batchSize: settings.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
    valMaxTokens: valMaxTokensOf(settings.valMaxTokens),
  };
  checkRunSettings(dataSettings, training);
  await checkSaveTarget(out);
  const prepared = await prepareCorpusData(dataSettings, log);
  const { data } = prepared;
  const { ngram, seconds, trainLoss, valLoss } = fitNgram(data, settings.order, training.batchSize, training.valMaxTokens);
  const valBitsPerChar = valLoss === null ? null : bitsPerChar(valLoss, data);
  const history = { batches: [], epochs: [{ epoch: 1, step: 1, trainLoss, valLoss, valBitsPerChar, seconds }] };
  const result: TrainResult = {
    engine: 'ngram', history, steps: 1, charsPerSecond: (data.train.tokens * data.charsPerToken) / seconds, trainLoss, valLoss, valBitsPerChar, seconds, interrupted: null,
  };
  const summary = summarizeRun(result, data, { backend: 'none', threads: 1, params: ngram.params, out });
  const model: NgramGenerator = { ngram, vocab: data.vocab };
  const run = { data: prepared.settings, training: { ...training, charsPerToken: data.charsPerToken }, history, summary, corpusSha256: prepared.corpusSha256 };
  await saveNgramArtifact(out, model, { run });
  return { model, summary };
}

/** Bits per character of text of a loss in nats per token. */
export function bitsPerChar(loss: number, data: Pick<TokenData, 'charsPerToken'>): number {
  return loss / Math.LN2 / data.charsPerToken;
}

/** A validation cap as given (null: all tokens), or the training default when not given. */
export function valMaxTokensOf(given: number | null | undefined): number | null {
  return given === undefined ? DEFAULT_TRAIN_CONFIG.valMaxTokens : given;
}

/**
 * Counts an n-gram model of `order` on prepared data (in `batchSize` rows, which does not change the counts) and
 * scores it like a network: training and validation loss over the same batches (`validationBatches`).
 */
export function fitNgram(data: TokenData, order: number, batchSize: number, valMaxTokens: number | null): { ngram: NgramModel; seconds: number; trainLoss: number; valLoss: number | null } {
  const started = performance.now();
  const ngram = NgramModel.fromBatches(data.train.batches(batchSize, null, { dropRemainder: false }), order, data.vocab.size);
  const seconds = (performance.now() - started) / 1000;
  const score = (dataset: TokenDataset) => ngram.loss(validationBatches(dataset, batchSize, valMaxTokens));
  return { ngram, seconds, trainLoss: score(data.train), valLoss: data.val === null ? null : score(data.val) };
}

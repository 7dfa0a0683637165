import * as tf from '@tensorflow/tfjs';
import { type Batch, realTokens, TokenDataset } from '../data';
import { EngineChoice, selectEngine } from '../engines';
import { conditionCount } from '../model';
import { createRng, shuffleInPlace } from '../random';
import { batchEncoderIds, encoderDecoderLoss, type EncoderDecoderRun } from './encoderDecoder';

/**
 * Mean loss per target token (nats) of `model` over a dataset, in inference mode, computed by `engine`: every batch,
 * or with `maxTokens` every k-th batch (k = tokens / maxTokens rounded up), an even sample of the whole split. With
 * `encoded` (its generator is `model`), each row starts from the state its encoder gives its document. An engine with
 * its own threads shares each batch's rows among `threads`.
 */
export function evaluate(
  model: tf.LayersModel,
  dataset: TokenDataset,
  batchSize: number,
  engine: EngineChoice = 'auto',
  maxTokens: number | null = null,
  encoded?: EncoderDecoderRun,
  threads = 1,
): number {
  const runner = selectEngine(engine, model);
  let total = 0;
  let tokens = 0;
  for (const batch of validationBatches(dataset, batchSize, maxTokens)) {
    const n = realTokens(batch);
    total +=
      (encoded === undefined
        ? runner.loss(model, batch, null, threads)
        : encoderDecoderLoss(runner, encoded, batch, batchEncoderIds(batch, encoded))) * n;
    tokens += n;
  }
  if (tokens === 0)
    throw new Error('The validation split holds no tokens; use a larger corpus or a larger --val fraction.');
  return total / tokens;
}

/**
 * The batches validation scores, in order: every batch, or with `maxTokens` every k-th (k = tokens / maxTokens
 * rounded up), an even sample of the whole split — the same for every model, network or n-gram.
 */
export function* validationBatches(
  dataset: TokenDataset,
  batchSize: number,
  maxTokens: number | null,
): Generator<Batch> {
  const stride = maxTokens === null ? 1 : Math.max(1, Math.ceil(dataset.tokens / maxTokens));
  let index = 0;
  for (const batch of dataset.batches(batchSize, null, { dropRemainder: false })) {
    if (index++ % stride === 0) yield batch;
  }
}

/**
 * A shuffle of the documents' condition ids in which every document gets another document's (a seeded random order
 * read as a cycle: no document keeps its own row); null for fewer than 2 documents.
 */
export function shuffledEncoderInputs(run: EncoderDecoderRun, seed: number): EncoderDecoderRun | null {
  const conditions = conditionCount(run.encoder);
  const documents = run.documentIds.length / conditions;
  if (documents < 2) return null;
  const order = shuffleInPlace(
    Array.from({ length: documents }, (_, d) => d),
    createRng(seed),
  );
  const documentIds = new Int32Array(run.documentIds.length);
  order.forEach((document, k) => {
    const donor = order[(k + 1) % documents];
    documentIds.set(run.documentIds.subarray(donor * conditions, (donor + 1) * conditions), document * conditions);
  });
  return { ...run, documentIds };
}

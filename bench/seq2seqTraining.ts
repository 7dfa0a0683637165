/**
 * Sequence-to-sequence training rows of `npm run bench`: the CMUdict model of issue 29 — a bidirectional LSTM encoder
 * (128 units each way) over 30 source tokens, an LSTM decoder of 256 units with Luong attention over 72 target tokens,
 * embeddings of 64, batch 64 — stepped with AdamW and clipping on the native engine (its whole sequence-to-sequence
 * steps, 1 and 2 threads) and on the fast engine (the encoder's gradients through TensorFlow.js, TensorFlow.js's Adam),
 * against the same model in PyTorch (`bench/torch_seq2seq.py`) at its best thread count. Every row has a source of
 * {@link SOURCE_LENGTH} and a target of {@link TARGET_LENGTH} tokens (about a CMUdict word and its phonemes with
 * their markers), so no side pays for padding; speed is target tokens per second.
 */
import { engineNamed } from '../src/engines';
import { buildGenerator, buildSequenceEncoder, resolveModelConfig, stateLayout } from '../src/model';
import { startUpdater } from '../src/train/updater';
import { medianTokensPerSecond, patternIds, ROW_OPTIMIZER } from './stepTiming';
import { runTorchScript, type TorchThroughput } from './versusTorch';
import { SEED } from './workload';

/** The model and batch of the rows. */
export const SEQ2SEQ = {
  sourceVocab: 30,
  targetVocab: 72,
  embed: 64,
  units: 256,
  batch: 64,
  sourceLength: 8,
  targetLength: 9,
} as const;
const {
  sourceVocab,
  targetVocab,
  embed,
  units,
  batch,
  sourceLength: SOURCE_LENGTH,
  targetLength: TARGET_LENGTH,
} = SEQ2SEQ;
/** The model as the tables name it. */
export const SEQ2SEQ_BENCH_MODEL =
  `lstm:${units} luong, bidirectional encoder, embeddings ${embed}, batch ${batch}, ` +
  `sources ${SOURCE_LENGTH} / targets ${TARGET_LENGTH} tokens`;

/** Our target tokens per second by engine and threads (null: the engine is not available here). */
export interface Seq2SeqTrainingMeasurement {
  native: number | null;
  nativeTwoThreads: number | null;
  fast: number;
}

/** The median time of `steps` training steps after the first (untimed), in target tokens per second. */
async function tokensPerSecond(engineName: 'native' | 'fast', threads: number, steps: number): Promise<number> {
  const config = resolveModelConfig({
    vocabSize: targetVocab,
    cell: 'lstm',
    units,
    layers: 1,
    input: 'embedding',
    embeddingDim: embed,
    seed: SEED,
    attention: 'luong',
    bidirectional: true,
  });
  const generator = buildGenerator(config);
  const encoder = buildSequenceEncoder(
    { vocabSize: sourceVocab, maxLen: SOURCE_LENGTH, embeddingDim: embed, seed: SEED },
    config,
  );
  const documentIds = patternIds(batch, SOURCE_LENGTH, sourceVocab, 1);
  const run = { generator, encoder, layout: stateLayout(config), documentIds };
  const settings = { ...ROW_OPTIMIZER, threads };
  const updater = await startUpdater(generator, engineNamed(engineName), settings, undefined, run);
  const batchAt = (step: number) => ({
    inputs: patternIds(batch, TARGET_LENGTH, targetVocab, step),
    targets: patternIds(batch, TARGET_LENGTH, targetVocab, step + 1),
    mask: null,
    batchSize: batch,
    seqLen: TARGET_LENGTH,
    documents: Int32Array.from({ length: batch }, (_, r) => r),
  });
  try {
    return await medianTokensPerSecond(updater, batchAt, steps, batch * TARGET_LENGTH);
  } finally {
    generator.dispose();
    encoder.dispose();
  }
}

/** Measures our engines on the current backend. */
export async function measureSeq2SeqTraining(quick: boolean): Promise<Seq2SeqTrainingMeasurement> {
  const native = engineNamed('native').unavailableReason() === null;
  const steps = quick ? 3 : 20;
  return {
    native: native ? await tokensPerSecond('native', 1, steps) : null,
    nativeTwoThreads: native ? await tokensPerSecond('native', 2, steps) : null,
    fast: await tokensPerSecond('fast', 1, quick ? 2 : 5),
  };
}

/** Runs the PyTorch model with 1 and 2 threads. */
export function runTorchSeq2Seq(quick: boolean): Promise<TorchThroughput> {
  const args = [
    ...['--source-vocab', sourceVocab, '--target-vocab', targetVocab, '--embed', embed, '--units', units],
    ...['--batch', batch, '--source-length', SOURCE_LENGTH, '--target-length', TARGET_LENGTH],
    ...['--steps', quick ? 3 : 20],
  ];
  return runTorchScript('bench/torch_seq2seq.py', args);
}

/**
 * Language-model training rows of `npm run bench` beyond the lesson's character model: the word-level lab's shape (an
 * embedding of 64 into an LSTM of 256 over a vocabulary of 10,000, 32 tokens, batch 32) and a conditional model (the
 * lesson's model — one-hot characters into an LSTM of 128, 100 tokens, batch 32 — whose initial state a condition
 * encoder gives: one condition of 12 values, vectors of 16), stepped with AdamW and clipping on the native engine (its
 * whole steps, 1 and 2 threads; the conditional one with its condition encoder) and the fast engine (TensorFlow.js's
 * Adam), against the same models in PyTorch (`bench/torch_lm.py`) at their best thread count. Every token is real
 * (no padding); speed is target tokens per second.
 */
import { engineNamed } from '../src/engines';
import { buildConditionEncoder, buildGenerator, resolveModelConfig, stateLayout } from '../src/model';
import { startUpdater } from '../src/train/updater';
import { medianTokensPerSecond, patternIds, ROW_OPTIMIZER } from './stepTiming';
import { runTorchScript, type TorchThroughput } from './versusTorch';
import { SEED, SEQ_LEN, UNITS } from './workload';

/** One row's model and batch; `conditionValues` 0 for a plain language model. */
export interface LmWorkload {
  /** Tokens of the vocabulary (input and output). */
  vocab: number;
  /** Embedding width; 0 for one-hot input. */
  embed: number;
  /** Units of the one LSTM layer. */
  units: number;
  /** Rows per batch. */
  batch: number;
  /** Tokens per row. */
  length: number;
  /** Values of the one condition (0: no condition encoder). */
  conditionValues: number;
  /** Size of each condition value's vector. */
  conditionDim: number;
}

/** The two rows' workloads; the conditional one takes the lesson corpus's vocabulary size. */
export function lmWorkloads(lessonVocab: number): { wordLevel: LmWorkload; conditional: LmWorkload } {
  return {
    wordLevel: { vocab: 10_000, embed: 64, units: 256, batch: 32, length: 32, conditionValues: 0, conditionDim: 0 },
    conditional: {
      vocab: lessonVocab,
      embed: 0,
      units: UNITS,
      batch: 32,
      length: SEQ_LEN,
      conditionValues: 12,
      conditionDim: 16,
    },
  };
}

/** A workload as the tables name it. */
export function lmModelName(w: LmWorkload): string {
  const input = w.embed > 0 ? `embedding ${w.embed}` : 'one-hot';
  const condition = w.conditionValues > 0 ? `, a condition of ${w.conditionValues} values (dim ${w.conditionDim})` : '';
  return `lstm:${w.units}, ${input}, V = ${w.vocab.toLocaleString('en-US')}${condition}, ${w.length} tokens, batch ${w.batch}`;
}

/** Our tokens per second by engine and threads (null: the engine is not available here). */
export interface LmTrainingMeasurement {
  native: number | null;
  nativeTwoThreads: number | null;
  fast: number;
}

/** The median speed of `steps` training steps of `w` after the first (untimed), in tokens per second. */
async function tokensPerSecond(w: LmWorkload, engineName: 'native' | 'fast', threads: number, steps: number) {
  const input = w.embed > 0 ? 'embedding' : 'onehot';
  const config = resolveModelConfig({
    vocabSize: w.vocab,
    cell: 'lstm',
    units: w.units,
    layers: 1,
    input,
    ...(w.embed > 0 ? { embeddingDim: w.embed } : {}),
    seed: SEED,
  });
  const generator = buildGenerator(config);
  const layout = stateLayout(config);
  const values = Array.from({ length: w.conditionValues }, (_, i) => `value ${i}`);
  const encoder =
    w.conditionValues > 0
      ? buildConditionEncoder({ conditions: [{ column: 'c', values }], dim: w.conditionDim, seed: SEED }, layout)
      : null;
  const run =
    encoder === null
      ? undefined
      : {
          generator,
          encoder,
          layout,
          documentIds: Int32Array.from({ length: w.batch }, (_, r) => r % w.conditionValues),
        };
  const settings = { ...ROW_OPTIMIZER, threads };
  const updater = await startUpdater(generator, engineNamed(engineName), settings, undefined, run);
  const batchAt = (step: number) => ({
    inputs: patternIds(w.batch, w.length, w.vocab, step),
    targets: patternIds(w.batch, w.length, w.vocab, step + 1),
    mask: null,
    batchSize: w.batch,
    seqLen: w.length,
    documents: Int32Array.from({ length: w.batch }, (_, r) => r),
  });
  try {
    return await medianTokensPerSecond(updater, batchAt, steps, w.batch * w.length);
  } finally {
    generator.dispose();
    encoder?.dispose();
  }
}

/** Measures our engines on `w` on the current backend. */
export async function measureLmTraining(w: LmWorkload, quick: boolean): Promise<LmTrainingMeasurement> {
  const native = engineNamed('native').unavailableReason() === null;
  const steps = quick ? 3 : 20;
  return {
    native: native ? await tokensPerSecond(w, 'native', 1, steps) : null,
    nativeTwoThreads: native ? await tokensPerSecond(w, 'native', 2, steps) : null,
    fast: await tokensPerSecond(w, 'fast', 1, quick ? 2 : 3),
  };
}

/** Runs the PyTorch model of `w` with 1 and 2 threads. */
export function runTorchLm(w: LmWorkload, quick: boolean): Promise<TorchThroughput> {
  const args = [
    ...['--vocab', w.vocab, '--embed', w.embed, '--units', w.units, '--batch', w.batch, '--length', w.length],
    ...['--condition-values', w.conditionValues, '--condition-dim', w.conditionDim, '--steps', quick ? 3 : 20],
  ];
  return runTorchScript('bench/torch_lm.py', args);
}

/**
 * Our side of the benchmark: training throughput and generation time of this library on one TensorFlow.js backend.
 * Backends are process-global, so {@link runOurBackend} runs this module as a child process per backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend, type BackendName } from '../src/backend';
import { buildGenerator, resolveModelConfig, type CellType, type ModelConfig, type GeneratorModel } from '../src/model';
import { generate, generateBatch, type GenerationRequest } from '../src/sample';
import type { CharData } from '../src/data';
import { engineNamed, type EngineChoice } from '../src/engines';
import { nativeAddon, type NativeStepProfile } from '../src/engines/native/addon';
import { DEFAULT_TRAIN_CONFIG, train, type TrainCallback } from '../src/train';
import type { Vocabulary } from '../src/vocab';
import { forkJson, progress } from './children';
import { type GptCacheMeasurement, measureGptCache } from './gptCache';
import { type GptTrainingMeasurement, measureGptTraining } from './gptTraining';
import { type LmTrainingMeasurement, lmWorkloads, measureLmTraining } from './lmTraining';
import { measureSeq2SeqTraining, type Seq2SeqTrainingMeasurement } from './seq2seqTraining';
import {
  benchPlan,
  loadWorkload,
  SEED,
  stopRule,
  UNITS,
  type GenerationGrid,
  type StopRule,
  type TrainingVariant,
} from './workload';

/** Steady-state training throughput of one configuration (the first, warm-up step excluded). */
export interface TrainingMeasurement {
  engine: EngineChoice;
  /** Threads computing each step (`TrainConfig.threads`). */
  threads: number;
  cell: CellType;
  batch: number;
  charsPerSecond: number;
  /** Steps timed after the warm-up step, and the wall time they took (callbacks included). */
  timedSteps: number;
  timedSeconds: number;
  /** The native engine: milliseconds per step in each phase of its timed steps. */
  profile?: NativeStepProfile;
}

/** Time to generate the whole grid, as one batch and one sample after the other. */
export interface GenerationMeasurement {
  samples: number;
  /** Characters generated in all (samples × length). */
  chars: number;
  batchedSeconds: number;
  oneAtATimeSeconds: number;
}

/** What one backend measured, or why it could not run. */
export type OurBackendResult =
  | {
      backend: BackendName;
      available: true;
      description: string;
      training: TrainingMeasurement[];
      generation: GenerationMeasurement;
      gptCache: GptCacheMeasurement;
      gptTraining: GptTrainingMeasurement;
      seq2seqTraining: Seq2SeqTrainingMeasurement;
      wordLevelTraining: LmTrainingMeasurement;
      conditionalTraining: LmTrainingMeasurement;
    }
  | { backend: BackendName; available: false; reason: string };

/** Measures `backend` in a child process (see the module comment); `quick` runs the smoke plan. */
export function runOurBackend(backend: BackendName, quick: boolean): Promise<OurBackendResult> {
  return forkJson<OurBackendResult>(__filename, [backend, ...(quick ? ['--quick'] : [])]);
}

/** The lesson's model for a vocabulary and cell: one-hot characters, one recurrent layer of {@link UNITS}. */
function lessonModel(vocabSize: number, cell: CellType): ModelConfig {
  return resolveModelConfig({ vocabSize, cell, units: UNITS, layers: 1, input: 'onehot', seed: SEED });
}

/**
 * Trains a fresh model with Adam for as long as `rule` asks and returns `train`'s steady-state throughput
 * (the first step, which compiles kernels and allocates memory, is never timed).
 */
async function measureTraining(
  data: CharData,
  { engine, threads }: TrainingVariant,
  cell: CellType,
  batch: number,
  rule: StopRule,
): Promise<TrainingMeasurement> {
  const network = buildGenerator(lessonModel(data.vocab.size, cell));
  const measurement: TrainingMeasurement = {
    engine,
    threads,
    cell,
    batch,
    charsPerSecond: 0,
    timedSteps: 0,
    timedSeconds: 0,
  };
  const enough = new AbortController(); // the run has no time limit of its own: stop it once enough steps were timed
  let firstStepEnd = 0;
  const stopWhenTimed: TrainCallback = {
    onBatchEnd(record, trainProgress) {
      const now = performance.now();
      if (record.step === 1) {
        firstStepEnd = now;
        if (engine === 'native') nativeProfile(true);
        return;
      }
      measurement.charsPerSecond = trainProgress.charsPerSecond;
      measurement.timedSteps = record.step - 1;
      measurement.timedSeconds = (now - firstStepEnd) / 1000;
      if (measurement.timedSteps >= rule.minTimedSteps && measurement.timedSeconds >= rule.seconds) enough.abort();
    },
  };
  const config = {
    ...DEFAULT_TRAIN_CONFIG,
    engine,
    threads,
    batchSize: batch,
    epochs: 1000,
    maxSteps: 10_000,
    seed: SEED,
  };
  try {
    const result = await train(network, { train: data.train, val: null }, config, [stopWhenTimed], {
      signal: enough.signal,
    });
    tf.dispose(result.interrupted?.optimizer.map((w) => w.tensor) ?? []);
    if (engine === 'native') measurement.profile = nativeProfile(false);
  } finally {
    network.dispose();
  }
  return measurement;
}

/** The native engine's step profile since the last reset (`reset` starts a new one). */
function nativeProfile(reset: boolean): NativeStepProfile | undefined {
  const loaded = nativeAddon();
  return 'addon' in loaded ? loaded.addon.profile(reset) : undefined;
}

/** Seconds the fastest of `repeats` runs of `work` takes. */
function fastest(repeats: number, work: () => void): number {
  let best = Infinity;
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    work();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

/**
 * Times the lesson's temperature grid with an untrained LSTM (same shapes and work as a trained one): the requests
 * `compareTemperatures` makes, generated as one batch with `generateBatch`, then one at a time with `generate`.
 * `<eos>` does not stop a sample, so every one has exactly `grid.length` characters (checked). Each way counts its
 * fastest of `grid.repeats` runs, as the PyTorch reference does.
 */
function measureGeneration(vocab: Vocabulary, grid: GenerationGrid): GenerationMeasurement {
  const config = lessonModel(vocab.size, 'lstm');
  const trained: GeneratorModel = { network: buildGenerator(config), vocab, config };
  const requests: GenerationRequest[] = grid.prompts.flatMap((prompt, i) =>
    grid.temperatures.map((temperature) => ({ prompt, temperature, seed: SEED + i })),
  );
  // Texts only, as PyTorch's loop gives (no log-likelihood or entropy per sample): what `generate` returns too.
  const run = { length: grid.length, stopAtEos: false, statistics: false };
  const checkLength = (prompt: string, text: string) => {
    const generated = Array.from(text).length - Array.from(prompt).length;
    if (generated !== grid.length)
      throw new Error(`A sample has ${generated} generated characters instead of ${grid.length}.`);
  };
  generateBatch(trained, requests.slice(0, 2), { ...run, length: 5 }); // warm-up: kernels, stateful copy
  const batchedSeconds = fastest(grid.repeats, () => {
    for (const generation of generateBatch(trained, requests, run)) checkLength(generation.prompt, generation.text);
  });
  const oneAtATimeSeconds = fastest(grid.repeats, () => {
    for (const request of requests) checkLength(request.prompt!, generate(trained, { ...request, ...run }));
  });
  trained.network.dispose();
  return { samples: requests.length, chars: requests.length * grid.length, batchedSeconds, oneAtATimeSeconds };
}

/** The child process: measures every configuration of the plan on one backend. */
async function measureBackend(backend: BackendName, quick: boolean): Promise<OurBackendResult> {
  try {
    await initBackend(backend);
  } catch (error) {
    return { backend, available: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const plan = benchPlan(quick);
  const { data } = await loadWorkload();
  const training: TrainingMeasurement[] = [];
  for (const variant of plan.variants) {
    const unavailable = engineNamed(variant.engine).unavailableReason();
    if (unavailable !== null) {
      progress(`  ${backend} ${variant.engine}: not measured (${unavailable})`);
      continue;
    }
    for (const cell of plan.cells) {
      for (const batch of plan.batches) {
        const measurement = await measureTraining(data, variant, cell, batch, stopRule(backend, variant, quick));
        progress(
          `  ${backend} ${variant.engine} ×${variant.threads} ${cell} batch ${batch}: ` +
            `${Math.round(measurement.charsPerSecond)} chars/s (${measurement.timedSteps} timed steps, ` +
            `${measurement.timedSeconds.toFixed(1)} s)`,
        );
        training.push(measurement);
      }
    }
  }
  const generation = measureGeneration(data.vocab, plan.generation);
  progress(
    `  ${backend} generation: batched ${generation.batchedSeconds.toFixed(2)} s, one at a time ` +
      `${generation.oneAtATimeSeconds.toFixed(2)} s`,
  );
  const gptCache = measureGptCache(data.vocab);
  progress(
    `  ${backend} ${gptCache.model} generation: ${Math.round(gptCache.tokensPerSecondAt100)} tokens/s at 100, ` +
      `${Math.round(gptCache.tokensPerSecondAt1000)} at 1,000`,
  );
  const addon = nativeAddon();
  const nativeRunsGpt = 'addon' in addon && typeof addon.addon.gptLossAndGradients === 'function';
  const gptTraining = await measureGptTraining(data.vocab.size, nativeRunsGpt, quick);
  progress(`  ${backend} GPT training: ${JSON.stringify(gptTraining)} chars/s`);
  const seq2seqTraining = await measureSeq2SeqTraining(quick);
  progress(`  ${backend} sequence-to-sequence training: ${JSON.stringify(seq2seqTraining)} tokens/s`);
  const workloads = lmWorkloads(data.vocab.size);
  const wordLevelTraining = await measureLmTraining(workloads.wordLevel, quick);
  progress(`  ${backend} word-level training: ${JSON.stringify(wordLevelTraining)} tokens/s`);
  const conditionalTraining = await measureLmTraining(workloads.conditional, quick);
  progress(`  ${backend} conditional training: ${JSON.stringify(conditionalTraining)} tokens/s`);
  return {
    backend,
    available: true,
    description: describeBackend(),
    training,
    generation,
    gptCache,
    gptTraining,
    seq2seqTraining,
    wordLevelTraining,
    conditionalTraining,
  };
}

if (require.main === module) {
  const [backend, flag] = process.argv.slice(2);
  measureBackend(backend as BackendName, flag === '--quick').then(
    (result) => process.send!(result, () => process.disconnect()),
    (error: unknown) => {
      progress(`${backend}: ${error instanceof Error ? error.stack : String(error)}`);
      process.exitCode = 1;
      process.disconnect();
    },
  );
}

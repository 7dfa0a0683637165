import * as tf from '@tensorflow/tfjs';
import { Presets, SingleBar } from 'cli-progress';
import { saveArtifact, SavedRun, SaveOptions } from '../io';
import type { NetworkModel } from '../families';
import { LiveFigure, lossFigure, LossFigureOptions } from '../plot';
import { generate, GenerateOptions } from '../sample';
import type { EpochRecord, TrainCallback } from '../train';
import { quoted } from '../messages';

/**
 * A terminal progress bar (on stderr) for generating `total` tokens: `tick` counts one, `stop` ends the bar. Shown
 * only on a terminal; for a long batch of samples that is printed at the end.
 */
export function generationProgressBar(
  total: number,
  stream: NodeJS.WritableStream = process.stderr,
): { tick(): void; stop(): void } {
  const bar = new SingleBar(
    { format: 'generate |{bar}| {value}/{total} tokens | ETA {eta_formatted}', stream, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

/** A terminal progress bar (on stderr by default) with step, epoch, loss and characters per second. */
export function progressBar(stream: NodeJS.WritableStream = process.stderr): TrainCallback {
  const bar = new SingleBar(
    {
      format:
        'train |{bar}| {value}/{total} steps | epoch {epoch} | loss {loss} | {rate} chars/s | ETA {eta_formatted}',
      stream,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    onBatchEnd(record, progress) {
      if (!started) bar.start(progress.totalSteps, 0, { epoch: 1, loss: '-', rate: '-' });
      started = true;
      const rate = progress.charsPerSecond > 0 ? Math.round(progress.charsPerSecond) : '-';
      bar.update(record.step, { epoch: record.epoch, loss: record.loss.toFixed(3), rate });
    },
    onTrainEnd() {
      if (started) bar.stop();
    },
  };
}

/** One line that sums up an epoch, e.g. `epoch 2: train loss 1.923, val loss 1.871 (2.70 bits/char), 41.2 s`. */
export function formatEpoch(record: EpochRecord): string {
  const val =
    record.valLoss === null
      ? ''
      : `, val loss ${record.valLoss.toFixed(3)} (${record.valBitsPerChar!.toFixed(2)} bits/char)`;
  return `epoch ${record.epoch}: train loss ${record.trainLoss.toFixed(3)}${val}, ${record.seconds.toFixed(1)} s`;
}

/**
 * Where the samples of a conditional or sequence-to-sequence model start: a label for the log, and the state (read at
 * each epoch end, as the encoder learns).
 */
export interface SampleStart {
  /** E.g. `party=Whig`, or `source "hello"`. */
  label: string;
  state(): Float32Array;
}

/**
 * The lesson's habit: at the end of each epoch, print the epoch's losses and a text sampled from the model,
 * to watch it learn words, then spacing, then style. A conditional or sequence-to-sequence model samples from the
 * state `from` gives at that epoch.
 */
export function sampleEachEpoch(
  trained: NetworkModel,
  options: GenerateOptions & { log?: (line: string) => void; from?: SampleStart } = {},
): TrainCallback {
  const { log = console.log, from, ...generation } = options;
  return {
    onEpochEnd(record) {
      log(formatEpoch(record));
      const sample = generate(trained, { length: 100, ...generation, initialState: from?.state() });
      log(`  sample${from === undefined ? '' : ` (${from.label})`}: ${quoted(sample)}`);
    },
  };
}

/**
 * Saves the model to `dir` at every epoch end (atomically: the directory always holds the last complete epoch)
 * with the run's settings and history (`run`, when given), a conditional or sequence-to-sequence model's encoder and
 * its run state, so that a run killed outright (power cut, SIGKILL) can still continue from its last epoch
 * with `--resume`.
 */
export function checkpointEachEpoch(
  dir: string,
  model: NetworkModel,
  run?: Omit<SavedRun, 'history' | 'summary'>,
  encoders: Pick<SaveOptions, 'conditions' | 'source'> = {},
): TrainCallback {
  return {
    async onEpochEnd(_record, progress) {
      const state = await progress.captureState();
      try {
        await saveArtifact(dir, model, {
          run: run && { ...run, history: progress.history, summary: null },
          runState: state,
          ...encoders,
        });
      } finally {
        tf.dispose(state.optimizer.map((w) => w.tensor));
      }
    },
  };
}

/**
 * Redraws the loss curve in a live notebook figure every `everySteps` batches and at each epoch end; `figure` sets
 * its title and unit (e.g. `{ unit: 'word' }`).
 */
export function liveLossPlot(live: LiveFigure, everySteps = 10, figure: LossFigureOptions = {}): TrainCallback {
  return {
    async onBatchEnd(record, progress) {
      if (record.step % everySteps === 0) await live.update(lossFigure(progress.history, figure));
    },
    async onEpochEnd(_record, progress) {
      await live.update(lossFigure(progress.history, figure));
    },
  };
}

import { Presets, SingleBar } from 'cli-progress';
import { saveArtifact, SavedRun, SaveOptions } from '../io';
import type { NetworkModel } from '../families';
import type { RowStart } from '../model';
import { LiveFigure, lossFigure, LossFigureOptions } from '../plot';
import { generate, GenerateOptions } from '../sample';
import {
  disposeRunState,
  type EpochRecord,
  type EvaluationRecord,
  type TrainCallback,
  type TrainProgress,
} from '../train';
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
      // A run that ends on time (or patience) has no step count: its total is estimated as it goes.
      const { totalSteps, fractionDone } = progress;
      const total = totalSteps ?? Math.max(record.step + 1, Math.round(record.step / (fractionDone ?? 0.5)));
      if (!started) bar.start(total, 0, { epoch: 1, loss: '-', rate: '-' });
      else if (totalSteps === null) bar.setTotal(total);
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
 * One line that sums up a validation, e.g.
 * `step 1200 (epoch 2): val loss 1.402 (2.02 bits/char, best), train loss 1.388, lr 0.00171, 95.0 s`.
 */
export function formatEvaluation(record: EvaluationRecord): string {
  return (
    `step ${record.step} (epoch ${record.epoch}): val loss ${record.valLoss.toFixed(3)} ` +
    `(${record.valBitsPerChar.toFixed(2)} bits/char${record.best ? ', best' : ''}), ` +
    `train loss ${record.trainLoss.toFixed(3)}, lr ${record.learningRate.toPrecision(3)}, ` +
    `${record.seconds.toFixed(1)} s`
  );
}

/** A line on `log` for each validation (see {@link formatEvaluation}): where the loss stands and which is the best. */
export function logEachValidation(log: (line: string) => void = console.log): TrainCallback {
  return { onEvaluation: (record) => log(formatEvaluation(record)) };
}

/**
 * Where the samples of a conditional or sequence-to-sequence model start: a label for the log, and the state (read at
 * each epoch end, as the encoder learns).
 */
export interface SampleStart {
  /** E.g. `party=Whig`, or `source "hello"`. */
  label: string;
  /** The state (with a decoder with attention: the source's memory and state). */
  state(): RowStart;
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
 * Saves the model to `dir` at every validation within an epoch and at every epoch end (atomically: the directory
 * always holds a complete save) with the run's settings and history (`run`, when given), a conditional or
 * sequence-to-sequence model's encoder and its run state, so that a run killed outright (power cut, SIGKILL) can still
 * continue from there with `--resume`. The saved model is the best validation's; when training went on past it, the
 * run state keeps the latest weights to go on from.
 */
export function checkpointEachValidation(
  dir: string,
  model: NetworkModel,
  run?: Omit<SavedRun, 'history' | 'summary'>,
  encoders: Pick<SaveOptions, 'conditions' | 'source'> = {},
): TrainCallback {
  const save = async (progress: TrainProgress) => {
    const state = await progress.captureState();
    try {
      await progress.withBestWeights(() =>
        saveArtifact(dir, model, {
          run: run && { ...run, history: progress.history, summary: null },
          runState: state,
          ...encoders,
        }),
      );
    } finally {
      disposeRunState(state);
    }
  };
  return {
    async onEvaluation(_record, progress) {
      if (progress.batchInEpoch < progress.batchesPerEpoch) await save(progress); // an epoch's end saves after it
    },
    onEpochEnd: (_record, progress) => save(progress),
  };
}

/**
 * Redraws the loss curve in a live notebook figure every `everySteps` batches, at each validation and epoch end;
 * `figure` sets its title and unit (e.g. `{ unit: 'word' }`).
 */
export function liveLossPlot(live: LiveFigure, everySteps = 10, figure: LossFigureOptions = {}): TrainCallback {
  return {
    async onBatchEnd(record, progress) {
      if (record.step % everySteps === 0) await live.update(lossFigure(progress.history, figure));
    },
    async onEvaluation(_record, progress) {
      await live.update(lossFigure(progress.history, figure));
    },
    async onEpochEnd(_record, progress) {
      await live.update(lossFigure(progress.history, figure));
    },
  };
}

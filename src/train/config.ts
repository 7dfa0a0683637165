// The settings of a training run, their defaults, and the checks that refuse a run that cannot do what it says.
import type { EngineChoice } from '../engines';
import { LR_SCHEDULES, type LrSchedule } from './schedule';

/** Settings of the training loop. */
export interface TrainConfig {
  /** Engine that computes the loss and gradients (see `ENGINES`), or `auto`: the fastest that can run the network. */
  engine: EngineChoice;
  /**
   * Threads that compute each step's gradients: 1 = this thread only; n > 1 adds n − 1 worker threads, each taking
   * an equal share of the batch's rows (see `GradientWorkers`). Same losses up to float rounding.
   */
  threads: number;
  /** Passes over the training split; null: no limit (the run stops on `patience`, `maxSteps` or `minutes`). */
  epochs: number | null;
  batchSize: number;
  /** Adam's learning rate at its peak: after the warmup, where the schedule starts (see `lrSchedule`). */
  learningRate: number;
  /** How the learning rate moves: `constant`, `cosine` (down to `minLr` by the run's end), `plateau` (cut on them). */
  lrSchedule: LrSchedule;
  /** Steps over which the learning rate climbs linearly to `learningRate` (0: none). */
  warmup: number;
  /** The learning rate `cosine` ends at and `plateau` stops cutting at. */
  minLr: number;
  /** Decoupled weight decay (AdamW) of the weight matrices; 0: plain Adam. */
  weightDecay: number;
  /** Maximum global gradient norm; null disables clipping. */
  clipNorm: number | null;
  /**
   * Label smoothing ε of the training loss: cross-entropy against (1 − ε)·one-hot + ε/V (0: none). Validation, the
   * best model's choice and every reported validation loss score the plain cross-entropy.
   */
  labelSmoothing: number;
  /** Seed of the batch order (weights take theirs from the model config). */
  seed: number;
  /** Stop after this many steps in total (quick runs); null trains every epoch to the end. */
  maxSteps: number | null;
  /** Validate every this many steps as well as at each epoch's end; null: at epoch ends only. */
  evalEvery: number | null;
  /** Stop after this many validations in a row without a new best; null: never stop early. */
  patience: number | null;
  /** A wall-clock budget: after this many minutes, a last validation and the end; null: none. */
  minutes: number | null;
  /** Characters of text per token (1 for characters), to report validation bits per character. */
  charsPerToken: number;
  /**
   * Validation scores at most about this many target tokens, in batches spread evenly over the split, so that a huge
   * corpus's validation takes seconds, not minutes; null scores the whole split.
   */
  valMaxTokens: number | null;
}

/** Defaults close to the lesson: 3 epochs, batch 32, Adam at 0.002, gradients clipped at norm 5. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  engine: 'auto',
  threads: 1,
  epochs: 3,
  batchSize: 32,
  learningRate: 0.002,
  lrSchedule: 'constant',
  warmup: 0,
  minLr: 0,
  weightDecay: 0,
  clipNorm: 5,
  labelSmoothing: 0,
  seed: 42,
  maxSteps: null,
  evalEvery: null,
  patience: null,
  minutes: null,
  charsPerToken: 1,
  valMaxTokens: 1_000_000,
};

/** Settings a run saved before they existed lacks, with the values that reproduce it. */
export const TRAIN_CONFIG_ADDED_LATER: Partial<TrainConfig> = {
  valMaxTokens: null,
  lrSchedule: 'constant',
  warmup: 0,
  minLr: 0,
  weightDecay: 0,
  labelSmoothing: 0,
  evalEvery: null,
  patience: null,
  minutes: null,
};

/** The steps a run takes at most (epochs × batches, capped by `maxSteps`); null when only time or patience end it. */
export function stepLimit(config: TrainConfig, batchesPerEpoch: number): number | null {
  const limits = [config.epochs === null ? null : config.epochs * batchesPerEpoch, config.maxSteps];
  const given = limits.filter((limit): limit is number => limit !== null);
  return given.length === 0 ? null : Math.min(...given);
}

const wholeAtLeast = (value: number | null, least: number) =>
  value === null || (Number.isSafeInteger(value) && value >= least);

/**
 * Refuses settings that contradict each other or cannot run, naming the flag and the fix: a run with no end, a cosine
 * with no horizon, a floor above the peak, a decay that would flip the weights' sign…
 */
export function checkTrainConfig(config: TrainConfig): void {
  const problems: string[] = [];
  if (!wholeAtLeast(config.epochs, 1)) problems.push(`--epochs must be a whole number ≥ 1, got ${config.epochs}`);
  if (!wholeAtLeast(config.maxSteps, 1))
    problems.push(`--max-steps must be a whole number ≥ 1, got ${config.maxSteps}`);
  if (!wholeAtLeast(config.evalEvery, 1))
    problems.push(`--eval-every must be a whole number of steps ≥ 1, got ${config.evalEvery}`);
  if (!wholeAtLeast(config.patience, 1))
    problems.push(`--patience must be a whole number of validations ≥ 1, got ${config.patience}`);
  if (!wholeAtLeast(config.warmup, 0))
    problems.push(`--warmup must be a whole number of steps ≥ 0, got ${config.warmup}`);
  if (config.minutes !== null && !(config.minutes > 0 && Number.isFinite(config.minutes)))
    problems.push(`--minutes must be a number > 0, got ${config.minutes}`);
  if (!(config.learningRate > 0 && Number.isFinite(config.learningRate)))
    problems.push(`--lr must be a number > 0, got ${config.learningRate}`);
  if (!LR_SCHEDULES.includes(config.lrSchedule))
    problems.push(`--lr-schedule must be one of ${LR_SCHEDULES.join(', ')}, got ${String(config.lrSchedule)}`);
  if (!(config.minLr >= 0 && config.minLr <= config.learningRate))
    problems.push(`--min-lr must be between 0 and --lr (${config.learningRate}), got ${config.minLr}`);
  if (!(config.weightDecay >= 0 && config.weightDecay * config.learningRate < 1))
    problems.push(
      `--weight-decay must be ≥ 0 and below 1 / --lr (${1 / config.learningRate}), got ${config.weightDecay}`,
    );
  if (!(config.labelSmoothing >= 0 && config.labelSmoothing < 1))
    problems.push(
      `--label-smoothing must be a number in [0, 1) (0.1 is usual; 0 is none), got ${config.labelSmoothing}`,
    );
  if (config.epochs === null && config.maxSteps === null && config.minutes === null && config.patience === null)
    problems.push('a run without --epochs needs an end: --max-steps, --minutes or --patience');
  if (config.lrSchedule === 'cosine' && config.epochs === null && config.maxSteps === null && config.minutes === null)
    problems.push('--lr-schedule cosine decays over the run: give it a length (--epochs, --max-steps or --minutes)');
  if (problems.length > 0) throw new Error(`Training settings: ${problems.join('; ')}.`);
}

// The options of the training steps that `train` and `compare` share: batch, length, learning rate and its schedule,
// weight decay, label smoothing, validation and early stopping, threads.
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { DEFAULT_TRAIN_CONFIG, LR_SCHEDULES, type LrSchedule, type TrainConfig } from '../train';
import { decimal, integer } from './options';

/** Flags of the training steps (see {@link addStepOptions}); those without a default are chosen by the run. */
export interface StepFlags {
  batch?: number;
  maxSteps?: number;
  lr?: number;
  lrSchedule?: LrSchedule;
  warmup?: number;
  minLr?: number;
  weightDecay?: number;
  labelSmoothing?: number;
  evalEvery?: number;
  patience?: number;
  threads: number;
}

/** Adds the options of the training steps that `train` and `compare` share. */
export function addStepOptions(command: Command): Command {
  const rate = decimal((n) => n >= 0, '≥ 0');
  return command
    .option(
      '--batch <n>',
      `batch size (train: chosen for the run; compare: ${DEFAULT_TRAIN_CONFIG.batchSize})`,
      integer(1),
    )
    .option('--max-steps <n>', 'stop after n steps in total', integer(1))
    .option(
      '--lr <x>',
      "Adam's peak learning rate (train: chosen for the run, on its plan line; compare: 0.002)",
      decimal((n) => n > 0, '> 0'),
    )
    .addOption(
      new Option(
        '--lr-schedule <name>',
        'constant; cosine: down to --min-lr by the end of the run; ' +
          'plateau: halved after 2 validations without a new best',
      ).choices(LR_SCHEDULES),
    )
    .option('--warmup <steps>', 'steps over which the learning rate climbs linearly to --lr', integer(0))
    .option('--min-lr <x>', 'the learning rate cosine ends at and plateau stops halving at', rate)
    .option('--weight-decay <x>', 'decoupled weight decay of the weight matrices (AdamW); 0 = plain Adam', rate)
    .option(
      '--label-smoothing <x>',
      'train against targets (1 − x)·one-hot + x/vocabulary, e.g. 0.1 (validation scores plain cross-entropy; ' +
        'default 0 = none)',
      decimal((n) => n >= 0 && n < 1, 'in [0, 1)'),
    )
    .option(
      '--eval-every <steps>',
      'validate every n steps as well as at each epoch end (0 = at epoch ends)',
      integer(0),
    )
    .option(
      '--patience <n>',
      'stop after n validations in a row without a new best (0 = never; the best model is kept either way)',
      integer(0),
    )
    .option(
      '--threads <n>',
      'threads computing each step (n − 1 worker threads share the batch rows)',
      integer(1, availableParallelism(), ` (this machine's cores; more threads only cost memory)`),
      Math.min(2, availableParallelism()),
    );
}

/** The training settings that step flags give (undefined: not given, the run chooses). */
export function stepSettingsOf(flags: StepFlags): Partial<TrainConfig> {
  return {
    threads: flags.threads,
    batchSize: flags.batch,
    maxSteps: flags.maxSteps,
    learningRate: flags.lr,
    lrSchedule: flags.lrSchedule,
    warmup: flags.warmup,
    minLr: flags.minLr,
    weightDecay: flags.weightDecay,
    labelSmoothing: flags.labelSmoothing,
    evalEvery: flags.evalEvery === 0 ? null : flags.evalEvery,
    patience: flags.patience === 0 ? null : flags.patience,
  };
}

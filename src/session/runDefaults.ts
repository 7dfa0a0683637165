// What a run chooses for what it is not told: its network's size and dropout from the corpus's size, its length,
// learning-rate schedule, weight decay, validations and early stopping. The numbers come from measured runs (see the
// README's "Training to quality").
import type { TokenData } from '../data';
import { DEFAULT_TRAIN_CONFIG, stepLimit, type TrainConfig } from '../train';

/** The time budget of a run told no length (no epochs, steps or minutes). */
export const DEFAULT_MINUTES = 10;

/** The settings chosen for a run told none of them. */
export const CHOSEN_TRAINING = {
  lrSchedule: 'cosine',
  warmup: 100,
  /** The floor of the cosine, as a fraction of the peak (nanoGPT's choice). */
  minLrFraction: 0.1,
  weightDecay: 0.01,
  patience: 5,
  /** A validation every this many times the tokens it scores, trained: it costs a few per cent of the run. */
  trainedPerValidated: 10,
  /** …but not more often than every this many steps. */
  minEvalEvery: 100,
} as const;

/**
 * The network a run builds when told none of its shape — with dropout where the text is small enough to be learnt by
 * heart — and the batch and peak learning rate it trains with when told none: small batches (more, noisier steps)
 * for a small text; a lower rate for a large one (0.02 diverged once in two 10-minute runs on 10 M characters).
 */
export const CHOSEN_NETWORKS: readonly {
  upToChars: number;
  spec: string;
  dropout: number;
  batchSize: number;
  learningRate: number;
}[] = [
  { upToChars: 300_000, spec: 'lstm:2x256', dropout: 0.5, batchSize: 16, learningRate: 0.02 },
  { upToChars: 3_000_000, spec: 'lstm:2x256', dropout: 0.2, batchSize: 32, learningRate: 0.02 },
  { upToChars: Infinity, spec: 'lstm:2x256', dropout: 0.1, batchSize: 32, learningRate: 0.008 },
];

/** The row of {@link CHOSEN_NETWORKS} for `data` (network, batch size, peak rate), by its training characters. */
export function chosenNetwork(data: TokenData): (typeof CHOSEN_NETWORKS)[number] {
  const chars = data.train.tokens * data.charsPerToken;
  return CHOSEN_NETWORKS.find((network) => chars <= network.upToChars)!;
}

/**
 * The training settings of a run: those `given`, the rest chosen for `data` — without a length, a budget of
 * {@link DEFAULT_MINUTES} minutes; a cosine schedule with warmup; AdamW; validations a few per cent of the work apart
 * and early stopping after {@link CHOSEN_TRAINING}.patience of them without a new best (with a validation split).
 */
export function chosenTraining(given: Partial<TrainConfig>, data: TokenData): TrainConfig {
  const chosen = CHOSEN_TRAINING;
  const lengthGiven = [given.epochs, given.maxSteps, given.minutes].some((value) => value != null);
  const tier = chosenNetwork(data);
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    learningRate: tier.learningRate,
    lrSchedule: chosen.lrSchedule,
    warmup: chosen.warmup,
    weightDecay: chosen.weightDecay,
    batchSize: tier.batchSize,
    ...(lengthGiven ? { epochs: null } : { epochs: null, minutes: DEFAULT_MINUTES }),
    ...given,
    charsPerToken: data.charsPerToken,
  };
  if (given.minLr === undefined) config.minLr = Number((config.learningRate * chosen.minLrFraction).toPrecision(6));
  const steps = stepLimit(config, data.train.batchesPerEpoch(config.batchSize));
  if (given.warmup === undefined && steps !== null) config.warmup = Math.min(config.warmup, Math.floor(steps / 10));
  if (data.val !== null) {
    if (given.patience === undefined) config.patience = chosen.patience;
    if (given.evalEvery === undefined) config.evalEvery = validationSpacing(config, data, data.val.tokens);
  }
  return config;
}

/** Steps between validations: about {@link CHOSEN_TRAINING}.trainedPerValidated times the tokens one scores. */
function validationSpacing(config: TrainConfig, data: TokenData, valTokens: number): number | null {
  const batches = data.train.batchesPerEpoch(config.batchSize);
  const tokensPerStep = data.train.tokens / batches;
  const scored = config.valMaxTokens === null ? valTokens : Math.min(valTokens, config.valMaxTokens);
  const every = Math.max(
    CHOSEN_TRAINING.minEvalEvery,
    Math.ceil((CHOSEN_TRAINING.trainedPerValidated * scored) / tokensPerStep),
  );
  return every >= batches ? null : every;
}

/**
 * A run's length, schedule and stopping in words, e.g. `10 minutes; lr 0.003 cosine to 0.0003 after 100 warmup
 * steps; weight decay 0.1; validation every 375 steps, stop after 5 without a new best`.
 */
export function describeTrainingPlan(config: TrainConfig): string {
  const length = [
    config.epochs === null ? null : `${config.epochs} epoch${config.epochs === 1 ? '' : 's'}`,
    config.maxSteps === null ? null : `at most ${config.maxSteps} steps`,
    config.minutes === null ? null : `${config.minutes} minute${config.minutes === 1 ? '' : 's'}`,
  ].filter((part) => part !== null);
  const rate =
    `lr ${config.learningRate}` +
    (config.lrSchedule === 'constant' ? '' : ` ${config.lrSchedule} down to ${config.minLr}`) +
    (config.warmup > 0 ? ` after ${config.warmup} warmup steps` : '');
  const stopping =
    config.evalEvery === null ? 'validation at epoch ends' : `validation every ${config.evalEvery} steps`;
  return [
    length.join(', ') || 'until patience runs out',
    `batch ${config.batchSize}`,
    rate,
    config.weightDecay > 0 ? `weight decay ${config.weightDecay}` : 'no weight decay',
    ...(config.labelSmoothing > 0 ? [`label smoothing ${config.labelSmoothing}`] : []),
    config.patience === null ? stopping : `${stopping}, stop after ${config.patience} without a new best`,
  ].join('; ');
}

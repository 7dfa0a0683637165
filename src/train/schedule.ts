// The learning rate of each step: a linear warmup, then constant, cosine decay to a floor, or cut on plateaus.

/** The learning-rate schedules `--lr-schedule` names. */
export const LR_SCHEDULES = ['constant', 'cosine', 'plateau'] as const;
/** `constant`: the rate after warmup; `cosine`: down to `minLr` along half a cosine; `plateau`: cut on plateaus. */
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** What a schedule is made of (the fields of `TrainConfig` it reads). */
export interface ScheduleSettings {
  lrSchedule: LrSchedule;
  /** The peak rate: reached after the warmup, where `cosine` starts and `plateau` starts cutting. */
  learningRate: number;
  /** Steps of linear warmup: step s (1-based) of them runs at learningRate · s / warmup. 0: none. */
  warmup: number;
  /** The floor `cosine` ends at and `plateau` never cuts below. */
  minLr: number;
}

/** `plateau` multiplies the rate by this factor… */
export const PLATEAU_FACTOR = 0.5;
/** …after this many validations in a row without a new best (as Keras' ReduceLROnPlateau, with its own numbers). */
export const PLATEAU_WAIT = 2;

/** What `plateau` carries from one validation to the next (saved with a run's state, so a resumed run goes on). */
export interface PlateauState {
  /** The rate after the warmup now. */
  learningRate: number;
  /** Validations since the last new best or the last cut. */
  waited: number;
}

/** The plateau state a run starts with. */
export function startPlateau(settings: ScheduleSettings): PlateauState {
  return { learningRate: settings.learningRate, waited: 0 };
}

/**
 * The plateau state after a validation: a new best resets the count; {@link PLATEAU_WAIT} validations without one
 * cut the rate by {@link PLATEAU_FACTOR}, not below `minLr`.
 */
export function afterValidation(settings: ScheduleSettings, state: PlateauState, improved: boolean): PlateauState {
  if (improved) return { ...state, waited: 0 };
  if (state.waited + 1 < PLATEAU_WAIT) return { ...state, waited: state.waited + 1 };
  return { learningRate: Math.max(settings.minLr, state.learningRate * PLATEAU_FACTOR), waited: 0 };
}

/**
 * The learning rate of step `step` (1-based). `progress` is the fraction of the run done after the warmup (0 at its
 * end, 1 at the run's end: of its steps, or of its time budget, whose fraction counts from the start — a warmup is a
 * few per cent of one) — only `cosine` reads it; `plateau` the state's rate.
 *
 *   warmup (step ≤ warmup):  lr · step / warmup
 *   constant:                lr
 *   cosine:                  minLr + (lr − minLr) · (1 + cos(π · progress)) / 2
 *   plateau:                 plateau.learningRate
 */
export function learningRateAt(
  settings: ScheduleSettings,
  step: number,
  progress: number,
  plateau: PlateauState,
): number {
  const { learningRate, warmup, minLr } = settings;
  if (step <= warmup) return (learningRate * step) / warmup;
  if (settings.lrSchedule === 'plateau') return plateau.learningRate;
  if (settings.lrSchedule === 'constant') return learningRate;
  const done = Math.min(1, Math.max(0, progress));
  return minLr + ((learningRate - minLr) * (1 + Math.cos(Math.PI * done))) / 2;
}

/**
 * The fraction of a run done after its warmup at step `step` (1-based): the larger of its steps' fraction (of
 * `totalSteps`, when the run has a step limit) and its time's (of `budgetSeconds`, when it has a time budget).
 */
export function runProgress(
  step: number,
  warmup: number,
  totalSteps: number | null,
  elapsed: { seconds: number; budgetSeconds: number | null },
): number {
  const bySteps = totalSteps === null ? 0 : (step - warmup) / Math.max(1, totalSteps - warmup);
  const byTime = elapsed.budgetSeconds === null ? 0 : elapsed.seconds / elapsed.budgetSeconds;
  return Math.max(bySteps, byTime);
}

/** Loss of one training batch. */
export interface BatchRecord {
  /** Global step, counted from 1. */
  step: number;
  epoch: number;
  /** Mean loss per target token of the batch, in nats. */
  loss: number;
}

/** Summary of one epoch. */
export interface EpochRecord {
  epoch: number;
  /** Global step at which the epoch ended. */
  step: number;
  /** Mean training loss over the epoch's batches, in nats per token. */
  trainLoss: number;
  /** Loss on the validation split in nats per token; null without a validation split. */
  valLoss: number | null;
  /** Validation loss in bits per character of text, comparable across tokenisations. */
  valBitsPerChar: number | null;
  /** Seconds since training started. */
  seconds: number;
}

/** One validation: at an `evalEvery` step, at an epoch's end, or where a run stopped. */
export interface EvaluationRecord {
  /** Global step of the weights scored. */
  step: number;
  epoch: number;
  /** Mean training loss of the batches since the previous validation, nats per token. */
  trainLoss: number;
  /** Loss on the validation split in nats per token. */
  valLoss: number;
  /** Validation loss in bits per character of text. */
  valBitsPerChar: number;
  /** The learning rate of the last step before it. */
  learningRate: number;
  /** True when it is the best validation so far (the weights the model folder keeps). */
  best: boolean;
  /** Seconds since training started. */
  seconds: number;
}

/** Everything the training loop recorded, per batch, per validation and per epoch. */
export interface TrainingHistory {
  batches: BatchRecord[];
  /** Every validation (empty without a validation split, and in histories saved before they were recorded). */
  evaluations: EvaluationRecord[];
  epochs: EpochRecord[];
}

/** A history with nothing in it yet. */
export function emptyHistory(): TrainingHistory {
  return { batches: [], evaluations: [], epochs: [] };
}

/** Bits per character of text of a loss in nats per token (`charsPerToken` characters per token). */
export function bitsPerChar(loss: number, text: { charsPerToken: number }): number {
  return loss / Math.LN2 / text.charsPerToken;
}

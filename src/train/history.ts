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

/** Everything the training loop recorded, per batch and per epoch. */
export interface TrainingHistory {
  batches: BatchRecord[];
  epochs: EpochRecord[];
}

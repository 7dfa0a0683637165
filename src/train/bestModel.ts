// The best validation so far and its weights: what early stopping waits on and what a model folder keeps.
import * as tf from '@tensorflow/tfjs';

/** The best validation of a run so far (saved with its state, so a resumed run compares with it). */
export interface BestSoFar {
  /** Its validation loss, nats per token. */
  valLoss: number;
  /** The step of its weights. */
  step: number;
  /** Validations since it (what `patience` counts). */
  waited: number;
}

/** A copy of `variables`' values (the caller disposes it). */
function copyOf(variables: tf.LayerVariable[]): tf.Tensor[] {
  return variables.map((v) => tf.clone(v.read()));
}

/** Writes `values` into `variables`, in order (same shapes). */
export function writeValues(variables: tf.LayerVariable[], values: tf.Tensor[], where: string): void {
  if (
    values.length !== variables.length ||
    values.some((t, i) => !tf.util.arraysEqual(t.shape, variables[i].shape as number[]))
  )
    throw new Error(
      `${where} holds weights of other shapes than this model's (damaged?): restore the model folder, or start a ` +
        'new run (gennet train --out NEW).',
    );
  variables.forEach((v, i) => v.write(values[i]));
}

/**
 * The weights of a run's best validation, kept beside the latest ones: each validation either makes the latest the
 * best (a copy of them) or counts one more validation without a new best.
 */
export class BestModel {
  private weights: tf.Tensor[] | null = null;

  /**
   * @param variables what training changes: the generator's weights, then its encoder's.
   * @param record the best so far (from a resumed run's state), whose weights are the variables' values now.
   */
  constructor(
    private readonly variables: tf.LayerVariable[],
    public record: BestSoFar | null = null,
  ) {
    if (record !== null) this.weights = copyOf(variables);
  }

  /** Takes a validation of the latest weights at `step`; returns true when it is a new best (strictly lower loss). */
  observe(valLoss: number, step: number): boolean {
    if (this.record !== null && !(valLoss < this.record.valLoss)) {
      this.record = { ...this.record, waited: this.record.waited + 1 };
      return false;
    }
    tf.dispose(this.weights ?? []);
    this.weights = copyOf(this.variables);
    this.record = { valLoss, step, waited: 0 };
    return true;
  }

  /** True when the best weights are not the latest (the run went on past its best at `step`). */
  isBehind(step: number): boolean {
    return this.record !== null && this.record.step !== step;
  }

  /** Runs `task` with the best weights in the variables, then puts the latest back. */
  async withBest<T>(step: number, task: () => Promise<T>): Promise<T> {
    if (!this.isBehind(step)) return task();
    const latest = copyOf(this.variables);
    writeValues(this.variables, this.weights!, 'The best weights');
    try {
      return await task();
    } finally {
      writeValues(this.variables, latest, 'The latest weights');
      tf.dispose(latest);
    }
  }

  /** A copy of the latest weights when they are not the best (a checkpoint keeps them to resume from), else null. */
  latestIfBehind(step: number): tf.Tensor[] | null {
    return this.isBehind(step) ? copyOf(this.variables) : null;
  }

  /** Puts the best weights in the variables for good (the end of a run). */
  restore(): void {
    if (this.weights !== null) writeValues(this.variables, this.weights, 'The best weights');
  }

  /** Releases the best weights' copy. */
  dispose(): void {
    tf.dispose(this.weights ?? []);
    this.weights = null;
  }
}

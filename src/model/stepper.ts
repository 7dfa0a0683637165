import { selectStateRows, stackStates, type StateLayout } from './recurrentState';

/**
 * Where a row's generation starts, before its first token: a recurrent family's initial state (one row, in its
 * `StateLayout`: a condition's or an encoder's final state), the one kind a family takes today; or, for families to
 * come, an encoder memory `[sourceLength, width]` (row-major) to attend to, or a prefix of token ids.
 */
export type Conditioning =
  | { kind: 'state'; state: Float32Array }
  | { kind: 'memory'; memory: Float32Array; length: number; width: number }
  | { kind: 'prefix'; tokens: Int32Array };

/**
 * Runs a model one step at a time for `batchSize` rows, owning its decoder state — a recurrent state, a context
 * window, a cache — so that producing n tokens costs n steps (the prompt is fed once), never a re-run of the growing
 * prefix. Samplers and beam search only start rows, feed tokens and reorder rows; nothing outside the model's family
 * knows the state's shape. It works on a snapshot of the model's weights taken when it is created.
 */
export interface Stepper {
  /** Number of rows (sequences) advanced together. */
  readonly batchSize: number;
  /** Every row back to its start (as if nothing had been fed). */
  reset(): void;
  /**
   * Starts row r from `rows[r]` (null or missing: the plain start, as in training), forgetting what was fed; a
   * conditioning the family cannot take is refused with an error that says so.
   */
  start(rows: readonly (Conditioning | null | undefined)[]): void;
  /**
   * Feeds `steps` ≥ 1 tokens per row (`tokens` is row-major `[batchSize, steps]`) and returns the logits that follow
   * the last of them, row-major `[batchSize, vocabSize]`. A row fed `<pad>` is finished or unused: what follows it is
   * not read.
   */
  feed(tokens: Int32Array, steps: number): Float32Array;
  /**
   * Row r continues as row `rows[r]` was (`batchSize` entries, repeats allowed): beam search keeps, drops and
   * copies hypotheses.
   */
  reorder(rows: ArrayLike<number>): void;
  /** Releases what the stepper holds. */
  dispose(): void;
}

/**
 * A stepper whose decoder state is a vector per row that can be read and written (recurrent networks, n-gram contexts).
 */
export interface VectorStateStepper extends Stepper {
  /** How {@link state} is laid out. */
  readonly layout: StateLayout;
  /** The state the next `feed` starts from (zeros after a reset), laid out as {@link layout} says. */
  state(): Float32Array;
  /** Continues from `state` (`batchSize` rows, the same layout). */
  setState(state: Float32Array): void;
}

/**
 * The `reorder` and `start` of a stepper with a vector state: rows move by copying their state, and a row starts from a
 * `state` conditioning (or zeros). `family` names the model in the refusal of other conditionings.
 */
export abstract class VectorStateStepperBase implements VectorStateStepper {
  abstract readonly batchSize: number;
  abstract readonly layout: StateLayout;
  abstract reset(): void;
  abstract state(): Float32Array;
  abstract setState(state: Float32Array): void;
  abstract feed(tokens: Int32Array, steps: number): Float32Array;
  abstract dispose(): void;

  /** What a refusal of a conditioning calls the model, e.g. "a recurrent network". */
  protected abstract readonly modelName: string;
  /** Whether a row may start from a `state` conditioning (an n-gram context may not: it is the tokens fed). */
  protected readonly takesInitialState: boolean = true;

  start(rows: readonly (Conditioning | null | undefined)[]): void {
    const states = Array.from({ length: this.batchSize }, (_, r) => {
      const given = rows[r];
      if (given == null) return null;
      if (given.kind !== 'state' || !this.takesInitialState)
        throw new Error(`${this.modelName} cannot start from ${conditioningName(given)}.`);
      return given.state;
    });
    if (states.every((state) => state === null)) this.reset();
    else this.setState(stackStates(states, this.layout));
  }

  reorder(rows: ArrayLike<number>): void {
    if (rows.length !== this.batchSize)
      throw new Error(`reorder takes one source row for each of the ${this.batchSize} rows, got ${rows.length}.`);
    for (let r = 0; r < rows.length; r++)
      if (rows[r] !== r) return this.setState(selectStateRows(this.state(), this.layout, rows));
  }
}

/** A conditioning as messages name it. */
export function conditioningName(conditioning: Conditioning): string {
  return { state: 'an initial state', memory: 'an encoder memory', prefix: 'a prefix' }[conditioning.kind];
}

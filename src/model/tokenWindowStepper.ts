import type { StateLayout } from './recurrentState';
import { VectorStateStepperBase } from './stepper';

/**
 * A stepper for models that read a fixed window of the last `width` tokens (n-gram models, Bengio's MLP): its state
 * is each row's window, each token kept as id + 1 (0 for a slot before the row's first token, so that a zero state
 * is a row's start, as for networks). Beam search moves windows between rows like a network's state.
 */
export abstract class TokenWindowStepper extends VectorStateStepperBase {
  readonly layout: StateLayout;
  protected override readonly takesInitialState = false;
  private window: Float32Array;

  constructor(
    readonly batchSize: number,
    readonly width: number,
  ) {
    super();
    this.layout = { parts: 1, units: width };
    this.window = new Float32Array(batchSize * width);
  }

  /**
   * The logits of the next token after each row's window (`[batchSize, width]` ids, oldest first, −1 for a slot
   * before the row's start), row-major `[batchSize, vocabSize]`.
   */
  protected abstract logitsAfter(windows: Int32Array): Float32Array;

  /** Forgets every row's window (back to a row's start). */
  reset(): void {
    this.window.fill(0);
  }

  /** Each row's window (a copy). */
  state(): Float32Array {
    return this.window.slice();
  }

  /** Continues from windows as {@link state} returns them. */
  setState(state: Float32Array): void {
    if (state.length !== this.window.length)
      throw new Error(
        `A window state of ${this.batchSize} rows holds ${this.window.length} values, got ${state.length}.`,
      );
    this.window = state.slice();
  }

  /** Feeds `steps` tokens per row (row-major `[batchSize, steps]`); returns the logits of the next token per row. */
  feed(tokens: Int32Array, steps: number): Float32Array {
    const { width, batchSize } = this;
    if (!(steps >= 1) || tokens.length !== batchSize * steps)
      throw new Error(`Stepper.feed expected ${batchSize}×${steps} tokens (steps ≥ 1), got ${tokens.length}.`);
    const ids = new Int32Array(batchSize * width);
    for (let b = 0; b < batchSize; b++) {
      const row = [
        ...Array.from(this.window.subarray(b * width, (b + 1) * width), (v) => v - 1),
        ...tokens.subarray(b * steps, (b + 1) * steps),
      ].slice(-width);
      this.window.set(
        row.map((id) => id + 1),
        b * width,
      );
      ids.set(row, b * width);
    }
    return this.logitsAfter(ids);
  }
}

import { type NgramModel, ngramStateLayout } from './ngram';
import type { StateLayout } from './recurrentState';
import { VectorStateStepperBase } from './stepper';

/**
 * Generation steps of an {@link NgramModel}, with the shape of the engines' steppers: its "state" is each row's last
 * tokens, each as id + 1 (0 before a row's first token, so that a zero state is a row's start, as for networks; see
 * `ngramStateLayout`) — so beam search can move it between rows
 * like a network's — and the logits it returns are log-probabilities, which a temperature, top-k or top-p reshape as
 * they reshape a network's.
 */
export class NgramStepper extends VectorStateStepperBase {
  readonly layout: StateLayout;
  protected readonly modelName = 'An n-gram model';
  protected override readonly takesInitialState = false;
  private context: Float32Array;
  private readonly width: number;

  constructor(private readonly model: NgramModel, readonly batchSize: number) {
    super();
    this.layout = ngramStateLayout(model);
    this.width = this.layout.units;
    this.context = new Float32Array(batchSize * this.width);
  }

  /** Forgets every row's context (back to a row's start). */
  reset(): void {
    this.context.fill(0);
  }

  /** Each row's last tokens (a copy). */
  state(): Float32Array {
    return this.context.slice();
  }

  /** Continues from contexts as {@link state} returns them. */
  setState(state: Float32Array): void {
    if (state.length !== this.context.length) throw new Error(`An n-gram state of ${this.batchSize} rows holds ${this.context.length} values, got ${state.length}.`);
    this.context = state.slice();
  }

  /** Feeds `steps` tokens per row (row-major `[batchSize, steps]`); returns the log-probabilities of the next token per row. */
  feed(tokens: Int32Array, steps: number): Float32Array {
    const { width, batchSize } = this;
    const logits = new Float32Array(batchSize * this.model.vocabSize);
    for (let b = 0; b < batchSize; b++) {
      const row = [...Array.from(this.context.subarray(b * width, (b + 1) * width), (v) => v - 1), ...tokens.subarray(b * steps, (b + 1) * steps)].slice(-width);
      this.context.set(row.map((id) => id + 1), b * width);
      const p = this.model.distribution(row);
      p.forEach((v, w) => (logits[b * this.model.vocabSize + w] = Math.log(v)));
    }
    return logits;
  }

  /** Nothing to release (no tensors). */
  dispose(): void {}
}

import { TokenWindowStepper } from '../../model';
import type { NgramModel } from './ngramModel';

/**
 * Generation steps of an {@link NgramModel}: its window is each row's last `max(order − 1, 1)` tokens (begin markers
 * before a row's start), and the logits it returns are log-probabilities, which a temperature, top-k or top-p reshape
 * as they reshape a network's.
 */
export class NgramStepper extends TokenWindowStepper {
  protected readonly modelName = 'An n-gram model';

  constructor(
    private readonly model: NgramModel,
    batchSize: number,
  ) {
    super(batchSize, Math.max(model.order - 1, 1));
  }

  protected logitsAfter(windows: Int32Array): Float32Array {
    const { vocabSize } = this.model;
    const logits = new Float32Array(this.batchSize * vocabSize);
    for (let b = 0; b < this.batchSize; b++) {
      const p = this.model.distribution(Array.from(windows.subarray(b * this.width, (b + 1) * this.width)));
      p.forEach((v, w) => (logits[b * vocabSize + w] = Math.log(v)));
    }
    return logits;
  }

  /** Nothing to release (no tensors). */
  dispose(): void {}
}

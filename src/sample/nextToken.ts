import type { EngineChoice } from '../engines';
import type { RowStart } from '../model';
import { EOS_ID } from '../vocab';
import { argmax, softmax } from './logits';
import { logitsProcessors, type SamplingOptions } from './sampler';
import { openStepper } from '../families';
import type { TextGenerator } from './textGenerator';

/** The probabilities of every token (in vocabulary id order) coming next, at one temperature. */
export interface NextTokenDistribution {
  temperature: number;
  probs: Float64Array;
}

/**
 * The model's distribution of the token that follows `prompt`, once per temperature — the lesson's look at
 * what comes after `play`. Temperature 0 puts all the mass on the most likely token; `<pad>` and `<unk>` get 0.
 * With `sampling` (top-k, top-p, repetition penalty) it is the distribution a sampler with those settings draws from;
 * with its `initialState` (one row: a condition's state, see `conditionState`) the model starts from that state.
 */
export function nextTokenDistributions(
  trained: TextGenerator,
  prompt: string,
  temperatures: readonly number[],
  engine: EngineChoice = 'auto',
  sampling: Omit<SamplingOptions, 'temperature'> & { initialState?: RowStart } = {},
): NextTokenDistribution[] {
  const { initialState, ...settings } = sampling;
  const stepper = openStepper(trained, engine, 1, [initialState]);
  try {
    const ids = Int32Array.from([EOS_ID, ...trained.vocab.encode(prompt)]);
    const logits = stepper.feed(ids, ids.length);
    return temperatures.map((temperature) => {
      const row = logits.slice();
      for (const process of logitsProcessors({ ...settings, temperature })) process(row, Array.from(ids));
      const probs = temperature === 0 ? new Float64Array(row.length) : softmax(row);
      if (temperature === 0) probs[argmax(row)] = 1;
      return { temperature, probs };
    });
  } finally {
    stepper.dispose();
  }
}

import { Stepper } from '../model/stepper';
import type { TrainedModel } from '../model/trainedModel';
import { createRng } from '../random';
import { EOS_ID, PAD_ID, UNK_ID } from '../vocab';
import { applyTemperature, argmax, LogitsProcessor, sampleFromLogits, suppressTokens } from './logits';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Text to continue; the generation starts from the beginning of a document when empty. */
  prompt?: string;
  /** Number of tokens to produce after the prompt (default 300). */
  length?: number;
  /** 0 picks the most likely token every time (greedy); above 0 samples from softmax(logits / T). Default 1. */
  temperature?: number;
  /** Seed of the sampling; the same seed gives the same text on the same backend. Default 42. */
  seed?: number;
  /** Stop when the model ends the document (`<eos>`); default true. */
  stopAtEos?: boolean;
  /** Called with the text of each new token as soon as it is chosen (streaming). */
  onToken?: (text: string) => void;
}

/** Checks a sampling temperature: 0 (greedy) or a finite number > 0. */
export function checkTemperature(temperature: number): number {
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new Error(`Temperature must be 0 (greedy) or a positive number such as 0.8, got ${temperature}.`);
  }
  return temperature;
}

/**
 * Continues `prompt` with up to `length` tokens, one step at a time with the recurrent state carried along
 * (the prompt is fed once). `<pad>` and `<unk>` are never produced.
 * @returns the prompt followed by the generated text.
 */
export function generate(trained: TrainedModel, options: GenerateOptions = {}): string {
  const { prompt = '', length = 300, seed = 42, stopAtEos = true, onToken } = options;
  const temperature = checkTemperature(options.temperature ?? 1);
  if (!Number.isInteger(length) || length < 0) throw new Error(`Length must be a whole number ≥ 0, got ${length}.`);
  const processors: LogitsProcessor[] = [suppressTokens([PAD_ID, UNK_ID])];
  if (temperature > 0) processors.push(applyTemperature(temperature));
  const rng = createRng(seed);
  const { vocab } = trained;

  const stepper = new Stepper(trained.network, trained.config, 1);
  try {
    const start = Int32Array.from([EOS_ID, ...vocab.encode(prompt)]);
    let logits = stepper.feed(start, start.length);
    const produced: number[] = [];
    for (let i = 0; i < length; i++) {
      for (const process of processors) process(logits);
      const token = temperature === 0 ? argmax(logits) : sampleFromLogits(logits, rng);
      if (token === EOS_ID && stopAtEos) break;
      produced.push(token);
      onToken?.(vocab.decode([token]));
      if (i + 1 < length) logits = stepper.feed(Int32Array.of(token), 1);
    }
    return prompt + vocab.decode(produced);
  } finally {
    stepper.dispose();
  }
}

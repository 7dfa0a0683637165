/**
 * Generation with a GPT's key–value cache: tokens per second when generating 100 tokens and when generating 1,000 (past
 * the context of 128, where the stepper re-encodes its last half-context). With the cache the two stay close; without
 * it every token would re-run the whole prefix and the rate would fall with the length.
 */
import { buildGpt, type GptConfig } from '../src/families';
import { generate } from '../src/sample';
import type { Vocabulary } from '../src/vocab';
import { GPT, GPT_SPEC, SEED } from './workload';

/** Lengths generated, and how many runs of each (the fastest counts). */
const LENGTHS = [100, 1_000] as const;
const REPEATS = 3;

/** Tokens per second of one sample of each length, and how much slower the long one is. */
export interface GptCacheMeasurement {
  model: string;
  tokensPerSecondAt100: number;
  tokensPerSecondAt1000: number;
  /** At 100 ÷ at 1,000: the goal is at most 1.5. */
  slowdown: number;
}

/** Measures one seeded sample at temperature 1 on the current backend, for each length. */
export function measureGptCache(vocab: Vocabulary): GptCacheMeasurement {
  const config: GptConfig = { family: 'gpt', vocabSize: vocab.size, seed: SEED, ...GPT };
  const trained = { network: buildGpt(config), vocab, config };
  const rate = (length: number) => {
    let best = Infinity;
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now();
      generate(trained, { prompt: 'The ', temperature: 1, seed: SEED + i, length, stopAtEos: false });
      best = Math.min(best, (performance.now() - start) / 1000);
    }
    return length / best;
  };
  generate(trained, { prompt: 'The ', temperature: 1, seed: SEED, length: 10 }); // warm-up
  const [at100, at1000] = LENGTHS.map(rate);
  trained.network.dispose();
  return {
    model: GPT_SPEC, // untrained: the same work as a trained one
    tokensPerSecondAt100: at100,
    tokensPerSecondAt1000: at1000,
    slowdown: at100 / at1000,
  };
}

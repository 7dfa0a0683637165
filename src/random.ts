import seedrandom from 'seedrandom';

/** A seeded source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** Creates a seeded random number generator (Alea); the same seed always gives the same sequence. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) {
    throw new Error(`Seed must be an integer, got ${seed}. Pass a whole number such as --seed 42.`);
  }
  return seedrandom.alea(String(seed));
}

/** Shuffles an array in place (Fisher–Yates) with the given generator and returns it. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(items: T, rng: Rng): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** Derives an independent integer seed from a base seed and a label, e.g. one seed per epoch. */
export function deriveSeed(seed: number, label: string | number): number {
  return Math.floor(seedrandom.alea(`${seed}:${label}`)() * 0x7fffffff);
}

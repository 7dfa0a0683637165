// JSON that tests read: what `gennet … --json` prints and what a model folder holds, typed by the fields they read.

/** Parses JSON (what `gennet … --json` printed, a saved file) as the type the test expects; its asserts check it. */
export const parseAs = <T>(json: string): T => JSON.parse(json) as T;

/** What `gennet train --json` prints: the fields tests read (their runs always have a validation split). */
export interface TrainOutput {
  backend: string;
  engine: string;
  steps: number;
  charsPerSecond: number;
  trainLoss: number;
  valLoss: number;
  valBitsPerChar: number;
  valPerplexity: number;
  level: string;
  charsPerToken: number;
  vocabSize: number;
  params: number;
  unigramEntropy: number;
  gennetVersion: string;
}

/** What `gennet generate --json` prints: the fields tests read. */
export interface GenerateOutput {
  text: string;
  samples: Array<{ seed: number; text: string }>;
}

/** What `gennet generate --beam K --json` prints: the fields tests read. */
export interface BeamOutput {
  text: string;
  hypotheses: Array<{ text: string; totalLogProb: number }>;
}

/** A model folder's `config.json`: the fields tests read. */
export interface SavedConfig {
  gennetVersion: string;
  model: { input: string };
}

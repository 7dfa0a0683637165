// What the export/import tests share: the saved fixture models, scratch folders, gennet's logits and weights.
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LoadedArtifact } from '../src/io';
import { EOS_ID } from '../src/vocab';

/** The saved models of test/fixtures/models. */
export const FIXTURES = path.resolve(__dirname, '../../test/fixtures/models');

/** A new scratch folder (the test removes it). */
export const scratchFolder = () => mkdtempSync(path.join(os.tmpdir(), 'gennet-interop-'));

/** gennet's logits `[batch, steps, vocab]` for rows of token ids of one length, from the zero state. */
export function gennetLogits(model: LoadedArtifact, rows: number[][]): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
    return (model.network.predictOnBatch(input) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** Rows of `length` token ids: `<eos>`, then each prompt's tokens repeated (a batch of prompts of one length). */
export function promptRows(model: LoadedArtifact, prompts: readonly string[], length: number): number[][] {
  return prompts.map((prompt) => {
    const ids = Array.from(model.vocab.encode(prompt));
    return [EOS_ID, ...Array.from({ length: length - 1 }, (_, t) => ids[t % ids.length])];
  });
}

/** Every weight of a model's network, as plain numbers. */
export const weightsOf = (model: LoadedArtifact) => model.network.getWeights().map((w) => Array.from(w.dataSync()));

/** The largest absolute difference between two arrays of one length. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  return Array.from(a).reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

// The family contract, checked the same way for each network family: a run interrupted, saved, loaded and resumed
// equals the uninterrupted one; generation is seeded and beam search is at least as probable as greedy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TokenDataset } from '../src/data';
import { familyOf, type ModelFamily, type NetworkConfig } from '../src/families';
import { loadArtifact, loadRunState, saveArtifact } from '../src/io';
import { beamSearch, generateBatch } from '../src/sample';
import { train, type TrainConfig } from '../src/train';
import { CharVocab } from '../src/vocab';
import { parseAs } from './cliJson';

/** What {@link checkFamilyContract} trains. */
export interface ContractCase {
  family: ModelFamily;
  config: NetworkConfig;
  build: () => tf.LayersModel;
  data: () => { train: TokenDataset; val: TokenDataset };
  settings: TrainConfig;
  /** The step after which the interrupted run stops. */
  stopAt: number;
  /** A folder of its own for the interrupted run. */
  dir: string;
  /** The engine `auto` takes for it. */
  autoEngine: string;
}

/**
 * Trains a network of the case uninterrupted and again stopped at `stopAt`, saved, loaded and resumed: the losses and
 * the weights must be the same, the loss must fall, and `auto` must take the expected engine. Then seeded samples repeat
 * and beam search is at least as probable as greedy.
 */
export async function checkFamilyContract(c: ContractCase): Promise<void> {
  const whole = c.build();
  const expected = await train(whole, c.data(), c.settings);
  assert.equal(expected.engine, c.autoEngine, `auto takes the ${c.autoEngine} engine`);
  assert.ok(expected.history.batches.at(-1)!.loss < expected.history.batches[0].loss - 0.3, 'the loss falls');

  const model = c.build();
  const controller = new AbortController();
  const stop = { onBatchEnd: (record: { step: number }) => void (record.step === c.stopAt && controller.abort()) };
  const first = await train(model, c.data(), c.settings, [stop], { signal: controller.signal });
  const vocab = CharVocab.build(['abcdefghij'.slice(0, c.config.vocabSize - 3)]);
  await saveArtifact(c.dir, { network: model, vocab, config: c.config }, { runState: first.interrupted! });
  tf.dispose(first.interrupted!.optimizer.map((w) => w.tensor));
  const saved = parseAs<{ version: number; model: unknown }>(readFileSync(path.join(c.dir, 'config.json'), 'utf8'));
  assert.equal(saved.version, 6, 'a named family other than the recurrent one is format version 6');
  assert.deepEqual(saved.model, c.config);
  const loaded = await loadArtifact(c.dir);
  assert.equal(familyOf(loaded), c.family);
  const second = await train(loaded.network, c.data(), c.settings, [], { resume: await loadRunState(c.dir) });
  assert.deepEqual(
    second.history.batches.map((b) => b.loss),
    expected.history.batches.map((b) => b.loss),
  );
  assert.deepEqual(
    loaded.network.getWeights().map((w) => Array.from(w.dataSync())),
    whole.getWeights().map((w) => Array.from(w.dataSync())),
  );
  const trained = { network: whole, vocab, config: c.config };
  const [a, b] = [1, 1].map(
    () => generateBatch(trained, [{ prompt: 'ab', temperature: 0.8, seed: 5 }], { length: 30 })[0].text,
  );
  assert.equal(a, b, 'the same seed gives the same text');
  const [beam] = beamSearch(trained, { prompt: 'ab', beam: 4, length: 20, lengthPenalty: 0, stopAtEos: false });
  const [greedy] = beamSearch(trained, { prompt: 'ab', beam: 1, length: 20, lengthPenalty: 0, stopAtEos: false });
  assert.ok(beam.totalLogProb >= greedy.totalLogProb - 1e-9);
  [whole, model, loaded.network].forEach((m) => m.dispose());
}

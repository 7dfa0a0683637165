import * as path from 'node:path';
import type { NgramGenerator } from '../model';
import {
  type ArtifactHeader, isNgramConfig, type LoadedArtifact, loadNetwork, readArtifactHeader, readModelFolder, type SaveOptions,
} from './artifact';
import { ARTIFACT_FILES, ngramGeneratorFromFiles } from './modelBytes';
import { type ModelFiles, writeModelFiles } from './modelFolder';

/** The `config.json` of an n-gram model: the common header and the model's order and vocabulary size. */
export interface NgramArtifactConfig extends ArtifactHeader {
  ngram: { order: number; vocabSize: number };
}

/** An n-gram model loaded from disk, with its saved configuration. */
export interface LoadedNgram extends NgramGenerator {
  saved: NgramArtifactConfig;
}

/** Format version of n-gram model folders. */
const NGRAM_VERSION = 5;

/**
 * Saves an n-gram model in the folder `dir` like a network (see `saveArtifact`: only gennet's files replaced, one
 * writer, a failed save leaves the previous model): `ngram.bin` (its counts), `vocab.json` and `config.json`.
 */
export async function saveNgramArtifact(dir: string, model: NgramGenerator, options: Pick<SaveOptions, 'run' | 'notes'> = {}): Promise<void> {
  const config: NgramArtifactConfig = {
    format: 'generative-networks', version: NGRAM_VERSION, createdAt: new Date().toISOString(), backend: 'none',
    ngram: { order: model.ngram.order, vocabSize: model.ngram.vocabSize }, run: options.run ?? null, notes: options.notes ?? {},
  };
  const entries = model.ngram.entries();
  const bytes = new Uint8Array(entries.length * 4);
  const view = new DataView(bytes.buffer);
  entries.forEach((value, i) => view.setInt32(4 * i, value, true));
  await writeModelFiles(dir, {
    [ARTIFACT_FILES.ngram]: bytes,
    [ARTIFACT_FILES.vocab]: new Uint8Array(Buffer.from(JSON.stringify(model.vocab.toJSON()))),
  }, config);
}

/**
 * Loads any model folder gennet writes: a network (as `loadArtifact` does) or an n-gram model — what generation
 * takes (`generateBatch`, `beamSearch`, … accept both). Never executes code from it.
 */
export async function loadGenerator(dir: string): Promise<LoadedArtifact | LoadedNgram> {
  return generatorFromFiles(dir, await readModelFolder(dir));
}

/** The generator (network or n-gram model) that the files of the model folder `dir` hold (see {@link loadGenerator}). */
export async function generatorFromFiles(dir: string, files: ModelFiles): Promise<LoadedArtifact | LoadedNgram> {
  if (!isNgramConfig(files.config)) return loadNetwork(dir, files);
  const { header, record } = readArtifactHeader(files.config, dir);
  const shape = record.ngram as { order?: unknown; vocabSize?: unknown };
  if (!Number.isInteger(shape?.order) || !Number.isInteger(shape?.vocabSize) || !((shape.order as number) >= 1 && (shape.order as number) <= 12) || !((shape.vocabSize as number) >= 1)) {
    throw new Error(`${path.join(dir, ARTIFACT_FILES.config)} records its n-gram model in a form gennet does not know (corrupted?). Re-train or restore the model folder.`);
  }
  const [order, vocabSize] = [shape.order as number, shape.vocabSize as number];
  return { ...ngramGeneratorFromFiles(dir, files, order, vocabSize), saved: { ...header, ngram: { order, vocabSize } } };
}

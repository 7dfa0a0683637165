import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type FamilyModel, familyOfRecord, type NetworkConfig, type NetworkModel } from '../families';
import type { ConditionEncoderConfig, SequenceEncoderConfig } from '../model';
import { decodeRunState, encodeRunState, RunState } from '../train';
import { gennetVersion } from '../version';
import { ModelFiles, readModelFiles, writeModelFiles } from './modelFolder';
import {
  ARTIFACT_FILES,
  countedFamilyFiles,
  modelFromFiles,
  type SavedConditions,
  type SavedSource,
} from './modelBytes';
import { readSavedRun, SavedRun, upgradeVersion1 } from './savedRun';

/**
 * Version of the artifact layout written by this library; loading refuses newer ones. 2: `config.json` holds the
 * run as typed settings (`run`) and free-form `notes`; version 1's flat `training` record is upgraded on load.
 * 3: a conditional model — `conditions` in `config.json` and the encoder in `condition-encoder.json` +
 * `condition-encoder.bin` (models without conditions are still written as version 2, for older readers).
 * 4: a sequence-to-sequence model — `source` in `config.json`, the encoder in `source-encoder.json` +
 * `source-encoder.bin` and its vocabulary in `source-vocab.json` (conditional models are still written as version 3).
 * 5: a counted model (an n-gram model) — its family's record (`ngram`: order, vocabulary size) in `config.json` in
 * place of `model`, its counts in its own file (see `countedArtifact.ts`; networks keep their versions).
 * 6: a network of a named family other than the recurrent one (`model.family`, e.g. `mlp`).
 * 7: a sequence-to-sequence model with attention (`model.attention`; its encoder gives a second output, the memory)
 * or a bidirectional encoder (`model.bidirectional`); models without either keep their versions.
 * 8: a sequence-to-sequence model whose source encoder has dropout (`model.encoderDropout`, `source.dropout`, its
 * dropout layers in `source-encoder.json`); one without keeps its version.
 */
export const ARTIFACT_VERSION = 8;

/** Contents of `config.json`: how the model was built and trained, and how well it did. */
export interface ArtifactConfig {
  format: 'generative-networks';
  version: number;
  createdAt: string;
  backend: string;
  /** The gennet version that saved the model (absent in folders saved before it was recorded). */
  gennetVersion?: string;
  /** The network's settings, tagged with its family's name (untagged: a recurrent network). */
  model: NetworkConfig;
  /** The run that trained the model (settings, history, summary); null for a model saved without one. */
  run: SavedRun | null;
  /** Free-form notes of whoever saved the model (e.g. a notebook's name and results). */
  notes: Record<string, unknown>;
  /** A conditional model's conditions (columns, known values, vector size); absent for others. */
  conditions?: ConditionEncoderConfig;
  /** A sequence-to-sequence model's source encoder settings; absent for others. */
  source?: SequenceEncoderConfig;
}

/** What {@link saveArtifact} stores beside the network and vocabulary. */
export interface SaveOptions {
  /** The run that trained the model. */
  run?: SavedRun | null;
  /** Free-form notes (JSON values). */
  notes?: Record<string, unknown>;
  /** For an unfinished run: where it stands, so that it can be resumed. */
  runState?: RunState;
  /** A conditional model's condition encoder and its settings. */
  conditions?: SavedConditions;
  /** A sequence-to-sequence model's source encoder, its settings and the source vocabulary. */
  source?: SavedSource;
}

/** A network loaded from disk, with the saved configuration (and its condition encoder, for a conditional model). */
export interface LoadedArtifact extends NetworkModel {
  saved: ArtifactConfig;
  conditions: SavedConditions | null;
  /** A sequence-to-sequence model's encoder side (the network is its decoder); null for others. */
  source: SavedSource | null;
}

/** A layers model as the two files of a model folder: its JSON (naming `weightsFile`) and its weights. */
async function modelFiles(
  network: tf.LayersModel,
  weightsFile: string = ARTIFACT_FILES.weights,
): Promise<{ modelJson: string; weights: Uint8Array }> {
  let files: { modelJson: string; weights: Uint8Array } | undefined;
  await network.save(
    tf.io.withSaveHandler((artifacts) => {
      const weightData = artifacts.weightData ?? new ArrayBuffer(0);
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(weightData));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
      };
      files = { modelJson: JSON.stringify(modelJson), weights };
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  return files!;
}

/**
 * Saves a model in the folder `dir`: `model.json` + `weights.bin` (a TensorFlow.js layers model), `vocab.json` and
 * `config.json` (model settings, the run, notes, each file's digest), and for an unfinished run its `runState`
 * (`run-state.json` + `optimizer.bin`, read back by {@link loadRunState}). Only these files are replaced, one writer at
 * a time, and a failed save leaves the previous model as it was (see `modelFolder.ts`); a file, or a folder holding
 * anything but a gennet model, is never written into.
 */
export async function saveArtifact(dir: string, model: NetworkModel, options: SaveOptions = {}): Promise<void> {
  const { conditions, source } = options;
  if (conditions !== undefined && source !== undefined)
    throw new Error('A model is either conditional or sequence-to-sequence, not both.');
  const { modelJson, weights } = await modelFiles(model.network);
  const config: ArtifactConfig = {
    format: 'generative-networks',
    version: artifactVersionOf(model.config, options),
    createdAt: new Date().toISOString(),
    backend: tf.getBackend(),
    gennetVersion: gennetVersion(),
    model: model.config,
    run: options.run ?? null,
    notes: options.notes ?? {},
    ...(conditions === undefined ? {} : { conditions: conditions.config }),
    ...(source === undefined ? {} : { source: source.config }),
  };
  const encoder =
    conditions === undefined ? null : await modelFiles(conditions.encoder, ARTIFACT_FILES.conditionWeights);
  const sourceEncoder = source === undefined ? null : await modelFiles(source.encoder, ARTIFACT_FILES.sourceWeights);
  const state = options.runState === undefined ? null : await encodeRunState(options.runState);
  const text = (value: string) => new Uint8Array(Buffer.from(value));
  const files: Record<string, Uint8Array> = {
    [ARTIFACT_FILES.model]: text(modelJson),
    [ARTIFACT_FILES.weights]: weights,
    [ARTIFACT_FILES.vocab]: text(JSON.stringify(model.vocab.toJSON())),
    ...(state === null
      ? {}
      : { [ARTIFACT_FILES.runState]: text(state.json), [ARTIFACT_FILES.optimizer]: state.weights }),
    ...(encoder === null
      ? {}
      : {
          [ARTIFACT_FILES.conditionModel]: text(encoder.modelJson),
          [ARTIFACT_FILES.conditionWeights]: encoder.weights,
        }),
    ...(sourceEncoder === null
      ? {}
      : {
          [ARTIFACT_FILES.sourceModel]: text(sourceEncoder.modelJson),
          [ARTIFACT_FILES.sourceWeights]: sourceEncoder.weights,
          [ARTIFACT_FILES.sourceVocab]: text(JSON.stringify(source!.vocab.toJSON())),
        }),
  };
  await writeModelFiles(dir, files, config);
}

/** The oldest artifact version that holds such a model, so that older readers still load what they can. */
function artifactVersionOf(
  config: NetworkConfig & { attention?: string; bidirectional?: boolean; encoderDropout?: number },
  options: SaveOptions,
): number {
  if (config.encoderDropout !== undefined) return 8;
  if (config.attention !== undefined || config.bidirectional !== undefined) return 7;
  if (config.family !== undefined) return 6;
  if (options.source !== undefined) return 4;
  return options.conditions !== undefined ? 3 : 2;
}

/** Reads the state of the interrupted run saved in `dir` (see {@link saveArtifact}). */
export async function loadRunState(dir: string): Promise<RunState> {
  const files = await readModelFiles(dir, [ARTIFACT_FILES.runState, ARTIFACT_FILES.optimizer]);
  const [json, weights] = [files.file(ARTIFACT_FILES.runState), files.file(ARTIFACT_FILES.optimizer)];
  if (json === null || weights === null) {
    throw new Error(
      `"${dir}" holds no unfinished run to resume (its run finished): ` +
        `${ARTIFACT_FILES.runState} or ${ARTIFACT_FILES.optimizer} ` +
        'is missing. Start a new run with gennet train --out.',
    );
  }
  return decodeRunState(json.toString('utf8'), new Uint8Array(weights), path.join(dir, ARTIFACT_FILES.runState));
}

/**
 * The format version a `config.json` records (in `dir`), checked: a whole number from 1 to {@link ARTIFACT_VERSION}.
 * A later one was written by a newer gennet; anything else is not a version gennet writes.
 */
function formatVersion(version: unknown, dir: string): number {
  if (typeof version === 'number' && Number.isInteger(version) && version > ARTIFACT_VERSION) {
    throw new Error(
      `"${dir}" was saved in format version ${version} by a newer gennet; this one reads versions 1 to ` +
        `${ARTIFACT_VERSION}. Upgrade generative-networks.`,
    );
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    const written = JSON.stringify(version) ?? '';
    const found =
      version === undefined
        ? 'no format version'
        : `the format version ${written.length > 40 ? `${written.slice(0, 40)}…` : written}`;
    throw new Error(
      `${path.join(dir, ARTIFACT_FILES.config)} records ${found}; gennet writes a whole number from 1 to ` +
        `${ARTIFACT_VERSION} there. The file was edited or damaged: restore the model folder or re-train it.`,
    );
  }
  return version;
}

/** What every `config.json` holds, whatever the model: its format, version, date, backend, run and notes. */
export type ArtifactHeader = Pick<ArtifactConfig, 'format' | 'version' | 'createdAt' | 'backend' | 'run' | 'notes'>;

/**
 * Checks the common part of a parsed `config.json` (a version 1 run is upgraded) and returns it with the rest of
 * the record, for the reader of the model's own part.
 */
export function readArtifactHeader(
  raw: unknown,
  dir: string,
): { header: ArtifactHeader; record: Record<string, unknown> } {
  const where = path.join(dir, ARTIFACT_FILES.config);
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<ArtifactConfig> & {
    training?: unknown;
  };
  if (record.format !== 'generative-networks') throw new Error(`${where} is not a gennet model config.`);
  const version = formatVersion(record.version, dir);
  const { run, notes } =
    version === 1
      ? upgradeVersion1(record.training, where)
      : { run: readSavedRun(record.run, where), notes: record.notes ?? {} };
  return {
    header: {
      format: 'generative-networks',
      version,
      createdAt: String(record.createdAt),
      backend: String(record.backend),
      run,
      notes,
    },
    record,
  };
}

/** A model loaded from disk, of any family, with its saved header and record, and its encoders (null for most). */
export type LoadedModel =
  LoadedArtifact | (FamilyModel & { saved: ArtifactHeader & Record<string, unknown>; conditions: null; source: null });

/** Frees a loaded model's networks (its encoders too). */
export function disposeLoadedModel(loaded: LoadedModel): void {
  if ('network' in loaded) loaded.network.dispose();
  loaded.conditions?.encoder.dispose();
  loaded.source?.encoder.dispose();
}

/** Every file a model folder may hold, for one read of it (see `readModelFiles`). */
const modelFolderFiles = () => [
  ARTIFACT_FILES.model,
  ARTIFACT_FILES.weights,
  ARTIFACT_FILES.vocab,
  ARTIFACT_FILES.conditionModel,
  ARTIFACT_FILES.conditionWeights,
  ARTIFACT_FILES.sourceModel,
  ARTIFACT_FILES.sourceWeights,
  ARTIFACT_FILES.sourceVocab,
  ...countedFamilyFiles(),
];

/** The files of the model folder `dir` (one consistent save), or an error saying how to make one. */
export async function readModelFolder(dir: string): Promise<ModelFiles> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat === null || !stat.isDirectory()) {
    throw new Error(`Model directory "${dir}" does not exist. Train one with \`gennet train --out ${dir}\`.`);
  }
  return readModelFiles(dir, modelFolderFiles());
}

/**
 * Loads any model folder gennet writes — a network, an n-gram model, a model of any family — with what generation
 * takes (`generateBatch`, `beamSearch`, … accept all). Never executes code from it.
 */
export async function loadGenerator(dir: string): Promise<LoadedModel> {
  return generatorFromFiles(dir, await readModelFolder(dir));
}

/** The model that the files of the model folder `dir` hold (see {@link loadGenerator}). */
export async function generatorFromFiles(dir: string, files: ModelFiles): Promise<LoadedModel> {
  const { header, record } = readArtifactHeader(files.config, dir);
  return loadedModel(dir, files, header, record);
}

/** The model of a folder's files and its checked header and record. */
async function loadedModel(
  dir: string,
  files: ModelFiles,
  header: ArtifactHeader,
  record: Record<string, unknown>,
): Promise<LoadedModel> {
  const model = await modelFromFiles(dir, files, record);
  return { ...model, saved: { ...record, ...header } } as LoadedModel;
}

/**
 * Loads a network's model directory written by {@link saveArtifact} (a counted model is refused); never executes
 * code from it.
 */
export async function loadArtifact(dir: string): Promise<LoadedArtifact> {
  const files = await readModelFolder(dir);
  const { header, record } = readArtifactHeader(files.config, dir);
  // Refused from its config.json, before its counts are read.
  if (familyOfRecord(record, dir).training === 'counts')
    throw new Error(
      `"${dir}" holds a counted model (no network); load it with ` +
        'loadGenerator (gennet generate and temperatures read every model).',
    );
  return (await loadedModel(dir, files, header, record)) as LoadedArtifact;
}

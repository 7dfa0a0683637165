import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  ConditionEncoderConfig, GeneratorModel, ModelConfig, resolveModelConfig, SequenceEncoderConfig, SourceEncoder, stateLayout, stateSize,
} from '../model';
import { decodeRunState, encodeRunState, RunState } from '../train';
import { vocabularyFromJSON } from '../vocab';
import { ModelFiles, readModelFiles, writeModelFiles } from './modelFolder';
import { ARTIFACT_FILES, layersModelFromFiles, networkFromFiles, parseJson, type SavedConditions } from './modelBytes';
import { readSavedRun, SavedRun, upgradeVersion1 } from './savedRun';

/**
 * Version of the artifact layout written by this library; loading refuses newer ones. 2: `config.json` holds the
 * run as typed settings (`run`) and free-form `notes`; version 1's flat `training` record is upgraded on load.
 * 3: a conditional model — `conditions` in `config.json` and the encoder in `condition-encoder.json` +
 * `condition-encoder.bin` (models without conditions are still written as version 2, for older readers).
 * 4: a sequence-to-sequence model — `source` in `config.json`, the encoder in `source-encoder.json` +
 * `source-encoder.bin` and its vocabulary in `source-vocab.json` (conditional models are still written as version 3).
 * 5: an n-gram model — `ngram` (order, vocabulary size) in `config.json` in place of `model`, its counts in
 * `ngram.bin` (see `ngramArtifact.ts`; networks keep their versions).
 */
export const ARTIFACT_VERSION = 5;

/** Contents of `config.json`: how the model was built and trained, and how well it did. */
export interface ArtifactConfig {
  format: 'generative-networks';
  version: number;
  createdAt: string;
  backend: string;
  model: ModelConfig;
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

/** A sequence-to-sequence model's encoder side as saved: settings, network and the source vocabulary. */
export type SavedSource = SourceEncoder;

/** A model loaded from disk, with the saved configuration (and its condition encoder, for a conditional model). */
export interface LoadedArtifact extends GeneratorModel {
  saved: ArtifactConfig;
  conditions: SavedConditions | null;
  /** A sequence-to-sequence model's encoder side (the network is its decoder); null for others. */
  source: SavedSource | null;
}

/** A layers model as the two files of a model folder: its JSON (naming `weightsFile`) and its weights. */
async function modelFiles(network: tf.LayersModel, weightsFile: string = ARTIFACT_FILES.weights): Promise<{ modelJson: string; weights: Uint8Array }> {
  let files: { modelJson: string; weights: Uint8Array } | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
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
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
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
export async function saveArtifact(dir: string, model: GeneratorModel, options: SaveOptions = {}): Promise<void> {
  const { conditions, source } = options;
  if (conditions !== undefined && source !== undefined) throw new Error('A model is either conditional or sequence-to-sequence, not both.');
  const { modelJson, weights } = await modelFiles(model.network);
  const config: ArtifactConfig = {
    format: 'generative-networks',
    version: source !== undefined ? 4 : conditions !== undefined ? 3 : 2,
    createdAt: new Date().toISOString(),
    backend: tf.getBackend(),
    model: model.config,
    run: options.run ?? null,
    notes: options.notes ?? {},
    ...(conditions === undefined ? {} : { conditions: conditions.config }),
    ...(source === undefined ? {} : { source: source.config }),
  };
  const encoder = conditions === undefined ? null : await modelFiles(conditions.encoder, ARTIFACT_FILES.conditionWeights);
  const sourceEncoder = source === undefined ? null : await modelFiles(source.encoder, ARTIFACT_FILES.sourceWeights);
  const state = options.runState === undefined ? null : await encodeRunState(options.runState);
  const text = (value: string) => new Uint8Array(Buffer.from(value));
  const files: Record<string, Uint8Array> = {
    [ARTIFACT_FILES.model]: text(modelJson),
    [ARTIFACT_FILES.weights]: weights,
    [ARTIFACT_FILES.vocab]: text(JSON.stringify(model.vocab.toJSON())),
    ...(state === null ? {} : { [ARTIFACT_FILES.runState]: text(state.json), [ARTIFACT_FILES.optimizer]: state.weights }),
    ...(encoder === null ? {} : { [ARTIFACT_FILES.conditionModel]: text(encoder.modelJson), [ARTIFACT_FILES.conditionWeights]: encoder.weights }),
    ...(sourceEncoder === null ? {} : {
      [ARTIFACT_FILES.sourceModel]: text(sourceEncoder.modelJson),
      [ARTIFACT_FILES.sourceWeights]: sourceEncoder.weights,
      [ARTIFACT_FILES.sourceVocab]: text(JSON.stringify(source!.vocab.toJSON())),
    }),
  };
  await writeModelFiles(dir, files, config);
}

/** Reads the state of the interrupted run saved in `dir` (see {@link saveArtifact}). */
export async function loadRunState(dir: string): Promise<RunState> {
  const files = await readModelFiles(dir, [ARTIFACT_FILES.runState, ARTIFACT_FILES.optimizer]);
  const [json, weights] = [files.file(ARTIFACT_FILES.runState), files.file(ARTIFACT_FILES.optimizer)];
  if (json === null || weights === null) {
    throw new Error(`"${dir}" holds no unfinished run to resume (its run finished): ` +
      `${ARTIFACT_FILES.runState} or ${ARTIFACT_FILES.optimizer} is missing. Start a new run with gennet train --out.`);
  }
  return decodeRunState(json.toString('utf8'), new Uint8Array(weights), path.join(dir, ARTIFACT_FILES.runState));
}

/** What every `config.json` holds, whatever the model: its format, version, date, backend, run and notes. */
export type ArtifactHeader = Pick<ArtifactConfig, 'format' | 'version' | 'createdAt' | 'backend' | 'run' | 'notes'>;

/**
 * Checks the common part of a parsed `config.json` (a version 1 run is upgraded) and returns it with the rest of
 * the record, for the reader of the model's own part.
 */
export function readArtifactHeader(raw: unknown, dir: string): { header: ArtifactHeader; record: Record<string, unknown> } {
  const where = path.join(dir, ARTIFACT_FILES.config);
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<ArtifactConfig> & { training?: unknown };
  if (record.format !== 'generative-networks') throw new Error(`${where} is not a gennet model config.`);
  const version = record.version;
  if (typeof version !== 'number' || !(version <= ARTIFACT_VERSION)) {
    throw new Error(`"${dir}" was saved in format version ${version}; this gennet reads up to ${ARTIFACT_VERSION}. Upgrade generative-networks.`);
  }
  const { run, notes } = version === 1
    ? upgradeVersion1(record.training, where)
    : { run: readSavedRun(record.run, where), notes: record.notes ?? {} };
  return { header: { format: 'generative-networks', version, createdAt: String(record.createdAt), backend: String(record.backend), run, notes }, record };
}

/** Checks a network's parsed `config.json` and returns it in the current layout. */
function readArtifactConfig(raw: unknown, dir: string): ArtifactConfig {
  const { header, record } = readArtifactHeader(raw, dir);
  return {
    ...header, model: record.model as ModelConfig,
    ...(record.conditions === undefined ? {} : { conditions: record.conditions as ConditionEncoderConfig }),
    ...(record.source === undefined ? {} : { source: record.source as SequenceEncoderConfig }),
  };
}

/** Every file a model folder may hold, for one read of it (see `readModelFiles`). */
const MODEL_FOLDER_FILES = [
  ARTIFACT_FILES.model, ARTIFACT_FILES.weights, ARTIFACT_FILES.vocab, ARTIFACT_FILES.conditionModel, ARTIFACT_FILES.conditionWeights,
  ARTIFACT_FILES.sourceModel, ARTIFACT_FILES.sourceWeights, ARTIFACT_FILES.sourceVocab, ARTIFACT_FILES.ngram,
];

/** The files of the model folder `dir` (one consistent save), or an error saying how to make one. */
export async function readModelFolder(dir: string): Promise<ModelFiles> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat === null || !stat.isDirectory()) {
    throw new Error(`Model directory "${dir}" does not exist. Train one with \`gennet train --out ${dir}\`.`);
  }
  return readModelFiles(dir, MODEL_FOLDER_FILES);
}

/** Whether a parsed `config.json` describes an n-gram model (see `ngramArtifact.ts`). */
export function isNgramConfig(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'ngram' in raw;
}

/** Loads a network's model directory written by {@link saveArtifact}; never executes code from it. */
export async function loadArtifact(dir: string): Promise<LoadedArtifact> {
  const files = await readModelFolder(dir);
  if (isNgramConfig(files.config)) throw new Error(`"${dir}" holds an n-gram model, not a network; load it with loadGenerator (gennet generate and temperatures read both).`);
  return loadNetwork(dir, files);
}

/** The network, vocabulary and encoders of a model folder's files (see {@link loadArtifact}). */
export async function loadNetwork(dir: string, files: ModelFiles): Promise<LoadedArtifact> {
  const saved = readArtifactConfig(files.config, dir);
  const config = resolveModelConfig(saved.model);
  const { network, vocab, conditions } = await networkFromFiles(dir, files, config, saved.conditions);
  try {
    const source = saved.source === undefined ? null : await loadSource(dir, files, saved.source, config);
    return { network, vocab, config, saved, conditions, source };
  } catch (error) {
    network.dispose();
    conditions?.encoder.dispose();
    throw error;
  }
}

/** A sequence-to-sequence model's encoder and source vocabulary, checked against the recorded settings and the decoder. */
async function loadSource(dir: string, files: ModelFiles, recorded: unknown, config: ModelConfig): Promise<SavedSource> {
  const where = path.join(dir, ARTIFACT_FILES.config);
  const source = recorded as SequenceEncoderConfig;
  const valid = typeof source === 'object' && source !== null &&
    (['vocabSize', 'maxLen', 'embeddingDim', 'seed'] as const).every((key) => Number.isInteger(source[key]) && source[key] >= 0);
  if (!valid) throw new Error(`${where} records its source encoder in a form gennet does not know (corrupted?). Re-train or restore the model folder.`);
  const vocab = vocabularyFromJSON(parseJson(dir, ARTIFACT_FILES.sourceVocab, files.file(ARTIFACT_FILES.sourceVocab)));
  const encoder = await layersModelFromFiles(dir, files, ARTIFACT_FILES.sourceModel, ARTIFACT_FILES.sourceWeights);
  const [inputs, outputs] = [encoder.inputs[0].shape[1], encoder.outputs[0].shape[1]];
  if (vocab.size !== source.vocabSize || inputs !== source.maxLen || outputs !== stateSize(stateLayout(config), 1)) {
    encoder.dispose();
    throw new Error(`"${dir}" is inconsistent: its source encoder (vocabulary ${vocab.size}, ${inputs} tokens in, ${outputs} state values out) ` +
      `does not match config.json (vocabulary ${source.vocabSize}, ${source.maxLen} tokens) and the decoder (${stateSize(stateLayout(config), 1)} state values). ` +
      'Re-train or restore the model folder.');
  }
  return { config: source, encoder, vocab };
}

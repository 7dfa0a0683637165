import * as tf from '@tensorflow/tfjs';
import { type ConditionEncoderConfig, conditionCount, type GeneratorModel, type ModelConfig, type NgramGenerator, NgramModel, stateLayout, stateSize } from '../model';
import { type Vocabulary, vocabularyFromJSON } from '../vocab';

// Turning a model folder's bytes into models: no file system here, so that a web page can build its model from the
// same files, fetched, with the same checks as `gennet generate` reading them from disk.

/** File names inside a model folder. */
export const ARTIFACT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  vocab: 'vocab.json',
  /** Written last by a save: the model's settings and run, and every other file's size and SHA-256. */
  config: 'config.json',
  /** Only in the checkpoint of an interrupted run: where it stood, and Adam's state. */
  runState: 'run-state.json',
  optimizer: 'optimizer.bin',
  /** Only in a conditional model: the condition encoder (a TensorFlow.js layers model) and its weights. */
  conditionModel: 'condition-encoder.json',
  conditionWeights: 'condition-encoder.bin',
  /** Only in a sequence-to-sequence model: the source encoder, its weights, and the source vocabulary. */
  sourceModel: 'source-encoder.json',
  sourceWeights: 'source-encoder.bin',
  sourceVocab: 'source-vocab.json',
  /** Only in an n-gram model: its counts (see `NgramModel.entries`), little-endian int32. */
  ngram: 'ngram.bin',
} as const;

/** The files of one model save, by name; null for a missing one. */
export interface FileSource {
  file(name: string): Uint8Array | null;
}

/** `file` inside the model folder `dir`, as messages name it. */
export const fileIn = (dir: string, file: string) => `${dir.replace(/[\\/]+$/u, '')}/${file}`;

/** A JSON file of a model folder, parsed; a missing or broken one is reported with what to do. */
export function parseJson(dir: string, file: string, data: Uint8Array | null): unknown {
  if (data === null) throw new Error(`"${dir}" is not a complete model folder: ${file} is missing. Train one with \`gennet train --out ${dir}\`.`);
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new Error(`${fileIn(dir, file)} is not valid JSON (corrupted?). Re-train or restore the model folder.`);
  }
}

/**
 * A layers model from two files of a model folder: its JSON, which must name exactly `weightsFile`, and that file's
 * weights, checked for size and finite values.
 */
export async function layersModelFromFiles(dir: string, files: FileSource, modelFile: string, weightsFile: string): Promise<tf.LayersModel> {
  const modelJson = parseJson(dir, modelFile, files.file(modelFile)) as tf.io.ModelJSON;
  const manifest = modelJson?.weightsManifest;
  const paths = Array.isArray(manifest) ? manifest.flatMap((group) => group?.paths ?? []) : [];
  if (paths.length !== 1 || paths[0] !== weightsFile) {
    throw new Error(`${fileIn(dir, modelFile)} does not name ${weightsFile} as its weights (its weightsManifest is missing or altered); ` +
      'gennet will not load a model without its trained weights. Re-train or restore the model folder.');
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (groups) => {
    const specs = groups.flatMap((group) => group.weights);
    const bytes = files.file(weightsFile);
    if (bytes === null) throw new Error(`"${dir}" is incomplete: weight file ${weightsFile} is missing. Re-train or restore the model folder.`);
    const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const expected = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (weightData.byteLength !== expected) {
      throw new Error(`"${dir}" has ${weightData.byteLength} bytes of weights but the model needs ${expected} (truncated or corrupted). Re-train or restore it.`);
    }
    if (specs.every((spec) => spec.dtype === undefined || spec.dtype === 'float32') && !new Float32Array(weightData).every(Number.isFinite)) {
      throw new Error(`"${dir}" holds weights that are not finite numbers (NaN or infinity: a diverged run?); it cannot generate text. Re-train with a lower --lr.`);
    }
    return [specs, weightData];
  });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** An n-gram model of `order` over `vocabSize` tokens from its counts file (`file`: int32 little-endian entries). */
export function ngramFromBytes(dir: string, file: string, order: number, vocabSize: number, bytes: Uint8Array | null): NgramModel {
  if (bytes === null) throw new Error(`"${dir}" is incomplete: ${file} is missing. Re-train or restore the model folder.`);
  if (bytes.length % 4 !== 0) throw new Error(`"${dir}": ${file} is truncated. Re-train or restore the model folder.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = Int32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
  try {
    return NgramModel.fromEntries(order, vocabSize, entries);
  } catch (error) {
    throw new Error(`"${dir}": ${file} does not fit its model (${error instanceof Error ? error.message : error}). Re-train or restore the model folder.`);
  }
}

/** A conditional model's encoder as saved: its settings and network. */
export interface SavedConditions {
  config: ConditionEncoderConfig;
  encoder: tf.LayersModel;
}

/** A conditional model's encoder from its files, checked against its recorded conditions and the network's state layout. */
export async function conditionEncoderFromFiles(dir: string, files: FileSource, recorded: unknown, config: ModelConfig): Promise<SavedConditions> {
  const where = fileIn(dir, ARTIFACT_FILES.config);
  const conditions = recorded as ConditionEncoderConfig;
  const valid = typeof conditions === 'object' && conditions !== null && Number.isInteger(conditions.dim) && Number.isInteger(conditions.seed) &&
    Array.isArray(conditions.conditions) && conditions.conditions.length > 0 &&
    conditions.conditions.every((c) => typeof c?.column === 'string' && Array.isArray(c.values) && c.values.length > 0 && c.values.every((v) => typeof v === 'string'));
  if (!valid) throw new Error(`${where} records its conditions in a form gennet does not know (corrupted?). Re-train or restore the model folder.`);
  const encoder = await layersModelFromFiles(dir, files, ARTIFACT_FILES.conditionModel, ARTIFACT_FILES.conditionWeights);
  const [inputs, outputs] = [conditionCount(encoder), encoder.outputs[0].shape[1]];
  if (inputs !== conditions.conditions.length || outputs !== stateSize(stateLayout(config), 1)) {
    encoder.dispose();
    throw new Error(`"${dir}" is inconsistent: its condition encoder takes ${inputs} conditions and gives ${outputs} state values; ` +
      `the model needs ${conditions.conditions.length} and ${stateSize(stateLayout(config), 1)}. Re-train or restore the model folder.`);
  }
  return { config: conditions, encoder };
}

/** The vocabulary of a model's files (`vocab.json`), checked against the number of tokens the model expects. */
function checkedVocabulary(dir: string, files: FileSource, expected: number): Vocabulary {
  const vocab = vocabularyFromJSON(parseJson(dir, ARTIFACT_FILES.vocab, files.file(ARTIFACT_FILES.vocab)));
  if (vocab.size !== expected) {
    throw new Error(`"${dir}" is inconsistent: the vocabulary has ${vocab.size} tokens but the model expects ${expected}. Re-train or restore the model folder.`);
  }
  return vocab;
}

/**
 * A network from its files — vocabulary, layers model and, when `recordedConditions` are given, its condition
 * encoder — each checked against `config` (what a model folder and a web page's model share).
 */
export async function networkFromFiles(
  dir: string, files: FileSource, config: ModelConfig, recordedConditions?: unknown,
): Promise<GeneratorModel & { conditions: SavedConditions | null }> {
  const vocab = checkedVocabulary(dir, files, config.vocabSize);
  const network = await layersModelFromFiles(dir, files, ARTIFACT_FILES.model, ARTIFACT_FILES.weights);
  try {
    const conditions = recordedConditions === undefined ? null : await conditionEncoderFromFiles(dir, files, recordedConditions, config);
    return { network, vocab, config, conditions };
  } catch (error) {
    network.dispose();
    throw error;
  }
}

/** An n-gram model of `order` over `vocabSize` tokens from its files: the vocabulary (checked) and the counts. */
export function ngramGeneratorFromFiles(dir: string, files: FileSource, order: number, vocabSize: number): NgramGenerator {
  const vocab = checkedVocabulary(dir, files, vocabSize);
  return { ngram: ngramFromBytes(dir, ARTIFACT_FILES.ngram, order, vocabSize, files.file(ARTIFACT_FILES.ngram)), vocab };
}

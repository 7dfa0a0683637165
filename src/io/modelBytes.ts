import * as tf from '@tensorflow/tfjs';
import {
  type FamilyModel,
  familyOfRecord,
  type FileSource,
  FAMILY_REGISTRY,
  isCounted,
  type NetworkConfig,
  type NetworkFamily,
  type NetworkModel,
} from '../families';
import {
  type ConditionEncoderConfig,
  conditionCount,
  type SequenceEncoderConfig,
  type SourceEncoder,
  type StateLayout,
  stateSize,
} from '../model';
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
} as const;

export type { FileSource } from '../families';

/** The files of their own that counted families (n-grams…) keep in a model folder. */
export const countedFamilyFiles = (): string[] => FAMILY_REGISTRY.filter(isCounted).flatMap((family) => family.files);

/** `file` inside the model folder `dir`, as messages name it. */
export const fileIn = (dir: string, file: string) => `${dir.replace(/[\\/]+$/u, '')}/${file}`;

/** A JSON file of a model folder, parsed; a missing or broken one is reported with what to do. */
export function parseJson(dir: string, file: string, data: Uint8Array | null): unknown {
  if (data === null)
    throw new Error(
      `"${dir}" is not a complete model folder: ${file} is missing. Train one with \`gennet train --out ${dir}\`.`,
    );
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
export async function layersModelFromFiles(
  dir: string,
  files: FileSource,
  modelFile: string,
  weightsFile: string,
): Promise<tf.LayersModel> {
  const modelJson = parseJson(dir, modelFile, files.file(modelFile)) as tf.io.ModelJSON;
  const manifest = modelJson?.weightsManifest;
  const paths = Array.isArray(manifest) ? manifest.flatMap((group) => group?.paths ?? []) : [];
  if (paths.length !== 1 || paths[0] !== weightsFile) {
    throw new Error(
      `${fileIn(dir, modelFile)} does not name ${weightsFile} as its weights (its weightsManifest is missing ` +
        'or altered); gennet will not load a model without its trained weights. Re-train or restore the model folder.',
    );
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, (groups) => {
    const specs = groups.flatMap((group) => group.weights);
    const bytes = files.file(weightsFile);
    if (bytes === null)
      throw new Error(
        `"${dir}" is incomplete: weight file ${weightsFile} is missing. Re-train or restore the model folder.`,
      );
    const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const expected = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (weightData.byteLength !== expected) {
      throw new Error(
        `"${dir}" has ${weightData.byteLength} bytes of weights but the model needs ${expected} (truncated ` +
          'or corrupted). Re-train or restore it.',
      );
    }
    if (
      specs.every((spec) => spec.dtype === undefined || spec.dtype === 'float32') &&
      !new Float32Array(weightData).every(Number.isFinite)
    ) {
      throw new Error(
        `"${dir}" holds weights that are not finite numbers (NaN or infinity: a diverged run?); it cannot ` +
          'generate text. Re-train with a lower --lr.',
      );
    }
    return Promise.resolve([specs, weightData]);
  });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** A conditional model's encoder as saved: its settings and network. */
export interface SavedConditions {
  config: ConditionEncoderConfig;
  encoder: tf.LayersModel;
}

/**
 * A conditional model's encoder from its files, checked against its recorded conditions and the network's state layout.
 */
export async function conditionEncoderFromFiles(
  dir: string,
  files: FileSource,
  recorded: unknown,
  layout: StateLayout,
): Promise<SavedConditions> {
  const where = fileIn(dir, ARTIFACT_FILES.config);
  const conditions = recorded as ConditionEncoderConfig;
  const valid =
    typeof conditions === 'object' &&
    conditions !== null &&
    Number.isInteger(conditions.dim) &&
    Number.isInteger(conditions.seed) &&
    Array.isArray(conditions.conditions) &&
    conditions.conditions.length > 0 &&
    conditions.conditions.every(
      (c) =>
        typeof c?.column === 'string' &&
        Array.isArray(c.values) &&
        c.values.length > 0 &&
        c.values.every((v) => typeof v === 'string'),
    );
  if (!valid)
    throw new Error(
      `${where} records its conditions in a form gennet does not ` +
        'know (corrupted?). Re-train or restore the model folder.',
    );
  const encoder = await layersModelFromFiles(
    dir,
    files,
    ARTIFACT_FILES.conditionModel,
    ARTIFACT_FILES.conditionWeights,
  );
  const [inputs, outputs] = [conditionCount(encoder), encoder.outputs[0].shape[1]];
  if (inputs !== conditions.conditions.length || outputs !== stateSize(layout, 1)) {
    encoder.dispose();
    throw new Error(
      `"${dir}" is inconsistent: its condition encoder takes ${inputs} conditions and gives ${outputs} state values; ` +
        `the model needs ${conditions.conditions.length} and ` +
        `${stateSize(layout, 1)}. Re-train or restore the model folder.`,
    );
  }
  return { config: conditions, encoder };
}

/** The vocabulary of a model's files (`vocab.json`), checked against the number of tokens the model expects. */
function checkedVocabulary(dir: string, files: FileSource, expected: number): Vocabulary {
  const vocab = vocabularyFromJSON(parseJson(dir, ARTIFACT_FILES.vocab, files.file(ARTIFACT_FILES.vocab)));
  if (vocab.size !== expected) {
    throw new Error(
      `"${dir}" is inconsistent: the vocabulary has ${vocab.size} tokens but the model expects ${expected}. ` +
        'Re-train or restore the model folder.',
    );
  }
  return vocab;
}

/** A sequence-to-sequence model's encoder side as saved: settings, network and the source vocabulary. */
export type SavedSource = SourceEncoder;

/**
 * A sequence-to-sequence model's encoder and source vocabulary, checked against the recorded settings and the decoder.
 */
async function sourceFromFiles(
  dir: string,
  files: FileSource,
  recorded: unknown,
  layout: StateLayout,
): Promise<SavedSource> {
  const source = recorded as SequenceEncoderConfig;
  const valid =
    typeof source === 'object' &&
    source !== null &&
    (['vocabSize', 'maxLen', 'embeddingDim', 'seed'] as const).every(
      (key) => Number.isInteger(source[key]) && source[key] >= 0,
    ) &&
    (source.dropout === undefined || (typeof source.dropout === 'number' && source.dropout >= 0 && source.dropout < 1));
  if (!valid)
    throw new Error(
      `${fileIn(dir, ARTIFACT_FILES.config)} records its source encoder in a form gennet does not know ` +
        '(corrupted?). Re-train or restore the model folder.',
    );
  const vocab = vocabularyFromJSON(parseJson(dir, ARTIFACT_FILES.sourceVocab, files.file(ARTIFACT_FILES.sourceVocab)));
  const encoder = await layersModelFromFiles(dir, files, ARTIFACT_FILES.sourceModel, ARTIFACT_FILES.sourceWeights);
  const [inputs, outputs, needed] = [encoder.inputs[0].shape[1], encoder.outputs[0].shape[1], stateSize(layout, 1)];
  if (vocab.size !== source.vocabSize || inputs !== source.maxLen || outputs !== needed) {
    encoder.dispose();
    throw new Error(
      `"${dir}" is inconsistent: its source encoder (vocabulary ${vocab.size}, ${inputs} tokens in, ` +
        `${outputs} state values out) ` +
        `does not match config.json (vocabulary ${source.vocabSize}, ${source.maxLen} tokens) and the ` +
        `decoder (${needed} state values). ` +
        'Re-train or restore the model folder.',
    );
  }
  return { config: source, encoder, vocab };
}

/**
 * A model built from a folder's files, with a conditional model's or an encoder–decoder's encoder (null for others).
 */
export type ModelWithEncoders = FamilyModel & { conditions: SavedConditions | null; source: SavedSource | null };

/**
 * A model from the files of a model folder (or of a site, fetched) and its parsed `config.json` (`record`): the family
 * that record names builds it, each file checked — JSON, weights' size and values, the vocabulary's size, a
 * conditional model's or an encoder–decoder's encoder against the network's state.
 */
export async function modelFromFiles(
  dir: string,
  files: FileSource,
  record: Readonly<Record<string, unknown>>,
): Promise<ModelWithEncoders> {
  const family = familyOfRecord(record, dir);
  if (family.training === 'counts') {
    return {
      ...family.fromFiles(dir, files, record, checkedVocabulary(dir, files, family.vocabSizeOf(record, dir))),
      conditions: null,
      source: null,
    };
  }
  const config = family.readConfig(record.model, fileIn(dir, ARTIFACT_FILES.config));
  const model = await networkFromFiles(dir, files, config);
  const encoders: { conditions: SavedConditions | null; source: SavedSource | null } = {
    conditions: null,
    source: null,
  };
  try {
    const layout = encoderLayout(dir, family, config, record);
    if (record.conditions !== undefined)
      encoders.conditions = await conditionEncoderFromFiles(dir, files, record.conditions, layout!);
    if (record.source !== undefined) encoders.source = await sourceFromFiles(dir, files, record.source, layout!);
    return { ...model, ...encoders };
  } catch (error) {
    model.network.dispose();
    encoders.conditions?.encoder.dispose();
    throw error;
  }
}

/** The state layout a recorded encoder must give; refused for a family that takes no state. */
function encoderLayout(
  dir: string,
  family: NetworkFamily,
  config: NetworkConfig,
  record: Readonly<Record<string, unknown>>,
): StateLayout | null {
  if (record.conditions === undefined && record.source === undefined) return null;
  const layout = family.stateLayout(config);
  if (layout === null)
    throw new Error(
      `"${dir}" records an encoder, but a ${family.name} model takes no ` +
        'initial state (corrupted?). Re-train or restore the model folder.',
    );
  return layout;
}

/** A network and its vocabulary from its files, each checked against `config`. */
async function networkFromFiles(dir: string, files: FileSource, config: NetworkConfig): Promise<NetworkModel> {
  const vocab = checkedVocabulary(dir, files, config.vocabSize);
  const network = await layersModelFromFiles(dir, files, ARTIFACT_FILES.model, ARTIFACT_FILES.weights);
  return { network, vocab, config };
}

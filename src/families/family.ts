import type * as tf from '@tensorflow/tfjs';
import type { Batch, TokenData } from '../data';
import type { EngineChoice } from '../engines';
import type { SequenceEncoderConfig, StateLayout, Stepper } from '../model';
import type { Vocabulary } from '../vocab';

// The contract every model family keeps — recurrent networks, n-gram models, Bengio's MLP, … — so that training,
// sampling, beam search, saving, the CLI and the web page work with a family they never name. A new family is one
// folder exporting such an object, plus one line in the registry (`families/registry.ts`).

/** What a family can do beyond generating text, for `gennet models` and for refusing what it cannot. */
export interface FamilySupport {
  /** A conditional model: each row starts from a learned state of its condition values. */
  conditions: boolean;
  /** An encoder–decoder: the decoder starts from an encoder's view of a source. */
  seq2seq: boolean;
  /** Beam search (every family that steps rows and reorders them can). */
  beam: boolean;
  /** The web page and `export-web`. */
  page: boolean;
  /** `gennet export` (ONNX, PyTorch) and `gennet import`. */
  export: boolean;
}

/** A model spec as read from the command line (`lstm:2x256`, `ngram:5`, `mlp:8x128`). */
export interface ModelSpec {
  /** The family that reads it. */
  family: string;
  /** The spec as written, to name the model in tables. */
  label: string;
  /** The settings it gives, by the family's own names (`cell`, `layers`, `units`, `order`, `context`…). */
  settings: Record<string, string | number>;
}

/** Any trained model of any family: what it is made of is its family's business, but it always has a vocabulary. */
export interface FamilyModel {
  vocab: Vocabulary;
}

/** The model in a few words, for logs, `gennet models` and the web page; null where a field means nothing to it. */
export interface ModelDescription {
  /** Its kind: `LSTM`, `GRU`, `RNN`, `n-gram`, `MLP`. */
  kind: string;
  /** One line: `LSTM, 2 layers × 128 units, one-hot input`. */
  shape: string;
  layers: number | null;
  units: number | null;
  /** How tokens enter it: `one-hot`, `embedding 64`. */
  input: string | null;
  /** Tokens of context (an n-gram model's order, an MLP's window). */
  order: number | null;
  /** Trained numbers: weights, or stored counts. */
  params: number;
}

/** The parts every family has. */
export interface ModelFamilyBase<M extends FamilyModel> {
  /** Name in `gennet models` and in saved model folders. */
  readonly name: string;
  /** One line for `gennet models`. */
  readonly description: string;
  /** The spec syntax (`ngram:N`) and an example (`ngram:5`). */
  readonly spec: { syntax: string; example: string };
  readonly supports: FamilySupport;
  /** The engines that run it, fastest first (none: it runs on its own, with no engine or backend). */
  readonly engines: readonly string[];
  /** Reads a spec of this family (`ngram:5`); null when the spec is another family's; throws naming what is wrong. */
  parseSpec(spec: string): ModelSpec | null;
  /** The spec the old flags describe (`--cell`, `--layers`, `--units`, `--order`), when they describe this family. */
  specFromFlags?(flags: Readonly<Record<string, unknown>>): string | null;
  /** Whether `model` is one of this family's. */
  owns(model: FamilyModel): model is M;
  /** Whether a model folder's parsed `config.json` holds one of this family's models. */
  ownsRecord(record: Readonly<Record<string, unknown>>): boolean;
  /** The keys of `config.json` that describe its model (beside the common header, the run and any encoder). */
  readonly recordKeys: readonly string[];
  /** A stepper advancing `rows` sequences of `model` (on `engine`, for families that have engines). */
  openStepper(model: M, engine: EngineChoice, rows: number): Stepper;
  describe(model: M): ModelDescription;
}

/** A network's settings: each network family has its own, tagged with its name (absent in older recurrent ones). */
export interface NetworkConfig {
  family?: string;
  vocabSize: number;
  seed: number;
}

/**
 * The sizes of a network that set what a training run of it takes in memory (with an engine's `EngineMemory`, see
 * `train/memory.ts`).
 */
export interface TrainingShape {
  /** Trainable parameters (as `countParams()` of the built network). */
  params: number;
  /**
   * Gradient values a tape-based engine (tfjs-layers') keeps for one pass: one gradient per read of a weight, and a
   * recurrent layer's weights are read at every time step.
   */
  tapeGradients: number;
  /**
   * Floats the reference engine (tfjs-layers, on wasm) keeps per token of a batch at its peak: activations for the
   * backward pass and their gradients, measured (other engines keep a share of them, see `EngineMemory`).
   */
  floatsPerToken: number;
}

/** A network with its vocabulary and settings: what gradient training, checkpoints and model folders take. */
export interface NetworkModel<C extends NetworkConfig = NetworkConfig> extends FamilyModel {
  network: tf.LayersModel;
  config: C;
}

/** A family of networks, trained by the engines' gradient steps and saved as a TensorFlow.js layers model. */
export interface NetworkFamily<C extends NetworkConfig = NetworkConfig> extends ModelFamilyBase<NetworkModel<C>> {
  readonly training: 'steps';
  /**
   * The complete, checked settings of a new network from a spec's settings and other given ones (`embeddingDim`,
   * `dropout`, `seed`…; those that mean nothing to the family are refused), for a vocabulary.
   */
  resolveConfig(given: Readonly<Record<string, unknown>>, vocab: Pick<Vocabulary, 'size' | 'unit'>): C;
  /** The settings recorded in a model folder (`config.json`'s `model`), checked; `where` names the file in errors. */
  readConfig(record: unknown, where: string): C;
  /** A new network of these settings, its weights initialised from the seed. */
  build(config: C): tf.LayersModel;
  /**
   * The sizes of the network these settings build, trained on sequences of `seqLen` tokens, without building it (a
   * large one takes minutes to build).
   */
  trainingShape(config: C, seqLen: number): TrainingShape;
  /** The layout of the state a row can start from (conditions, an encoder); null when the family takes none. */
  stateLayout(config: C): StateLayout | null;
  /**
   * The longest sequence a network of this spec reads (a GPT's context): a run trains on sequences that long unless
   * told a length, and refuses a longer one. Absent: any length.
   */
  longestSequence?(spec: ModelSpec): number;
  /**
   * A new source encoder whose output is this network's initial state (for a sequence-to-sequence model of sources of
   * `vocabSize` tokens, at most `maxLen` long); absent when the family cannot be a decoder.
   */
  buildSourceEncoder?(
    config: C,
    source: { vocabSize: number; maxLen: number },
  ): { config: SequenceEncoderConfig; encoder: tf.LayersModel };
}

/** A family whose models are counted in one pass over the training text (no gradient steps, no engine). */
export interface CountedFamily<M extends FamilyModel = FamilyModel> extends ModelFamilyBase<M> {
  readonly training: 'counts';
  /** The files of its own in a model folder (beside `vocab.json` and `config.json`). */
  readonly files: readonly string[];
  /**
   * Counts a model of `spec` on the training split of `data`, in batches of `batchSize` rows (which do not change it).
   */
  fit(spec: ModelSpec, data: TokenData, batchSize: number): M;
  /** Mean loss per real target token (nats) over `batches`. */
  loss(model: M, batches: Iterable<Batch>): number;
  /** Its files in a model folder and what `config.json` records of it (beside the vocabulary, which is common). */
  toFiles(model: M): { record: Record<string, unknown>; files: Record<string, Uint8Array> };
  /** The model of a folder's files, checked; `record` is the parsed `config.json`, `vocab` its checked vocabulary. */
  fromFiles(dir: string, files: FileSource, record: Readonly<Record<string, unknown>>, vocab: Vocabulary): M;
  /**
   * The vocabulary size the `config.json` of the model folder `dir` says the model has (checked against `vocab.json`).
   */
  vocabSizeOf(record: Readonly<Record<string, unknown>>, dir: string): number;
}

/** Any family. */
export type ModelFamily = NetworkFamily | CountedFamily;

/** The files of one model save, by name; null for a missing one. */
export interface FileSource {
  file(name: string): Uint8Array | null;
}

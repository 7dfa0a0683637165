import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../random';
import { OneHot, SeededDropout, TokenEmbedding } from './layers';
import { CellType, cellNamed } from './cells';
import { GramSchmidtOrthogonal } from './initializers';
import { ATTENTIONS, type AttentionKind, attentionLayer } from './attention';

/** How token ids enter the network: one-hot vectors (the lesson's choice for characters) or a learned embedding. */
export const INPUTS = ['onehot', 'embedding'] as const;
/** An input encoding. */
export type InputEncoding = (typeof INPUTS)[number];

/** Everything needed to rebuild a generator network; saved in every artifact. */
export interface ModelConfig {
  /**
   * The model family (see `families/`): absent or `recurrent` (recurrent networks were the only family before
   * families had names).
   */
  family?: 'recurrent';
  vocabSize: number;
  cell: CellType;
  layers: number;
  units: number;
  input: InputEncoding;
  /** Size of the embedding vectors (only for `input: 'embedding'`). */
  embeddingDim: number;
  /** Dropout rate between layers during training, in [0, 1). */
  dropout: number;
  /** Seed for weight initialisation and dropout masks. */
  seed: number;
  /**
   * A sequence-to-sequence decoder's attention over its encoder's outputs (absent: none — the decoder sees its source
   * only through the state the encoder leaves it, as every model saved before attention).
   */
  attention?: Exclude<AttentionKind, 'none'>;
  /**
   * A sequence-to-sequence model whose source encoder reads the source both ways (half the units each way; absent:
   * forward only, as every model saved before it).
   */
  bidirectional?: true;
  /**
   * A sequence-to-sequence model's dropout on its source encoder's outputs, in (0, 1) (see `SequenceEncoderConfig`;
   * absent: none, as every model saved before it).
   */
  encoderDropout?: number;
}

/** Defaults of the lesson: one LSTM layer of 128 units over one-hot characters. */
export const DEFAULT_MODEL_CONFIG: Omit<ModelConfig, 'vocabSize'> = {
  cell: 'lstm',
  layers: 1,
  units: 128,
  input: 'onehot',
  embeddingDim: 64,
  dropout: 0,
  seed: 42,
};

/** Checks a model configuration and returns it complete, or throws an error that names the bad field. */
export function resolveModelConfig(config: Partial<ModelConfig> & { vocabSize: number }): ModelConfig {
  const full: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...config };
  const positiveInt = (value: number, field: string) => {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`Model ${field} must be a whole number ≥ 1, got ${value}.`);
  };
  positiveInt(full.vocabSize, 'vocabSize');
  positiveInt(full.layers, 'layers');
  positiveInt(full.units, 'units');
  positiveInt(full.embeddingDim, 'embeddingDim');
  cellNamed(full.cell);
  if (!INPUTS.includes(full.input)) throw new Error(`Unknown input "${full.input}". Use one of: ${INPUTS.join(', ')}.`);
  if (!(full.dropout >= 0 && full.dropout < 1)) throw new Error(`Dropout must be in [0, 1), got ${full.dropout}.`);
  if (!Number.isInteger(full.seed)) throw new Error(`Seed must be a whole number, got ${full.seed}.`);
  if (full.attention !== undefined && !(ATTENTIONS as readonly string[]).includes(full.attention))
    throw new Error(`Unknown attention "${full.attention}". Use one of: ${ATTENTIONS.join(', ')}.`);
  if ((full.attention as string | undefined) === 'none') delete full.attention;
  if ((full.bidirectional as boolean | undefined) === false) delete full.bidirectional;
  if (full.encoderDropout === 0) delete full.encoderDropout;
  if (full.encoderDropout !== undefined && !(full.encoderDropout > 0 && full.encoderDropout < 1))
    throw new Error(`Encoder dropout must be in [0, 1), got ${full.encoderDropout}.`);
  if (full.encoderDropout !== undefined && full.layers === 1 && full.attention === undefined)
    throw new Error(
      'Encoder dropout drops what the next encoder layer or the attention reads, and a one-layer encoder without ' +
        'attention has neither: add --attention or a layer, or drop --encoder-dropout.',
    );
  if (full.bidirectional !== undefined && full.bidirectional !== true)
    throw new Error(`The bidirectional setting is true or absent, got ${JSON.stringify(full.bidirectional)}.`);
  if (full.bidirectional === true && full.units % 2 !== 0)
    throw new Error(
      `A bidirectional encoder gives each direction half the units: give an even number of units (--units N or ` +
        `--model lstm:N), got ${full.units}.`,
    );
  return full;
}

/** Shape options: a training model takes any batch and length; a step model is stateful with a fixed batch. */
export interface BuildOptions {
  /** Build a stateful model for `batchSize` sequences that carries the recurrent state between calls. */
  stateful?: { batchSize: number };
}

function recurrentLayer(config: ModelConfig, index: number, stateful: boolean): tf.layers.Layer {
  // A stateful step model receives trained weights right away, so it skips the (slow) random initialisation.
  return cellNamed(config.cell).layer({
    units: config.units,
    returnSequences: true,
    stateful,
    name: `${config.cell}_${index + 1}`,
    kernelInitializer: stateful
      ? 'zeros'
      : tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, `kernel${index}`) }),
    recurrentInitializer: stateful
      ? 'zeros'
      : new GramSchmidtOrthogonal({ seed: deriveSeed(config.seed, `recurrent${index}`) }),
  });
}

/**
 * Builds a next-token generator: token ids `[batch, time]` → logits `[batch, time, vocabSize]`.
 *
 * Input (one-hot or embedding) → `layers` recurrent layers of `units` (dropout between them) → attention over an
 * encoder's outputs, for a decoder that has it → dense logits.
 * Outputs are logits, not probabilities, so samplers can apply a temperature before the softmax.
 */
export function buildGenerator(config: ModelConfig, options: BuildOptions = {}): tf.LayersModel {
  const stateful = options.stateful !== undefined;
  const input = stateful
    ? tf.input({ batchShape: [options.stateful!.batchSize, null], dtype: 'int32', name: 'tokens' })
    : tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  let x =
    config.input === 'onehot'
      ? (new OneHot({ depth: config.vocabSize, name: 'onehot' }).apply(input) as tf.SymbolicTensor)
      : (new TokenEmbedding({
          inputDim: config.vocabSize,
          outputDim: config.embeddingDim,
          seed: deriveSeed(config.seed, 'embedding'),
          name: 'embedding',
        }).apply(input) as tf.SymbolicTensor);
  for (let i = 0; i < config.layers; i++) {
    x = recurrentLayer(config, i, stateful).apply(x) as tf.SymbolicTensor;
    if (config.dropout > 0) {
      x = new SeededDropout({
        rate: config.dropout,
        seed: deriveSeed(config.seed, `dropout${i}`),
        name: `dropout_${i + 1}`,
      }).apply(x) as tf.SymbolicTensor;
    }
  }
  if (config.attention !== undefined) {
    // The encoder has the decoder's units, so its outputs are as wide as the decoder's states.
    x = attentionLayer(config.attention, {
      units: config.units,
      memoryWidth: config.units,
      seed: deriveSeed(config.seed, 'attention'),
      name: 'attention',
    }).apply(x) as tf.SymbolicTensor;
  }
  const logits = tf.layers
    .dense({
      units: config.vocabSize,
      name: 'logits',
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, 'logits') }),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: `${config.cell}_generator` });
}

/** The model summary as text (what `model.summary()` prints), for notebooks and logs. */
export function modelSummary(model: tf.LayersModel): string {
  const lines: string[] = [];
  model.summary(100, undefined, (line: string) => lines.push(line));
  return lines.join('\n');
}

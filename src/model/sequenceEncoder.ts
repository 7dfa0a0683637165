import * as tf from '@tensorflow/tfjs';
import { padSources, sourceLengths } from '../data/sourceData';
import { deriveSeed } from '../random';
import type { Vocabulary } from '../vocab';
import { cellNamed } from './cells';
import type { ModelConfig } from './generator';
import { GramSchmidtOrthogonal } from './initializers';
import { SeededDropout, TokenEmbedding, TrimPadding } from './layers';
import type { RowStart } from './stepper';

/** Everything needed to rebuild the encoder of a sequence-to-sequence model; saved with it. */
export interface SequenceEncoderConfig {
  /** Tokens of the source vocabulary (specials included). */
  vocabSize: number;
  /** Source tokens the encoder reads at most (the longest training source): a source is padded to it. */
  maxLen: number;
  /** Size of the source tokens' learned vectors. */
  embeddingDim: number;
  /** Seed of the encoder's initial weights and dropout masks. */
  seed: number;
  /**
   * Rate of the dropout on the outputs of every layer below the top, and of the top one when the decoder attends to
   * them (never on the final states); absent in models saved before it: none.
   */
  dropout?: number;
}

/** The decoder settings an encoder is built for. */
type EncodedFor = Pick<ModelConfig, 'cell' | 'layers' | 'units' | 'attention' | 'bidirectional'>;

/**
 * Recurrent layer `i` of the encoder: the decoder's cell and units, returning its outputs and final states; reading
 * both ways (half the units each way, outputs side by side) for a bidirectional encoder.
 */
function encoderLayer(config: SequenceEncoderConfig, decoder: EncodedFor, i: number): tf.layers.Layer {
  const bidirectional = decoder.bidirectional !== undefined;
  // A bidirectional layer's directions are initialised after the build (see seedDirections): zeros here.
  const layer = cellNamed(decoder.cell).layer({
    units: bidirectional ? decoder.units / 2 : decoder.units,
    returnSequences: true,
    returnState: true,
    stateful: false,
    name: `encoder_${decoder.cell}_${i + 1}`,
    kernelInitializer: bidirectional
      ? 'zeros'
      : tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, `encoder kernel${i}`) }),
    recurrentInitializer: bidirectional
      ? 'zeros'
      : new GramSchmidtOrthogonal({ seed: deriveSeed(config.seed, `encoder recurrent${i}`) }),
  });
  if (!bidirectional) return layer;
  return tf.layers.bidirectional({
    layer: layer as tf.RNN,
    mergeMode: 'concat',
    name: `encoder_bidirectional_${i + 1}`,
  });
}

/**
 * The dropout after encoder layer `i` (see `SequenceEncoderConfig.dropout`), or null when it has none: its outputs
 * feed the next layer, or the top one's are the memory a decoder with attention reads.
 */
function encoderDropout(config: SequenceEncoderConfig, decoder: EncodedFor, i: number): SeededDropout | null {
  const rate = config.dropout ?? 0;
  if (rate === 0 || (i === decoder.layers - 1 && decoder.attention === undefined)) return null;
  return new SeededDropout({
    rate,
    seed: deriveSeed(config.seed, `encoder dropout${i}`),
    name: `encoder_dropout_${i + 1}`,
  });
}

/**
 * The many-to-many pattern's first half: an embedding of the source tokens (`<pad>` masked) read by recurrent layers
 * of the decoder's cell, layers and units; the final state of every layer is the decoder's initial state. Input
 * `[batch, maxLen]` source ids padded with `<pad>` (0) at the end; output `[batch, parts·units]`, row b holding its
 * state's arrays one after another in the decoder's layout (see `rowsToState`); a bidirectional encoder reads the source
 * both ways with half the units each, and each state joins its directions' halves. For a decoder with attention, a second
 * output: the top layer's outputs at every source position `[batch, length, units]` (the memory it attends to; what
 * it holds after a row's end is masked out). With `config.dropout`, the outputs of each layer pass a dropout before the
 * next layer or the attention reads them (see {@link encoderDropout}).
 */
export function buildSequenceEncoder(config: SequenceEncoderConfig, decoder: EncodedFor): tf.LayersModel {
  const input = tf.input({ shape: [config.maxLen], dtype: 'int32', name: 'source_ids' });
  const trimmed = new TrimPadding({ name: 'trim_padding' }).apply(input) as tf.SymbolicTensor;
  let x = new TokenEmbedding({
    inputDim: config.vocabSize,
    outputDim: config.embeddingDim,
    seed: deriveSeed(config.seed, 'source embedding'),
    name: 'source_embedding',
    maskZero: true,
  }).apply(trimmed) as tf.SymbolicTensor;
  const states: tf.SymbolicTensor[] = [];
  for (let i = 0; i < decoder.layers; i++) {
    const [sequence, ...final] = encoderLayer(config, decoder, i).apply(x) as tf.SymbolicTensor[];
    x = (encoderDropout(config, decoder, i)?.apply(sequence) as tf.SymbolicTensor | undefined) ?? sequence;
    if (decoder.bidirectional === undefined) states.push(...final);
    else {
      // [forward h, (c), backward h, (c)] → each state with its directions side by side, the decoder's width
      const half = final.length / 2;
      for (let k = 0; k < half; k++)
        states.push(
          tf.layers
            .concatenate({ name: `encoder_state_${i + 1}_${k + 1}` })
            .apply([final[k], final[half + k]]) as tf.SymbolicTensor,
        );
    }
  }
  const output =
    states.length === 1
      ? states[0]
      : (tf.layers.concatenate({ name: 'encoder_state' }).apply(states) as tf.SymbolicTensor);
  const outputs = decoder.attention === undefined ? output : [output, x];
  const model = tf.model({ inputs: input, outputs, name: 'sequence_encoder' });
  if (decoder.bidirectional !== undefined) seedDirections(model, config.seed);
  return model;
}

/**
 * Initialises both directions of each bidirectional layer, each from its own seeds: tfjs-layers builds the backward
 * direction from the forward layer's settings, so seeded initialisers would start both equal (and our orthogonal
 * one would come back as tfjs-layers' slower one).
 */
function seedDirections(model: tf.LayersModel, seed: number): void {
  model.layers
    .filter((layer) => layer.getClassName() === 'Bidirectional')
    .forEach((layer, i) => {
      const directions = layer as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
      for (const [direction, salt] of [
        [directions.forwardLayer, ''],
        [directions.backwardLayer, ' backward'],
      ] as const) {
        const [kernel, recurrent] = direction.trainableWeights;
        const initialValues = [
          tf.initializers.glorotUniform({ seed: deriveSeed(seed, `encoder kernel${i}${salt}`) }).apply(kernel.shape),
          new GramSchmidtOrthogonal({ seed: deriveSeed(seed, `encoder recurrent${i}${salt}`) }).apply(recurrent.shape),
        ];
        kernel.write(initialValues[0]);
        recurrent.write(initialValues[1]);
        tf.dispose(initialValues); // the variables hold their own reference to the values
      }
    });
}

/**
 * Where the decoder starts for each row of padded source ids `[rows, maxLen]` that `encoder` reads: the initial state
 * (one row, the engines' layout), and for a decoder with attention the memory of the row's real positions with it.
 */
export function encodeSources(encoder: tf.LayersModel, ids: Int32Array, maxLen: number): RowStart[] {
  const rows = ids.length / maxLen;
  const outputs = tf.tidy(() => {
    const out = encoder.apply(tf.tensor2d(ids, [rows, maxLen], 'int32'));
    return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
  });
  const [states, memory] = outputs.map((t) => t.dataSync() as Float32Array);
  const [, positions, width] = outputs[1]?.shape ?? [];
  tf.dispose(outputs);
  const lengths = sourceLengths(ids, rows);
  const size = states.length / Math.max(rows, 1);
  return Array.from({ length: rows }, (_, row): RowStart => {
    const state = states.slice(row * size, (row + 1) * size);
    if (memory === undefined) return state;
    const first = row * positions * width;
    const length = lengths[row];
    return { kind: 'memory', memory: memory.slice(first, first + length * width), length, width, state };
  });
}

/** A sequence-to-sequence model's encoder side: its settings, network and source vocabulary. */
export interface SourceEncoder {
  config: SequenceEncoderConfig;
  encoder: tf.LayersModel;
  vocab: Vocabulary;
}

/**
 * Where the decoder starts for each source text (see {@link encodeSources}): encoded with the source vocabulary
 * (unknown tokens become `<unk>`), padded, read by the encoder. Throws naming a source longer than the longest the
 * model was trained on.
 */
export function sourceStarts(source: SourceEncoder, texts: readonly string[]): RowStart[] {
  const { maxLen } = source.config;
  return encodeSources(
    source.encoder,
    padSources(
      texts.map((text) => source.vocab.encode(text)),
      maxLen,
    ),
    maxLen,
  );
}

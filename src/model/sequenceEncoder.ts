import * as tf from '@tensorflow/tfjs';
import { padSources } from '../data/sourceData';
import { deriveSeed } from '../random';
import type { Vocabulary } from '../vocab';
import { cellNamed } from './cells';
import type { ModelConfig } from './generator';
import { GramSchmidtOrthogonal } from './initializers';
import { TokenEmbedding, TrimPadding } from './layers';

/** Everything needed to rebuild the encoder of a sequence-to-sequence model; saved with it. */
export interface SequenceEncoderConfig {
  /** Tokens of the source vocabulary (specials included). */
  vocabSize: number;
  /** Source tokens the encoder reads at most (the longest training source): a source is padded to it. */
  maxLen: number;
  /** Size of the source tokens' learned vectors. */
  embeddingDim: number;
  /** Seed of the encoder's initial weights. */
  seed: number;
}

/**
 * The many-to-many pattern's first half: an embedding of the source tokens (`<pad>` masked) read by recurrent layers
 * of the decoder's cell, layers and units; the final state of every layer is the decoder's initial state. Input
 * `[batch, maxLen]` source ids padded with `<pad>` (0) at the end; output `[batch, parts·units]`, row b holding its
 * state's arrays one after another in the decoder's layout (see `rowsToState`).
 */
export function buildSequenceEncoder(
  config: SequenceEncoderConfig,
  decoder: Pick<ModelConfig, 'cell' | 'layers' | 'units'>,
): tf.LayersModel {
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
    const [sequence, ...final] = cellNamed(decoder.cell)
      .layer({
        units: decoder.units,
        returnSequences: true,
        returnState: true,
        stateful: false,
        name: `encoder_${decoder.cell}_${i + 1}`,
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, `encoder kernel${i}`) }),
        recurrentInitializer: new GramSchmidtOrthogonal({ seed: deriveSeed(config.seed, `encoder recurrent${i}`) }),
      })
      .apply(x) as tf.SymbolicTensor[];
    x = sequence;
    states.push(...final);
  }
  const output =
    states.length === 1
      ? states[0]
      : (tf.layers.concatenate({ name: 'encoder_state' }).apply(states) as tf.SymbolicTensor);
  return tf.model({ inputs: input, outputs: output, name: 'sequence_encoder' });
}

/** The initial states (one row each, the engines' layout) that `encoder` gives padded source ids `[rows, maxLen]`. */
export function encodeSources(encoder: tf.LayersModel, ids: Int32Array, maxLen: number): Float32Array[] {
  const rows = ids.length / maxLen;
  const out = tf.tidy(
    () => (encoder.apply(tf.tensor2d(ids, [rows, maxLen], 'int32')) as tf.Tensor).dataSync() as Float32Array,
  );
  const size = out.length / Math.max(rows, 1);
  return Array.from({ length: rows }, (_, row) => out.slice(row * size, (row + 1) * size));
}

/** A sequence-to-sequence model's encoder side: its settings, network and source vocabulary. */
export interface SourceEncoder {
  config: SequenceEncoderConfig;
  encoder: tf.LayersModel;
  vocab: Vocabulary;
}

/**
 * The decoder's initial state (one row each, the engines' layout) for each source text: encoded with the source
 * vocabulary (unknown tokens become `<unk>`), padded, read by the encoder. Throws naming a source longer than the
 * longest the model was trained on.
 */
export function sourceStates(source: SourceEncoder, texts: readonly string[]): Float32Array[] {
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

import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../data';
import type { LossAndGradients } from '../engine';
import { type EncoderParts, encoderParts } from '../networkParts';
import type { NativeLayout, NativeSeq2SeqSpec } from './addon';
import {
  addon,
  batchArguments,
  nativeLayout,
  recurrentUnsupportedReason,
  wholePassGradients,
  withLabelSmoothing,
} from './recurrentLayout';

/** A sequence-to-sequence model as the addon takes it: the decoder's variables, then the encoder's. */
export type NativeSeq2SeqLayout = NativeLayout<NativeSeq2SeqSpec>;

/** The encoder's variables in the addon's order: the embedding, then per layer each direction's kernels and bias. */
function encoderVariables(parts: EncoderParts): tf.LayerVariable[] {
  return [
    parts.embedding,
    ...parts.recurrent.flatMap((layer) =>
      [layer.forward, ...(layer.backward === null ? [] : [layer.backward])].flatMap((part) => [
        part.kernel,
        part.recurrentKernel,
        part.bias,
      ]),
    ),
  ];
}

/**
 * The decoder `generator` and its source `encoder` as one network for the addon's whole sequence-to-sequence steps,
 * or why they cannot be (a build without them, an encoder or decoder it does not run).
 */
export function nativeSeq2SeqLayout(
  generator: tf.LayersModel,
  encoder: tf.LayersModel,
): NativeSeq2SeqLayout | { reason: string } {
  if (addon().Seq2SeqTrainer === undefined)
    return { reason: 'this build of the addon predates sequence-to-sequence steps: rebuild it (npm run build:native)' };
  const reason = recurrentUnsupportedReason(generator);
  if (reason !== null) return { reason };
  const parts = encoderParts(encoder);
  if (parts === null) return { reason: `encoder "${encoder.name}" is not a source encoder the addon runs` };
  const decoder = nativeLayout(generator);
  const [first] = parts.recurrent;
  const directions = parts.recurrent.flatMap((layer) => [layer.forward, layer.backward ?? layer.forward]);
  if (directions.some((part) => part.cell.name !== decoder.spec.cell || part.gate !== first.forward.gate))
    return { reason: 'an encoder whose cell or gates differ from its decoder' };
  const bidirectional = first.backward !== null;
  const units = first.forward.recurrentKernel.shape[0]!;
  if (parts.recurrent.some((layer) => (layer.backward !== null) !== bidirectional))
    return { reason: 'an encoder whose layers do not all read the same ways' };
  if (directions.some((part) => part.recurrentKernel.shape[0] !== units))
    return { reason: 'encoder layers of different sizes' };
  if (parts.recurrent.length !== decoder.spec.layers || units * (bidirectional ? 2 : 1) !== decoder.spec.units)
    return { reason: "an encoder whose layers or width differ from its decoder's" };
  const variables = encoderVariables(parts);
  if (variables.some((v, i) => encoder.trainableWeights[i] !== v))
    return { reason: 'encoder weights in an order other than embedding, layers' };
  const dropout = encoderDropoutRate(parts, (decoder.spec.attention ?? 0) > 0);
  if (dropout === null)
    return { reason: 'encoder dropout other than one rate after every layer (the top one only when attended)' };
  if (dropout > 0 && addon().seq2seqEncoderDropout !== true)
    return { reason: 'encoder dropout, which this build of the addon predates: rebuild it (npm run build:native)' };
  const spec: NativeSeq2SeqSpec = {
    decoder: decoder.spec,
    encoder: {
      cell: decoder.spec.cell,
      gate: decoder.spec.gate,
      layers: parts.recurrent.length,
      units,
      bidirectional,
      vocab: parts.embedding.shape[0]!,
      embed: parts.embedding.shape[1]!,
      dropout,
    },
  };
  // The decoder's seeds (zeros when it has no dropout), then one per encoder dropout layer.
  const nextDropoutSeeds = () => {
    if (decoder.spec.dropout === 0 && dropout === 0) return null;
    const encoderSeeds = parts.recurrent.flatMap((layer) => (layer.dropout === null ? [] : [layer.dropout.nextSeed()]));
    return Uint32Array.from([...(decoder.nextDropoutSeeds() ?? new Uint32Array(decoder.spec.layers)), ...encoderSeeds]);
  };
  return { spec, variables: [...decoder.variables, ...variables], nextDropoutSeeds };
}

/**
 * The rate of the encoder's dropout as the addon runs it — one rate after every layer below the top, and after the top
 * one when the decoder attends to it (`attended`) — 0 for none, or null for any other placement.
 */
function encoderDropoutRate(parts: EncoderParts, attended: boolean): number | null {
  const last = parts.recurrent.length - 1;
  const rates = parts.recurrent.flatMap((layer) => (layer.dropout === null ? [] : [layer.dropout.rate]));
  if (rates.length === 0) return 0;
  const placed = parts.recurrent.every((layer, l) => (layer.dropout !== null) === (l < last || attended));
  return placed && rates.every((rate) => rate === rates[0]) ? rates[0] : null;
}

/**
 * The loss of a sequence-to-sequence batch and its gradients by variable name, both networks', computed by the
 * addon's whole pass (what its training steps run; `ids`: the rows' padded sources `[batch, maxLen]`), against
 * targets smoothed by `labelSmoothing`; the caller disposes the gradients. Throws saying why when the addon cannot run these networks.
 */
export function nativeSeq2SeqLossAndGradients(
  generator: tf.LayersModel,
  encoder: tf.LayersModel,
  batch: Batch,
  ids: Int32Array,
  threads: number,
  labelSmoothing = 0,
): LossAndGradients {
  return wholePassGradients(nativeSeq2SeqLayout(generator, encoder), (layout, weights) =>
    addon().seq2seqLossAndGradients!(
      { ...layout.spec, decoder: withLabelSmoothing(layout.spec.decoder, labelSmoothing) },
      weights,
      ...batchArguments(batch, threads),
      layout.nextDropoutSeeds(),
      ids,
      ids.length / batch.batchSize,
      true,
    ),
  );
}

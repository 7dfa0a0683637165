import * as tf from '@tensorflow/tfjs';
import { type NetworkParts, networkParts, partsUnsupportedReason } from '../networkParts';
import type { Batch } from '../../data';
import type { LossAndGradients } from '../engine';
import { type BatchArguments, type NativeLayout, type NativeSpec, nativeAddon } from './addon';

/** The addon, or an error saying why it cannot be loaded. */
export const addon = () => {
  const loaded = nativeAddon();
  if ('reason' in loaded) throw new Error(`The native engine is not available: ${loaded.reason}.`);
  return loaded.addon;
};

/**
 * `spec` with the training loss's label smoothing (the same object when it is 0); refuses it on a build of the addon
 * that would ignore it.
 */
export function withLabelSmoothing<S extends object>(spec: S, labelSmoothing: number): S {
  if (labelSmoothing === 0) return spec;
  if (addon().labelSmoothing !== true)
    throw new Error('This build of the native addon predates label smoothing: rebuild it (npm run build:native).');
  return { ...spec, labelSmoothing };
}

/** The dropout rate every recurrent layer shares (0 for none), or null when the layers' rates differ. */
function sharedDropoutRate(parts: NetworkParts): number | null {
  const rates = new Set(
    parts.recurrent.map((part) => (part.dropout === null ? 0 : Number(part.dropout.getConfig().rate))),
  );
  return rates.size === 1 ? [...rates][0] : null;
}

/**
 * A recurrent network (a decoder with or without attention) as the addon takes it: variables in the order of the
 * network's trainable weights (as optimizers see them); each dropout seed drawn counts a call on the model's dropout
 * layer, so a saved run's masks go on where they were.
 */
export function nativeLayout(network: tf.LayersModel): NativeLayout {
  const parts: NetworkParts = networkParts(network, 'native');
  const first = parts.recurrent[0];
  const spec: NativeSpec = {
    cell: first.cell.name,
    gate: first.gate === 'sigmoid' ? 0 : 1,
    layers: parts.recurrent.length,
    units: first.recurrentKernel.shape[0]!,
    vocab: parts.output.bias.shape[0]!,
    embed: parts.embedding === null ? 0 : parts.embedding.shape[1]!,
    dropout: sharedDropoutRate(parts) ?? 0,
    attention: parts.attention?.memoryWidth ?? 0,
    attentionKind: parts.attention?.kind === 'bahdanau' ? 1 : 0,
  };
  const variables = [
    ...(parts.embedding === null ? [] : [parts.embedding]),
    ...parts.recurrent.flatMap((part) => [part.kernel, part.recurrentKernel, part.bias]),
    ...(parts.attention?.trainableWeights ?? []),
    parts.output.kernel,
    parts.output.bias,
  ];
  const nextDropoutSeeds = () =>
    spec.dropout === 0 ? null : Uint32Array.from(parts.recurrent.map((part) => part.dropout!.nextSeed() >>> 0));
  return { spec, variables, nextDropoutSeeds };
}

/** Why the addon cannot run the recurrent `network`, beyond what the shared parts reader checks; null when it can. */
export function recurrentUnsupportedReason(network: tf.LayersModel): string | null {
  const reason = partsUnsupportedReason(network);
  if (reason !== null) return reason;
  const parts = networkParts(network, 'native');
  if (parts.attention !== null && addon().Seq2SeqTrainer === undefined)
    return 'attention, which this build of the addon predates: rebuild it (npm run build:native)';
  const cells = new Set(parts.recurrent.map((part) => part.cell.name));
  const gates = new Set(parts.recurrent.map((part) => part.gate));
  const known = addon().cells;
  if ([...cells].some((cell) => !known.includes(cell)))
    return `cell ${[...cells].join('/')} (the addon knows ${known.join(', ')})`;
  if (cells.size > 1 || gates.size > 1) return 'layers of different cells or gates';
  if (sharedDropoutRate(parts) === null) return 'dropout rates that differ between layers';
  if (new Set(parts.recurrent.map((part) => part.recurrentKernel.shape[0])).size > 1)
    return 'layers of different sizes';
  const { variables } = nativeLayout(network);
  if (variables.some((v, i) => network.trainableWeights[i] !== v))
    return 'trainable weights in an order other than input, layers, attention, output';
  return null;
}

/**
 * The network's current weights as plain arrays, in the addon's order (it only reads them; what it keeps it copies).
 */
export function weightArrays(variables: tf.LayerVariable[]): Float32Array[] {
  return variables.map((v) => v.read().dataSync() as Float32Array);
}

/** Gradients the addon returned (`arrays`, in the order of `variables`) as tensors named by their variables. */
export function namedGradients(variables: tf.LayerVariable[], arrays: Float32Array[]): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  arrays.forEach(
    (values, i) =>
      (grads[(variables[i].read() as tf.Variable).name] = tf.tensor(values, variables[i].shape as number[])),
  );
  return grads;
}

/** A batch and a thread count as the addon's passes take them. */
export function batchArguments(batch: Batch, threads: number): BatchArguments {
  return [batch.inputs, batch.targets, batch.mask, batch.batchSize, batch.seqLen, threads];
}

/**
 * The loss and named gradients of one whole pass of a generator with its encoder, laid out as `layout` (or an error
 * saying why the addon cannot run them): `pass` calls the addon with the layout and its weights.
 */
export function wholePassGradients<S>(
  layout: NativeLayout<S> | { reason: string },
  pass: (layout: NativeLayout<S>, weights: Float32Array[]) => { loss: number; grads: Float32Array[] | null },
): LossAndGradients {
  if ('reason' in layout) throw new Error(`The native engine cannot train this model in one pass: ${layout.reason}.`);
  const result = pass(layout, weightArrays(layout.variables));
  return { loss: result.loss, grads: namedGradients(layout.variables, result.grads ?? []) };
}

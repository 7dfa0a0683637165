import type * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../data';
import { cellNamed, conditionCount } from '../../model';
import type { LossAndGradients } from '../engine';
import type { NativeConditionalSpec, NativeLayout } from './addon';
import {
  addon,
  batchArguments,
  nativeLayout,
  recurrentUnsupportedReason,
  wholePassGradients,
  withLabelSmoothing,
} from './recurrentLayout';

/** A conditional model as the addon takes it: the network's variables, then the condition encoder's. */
export type NativeConditionalLayout = NativeLayout<NativeConditionalSpec>;

/** The names of a condition encoder's layers (`buildConditionEncoder`): its table, the join and the dense layer. */
const LAYERS = ['condition_vectors', 'condition_join', 'initial_state'];

/**
 * The `generator` and its condition `encoder` (`buildConditionEncoder`'s) as one network for the addon's whole
 * conditional steps, or why they cannot be (a build without them, another encoder, a network it does not run).
 */
export function nativeConditionalLayout(
  generator: tf.LayersModel,
  encoder: tf.LayersModel,
): NativeConditionalLayout | { reason: string } {
  if (addon().ConditionalTrainer === undefined)
    return { reason: 'this build of the addon predates conditional steps: rebuild it (npm run build:native)' };
  const reason = recurrentUnsupportedReason(generator);
  if (reason !== null) return { reason };
  const names = encoder.layers.slice(1).map((layer) => layer.name);
  if (names.join() !== LAYERS.join()) return { reason: `encoder "${encoder.name}" is not a condition encoder` };
  const dense = encoder.getLayer('initial_state').getConfig();
  if (dense.activation !== 'tanh' || dense.useBias !== true)
    return { reason: 'a condition encoder whose dense layer is not tanh with a bias' };
  if (encoder.trainableWeights.length !== 3)
    return { reason: 'a condition encoder with other weights than table, kernel, bias' };
  const [table, kernel, bias] = encoder.trainableWeights;
  const network = nativeLayout(generator);
  if ((network.spec.attention ?? 0) > 0) return { reason: 'a conditional network with attention' };
  const spec: NativeConditionalSpec = {
    network: network.spec,
    values: table.shape[0]!,
    dim: table.shape[1]!,
    count: conditionCount(encoder),
  };
  const width = network.spec.layers * cellNamed(network.spec.cell).states * network.spec.units;
  if (kernel.shape.join() !== [spec.count * spec.dim, width].join() || bias.shape[0] !== width)
    return { reason: "a condition encoder whose output is not the network's state" };
  return { ...network, spec, variables: [...network.variables, table, kernel, bias] };
}

/**
 * The loss of a conditional batch and its gradients by variable name, both networks', computed by the addon's whole
 * pass (what its training steps run; `ids`: the rows' condition ids `[batch, conditions]`), against targets smoothed
 * by `labelSmoothing`; the caller disposes the gradients. Throws saying why when the addon cannot run these networks.
 */
export function nativeConditionalLossAndGradients(
  generator: tf.LayersModel,
  encoder: tf.LayersModel,
  batch: Batch,
  ids: Int32Array,
  threads: number,
  labelSmoothing = 0,
): LossAndGradients {
  return wholePassGradients(nativeConditionalLayout(generator, encoder), (layout, weights) =>
    addon().conditionalLossAndGradients!(
      { ...layout.spec, network: withLabelSmoothing(layout.spec.network, labelSmoothing) },
      weights,
      ...batchArguments(batch, threads),
      layout.nextDropoutSeeds(),
      ids,
      true,
    ),
  );
}

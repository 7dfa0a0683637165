import * as tf from '@tensorflow/tfjs';
import { cellOfLayerClass, isAttentionLayer, type MemoryTensors } from '../../model';
import { autodiffTraining } from '../autodiff';
import type { Engine } from '../engine';
import { sequenceLoss } from './sequenceLoss';
import { LayersStepper } from './stepper';

/**
 * The network's logits with each recurrent layer starting from its part of `initialState` (`[h]` or `[h, c]` per
 * layer, in order; null: zeros) through tfjs-layers' own `initialState` argument, and the attention layer (a decoder
 * that has one) reading `memory`; the layers of a generator form one chain.
 */
function applyFrom(
  network: tf.LayersModel,
  inputs: tf.Tensor,
  training: boolean,
  initialState: tf.Tensor2D[] | null,
  memory: MemoryTensors | null,
): tf.Tensor {
  let x = inputs;
  let next = 0;
  for (const layer of network.layers.slice(1)) {
    const cell = cellOfLayerClass(layer.getClassName());
    const start =
      cell === null || initialState === null ? {} : { initialState: initialState.slice(next, (next += cell.states)) };
    const attending = isAttentionLayer(layer) && memory !== null ? { memory } : {};
    x = layer.apply(x, { training, ...start, ...attending }) as tf.Tensor;
  }
  return x;
}

/**
 * The reference engine: tfjs-layers' own cells (`model.apply`), with tfjs' automatic gradients. It runs every
 * network tfjs-layers can build; the other engines are tested against it.
 */
export const layersEngine: Engine = {
  name: 'layers',
  description:
    "tfjs-layers' own cells and automatic gradients: runs any network, the reference the others are tested against",
  // Everything on the backend: its tape keeps each time step's gradient of the weights the step read.
  memory: { perParam: 17, perTapeGradient: 12, perTokenFloat: 4, heapPerParam: 17, heapPerTokenFloat: 4 },
  unavailableReason: () => null,
  unsupportedReason: () => null,
  ...autodiffTraining((network, batch, training, initialState, memory, labelSmoothing) =>
    tf.tidy(() => {
      const shape: [number, number] = [batch.batchSize, batch.seqLen];
      const inputs = tf.tensor2d(batch.inputs, shape, 'int32');
      const mask = batch.mask === null ? null : tf.tensor2d(batch.mask, shape, 'float32');
      const logits =
        initialState === null && memory === null
          ? (network.apply(inputs, { training }) as tf.Tensor)
          : applyFrom(network, inputs, training, initialState, memory);
      return sequenceLoss(logits, tf.tensor2d(batch.targets, shape, 'int32'), mask, labelSmoothing);
    }),
  ),
  createStepper: (network, config, batchSize) => new LayersStepper(network, config, batchSize),
};

export { sequenceLoss } from './sequenceLoss';
export { LayersStepper } from './stepper';

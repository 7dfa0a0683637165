import * as tf from '@tensorflow/tfjs';
import { autodiffTraining } from '../autodiff';
import type { Engine } from '../engine';
import { sequenceLoss } from './sequenceLoss';
import { LayersStepper } from './stepper';

/**
 * The reference engine: tfjs-layers' own cells (`model.apply`), with tfjs' automatic gradients. It runs every
 * network tfjs-layers can build; the other engines are tested against it.
 */
export const layersEngine: Engine = {
  name: 'layers',
  description: "tfjs-layers' own cells and automatic gradients: runs any network, the reference the others are tested against",
  unavailableReason: () => null,
  unsupportedReason: () => null,
  ...autodiffTraining((network, batch, training) =>
    tf.tidy(() => {
      const shape: [number, number] = [batch.batchSize, batch.seqLen];
      const inputs = tf.tensor2d(batch.inputs, shape, 'int32');
      const mask = batch.mask === null ? null : tf.tensor2d(batch.mask, shape, 'float32');
      return sequenceLoss(network.apply(inputs, { training }) as tf.Tensor, tf.tensor2d(batch.targets, shape, 'int32'), mask);
    }),
  ),
  createStepper: (network, config, batchSize) => new LayersStepper(network, config, batchSize),
};

export { sequenceLoss } from './sequenceLoss';
export { LayersStepper } from './stepper';

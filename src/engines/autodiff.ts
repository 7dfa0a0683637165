import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import type { Engine } from './engine';

/** Mean loss per real target token of a batch as a scalar tensor, differentiable in the network's variables. */
export type DifferentiableLoss = (network: tf.LayersModel, batch: Batch, training: boolean) => tf.Scalar;

/**
 * The training half of an engine whose loss is a TensorFlow.js computation: gradients come from tfjs' automatic
 * differentiation (`tf.variableGrads`) over the network's trainable variables.
 */
export function autodiffTraining(batchLoss: DifferentiableLoss): Pick<Engine, 'ownThreads' | 'lossAndGradients' | 'loss'> {
  return {
    ownThreads: false,
    lossAndGradients(network, batch) {
      const variables = network.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => batchLoss(network, batch, true), variables);
      const loss = value.dataSync()[0];
      value.dispose();
      return { loss, grads };
    },
    loss(network, batch) {
      const value = batchLoss(network, batch, false);
      const loss = value.dataSync()[0];
      value.dispose();
      return loss;
    },
  };
}

import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import { cellOfLayerClass, stateSize, type StateLayout } from '../model';
import type { Engine } from './engine';

/**
 * Mean loss per real target token of a batch as a scalar tensor, differentiable in the network's variables and in
 * `initialState` (the recurrent layers' starting states in order: per layer h, then c for LSTM, each `[batch, units]`;
 * null: zeros).
 */
export type DifferentiableLoss = (
  network: tf.LayersModel,
  batch: Batch,
  training: boolean,
  initialState: tf.Tensor2D[] | null,
) => tf.Scalar;

/** The state layout of a network's recurrent layers, read from the layers themselves. */
function networkStateLayout(network: tf.LayersModel): StateLayout {
  const recurrent = network.layers.flatMap((layer) => {
    const cell = cellOfLayerClass(layer.getClassName());
    return cell === null ? [] : [{ states: cell.states, units: Number(layer.getConfig().units) }];
  });
  return { parts: recurrent.reduce((n, r) => n + r.states, 0), units: recurrent[0]?.units ?? 0 };
}

/**
 * The training half of an engine whose loss is a TensorFlow.js computation: gradients come from tfjs' automatic
 * differentiation (`tf.variableGrads`) over the network's trainable variables and, when given, the initial state.
 */
export function autodiffTraining(
  batchLoss: DifferentiableLoss,
): Pick<Engine, 'ownThreads' | 'differentiatesOnTape' | 'lossAndGradients' | 'loss'> {
  return {
    ownThreads: false,
    differentiatesOnTape: true,
    lossAndGradients(network, batch, _threads, initialState = null) {
      const variables = network.trainableWeights.map((w) => w.read() as tf.Variable);
      const start = initialState === null ? null : stateVariable(network, batch, initialState);
      try {
        const { value, grads } = tf.variableGrads(
          () => batchLoss(network, batch, true, start && start.parts()),
          start ? [...variables, start.variable] : variables,
        );
        const loss = value.dataSync()[0];
        value.dispose();
        if (start === null) return { loss, grads };
        const { [start.variable.name]: stateGrad, ...weightGrads } = grads;
        const initialStateGrad = stateGrad.dataSync() as Float32Array;
        stateGrad.dispose();
        return { loss, grads: weightGrads, initialStateGrad };
      } finally {
        start?.variable.dispose();
      }
    },
    loss(network, batch, initialState = null) {
      const value = tf.tidy(() => {
        const state = initialState === null ? null : stateMatrix(network, batch, initialState);
        return batchLoss(network, batch, false, state && tf.split<tf.Tensor2D>(state.values, state.parts));
      });
      const loss = value.dataSync()[0];
      value.dispose();
      return loss;
    },
  };
}

/** The initial state as one tensor `[parts·batch, units]` (its arrays stacked) after checking its size. */
function stateMatrix(
  network: tf.LayersModel,
  batch: Batch,
  initialState: Float32Array,
): { values: tf.Tensor2D; parts: number } {
  const layout = networkStateLayout(network);
  const expected = stateSize(layout, batch.batchSize);
  if (initialState.length !== expected) {
    throw new Error(
      `The initial state of ${batch.batchSize} rows has ${expected} values (${layout.parts} arrays of ` +
        `${batch.batchSize}×${layout.units}), got ${initialState.length}.`,
    );
  }
  return { values: tf.tensor2d(initialState, [layout.parts * batch.batchSize, layout.units]), parts: layout.parts };
}

/** The initial state as one trainable tf.Variable, split into its arrays inside the loss. */
function stateVariable(network: tf.LayersModel, batch: Batch, initialState: Float32Array) {
  const { values, parts } = stateMatrix(network, batch, initialState);
  const variable = tf.variable(values, true); // holds its own reference to the values
  values.dispose();
  return { variable, parts: () => tf.split<tf.Tensor2D>(variable, parts) };
}

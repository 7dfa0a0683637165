import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import {
  attentionLayerOf,
  cellOfLayerClass,
  checkMemory,
  type EncoderMemory,
  type MemoryTensors,
  memoryTensors,
  stateSize,
  type StateLayout,
} from '../model';
import type { Engine } from './engine';

/**
 * Mean loss per real target token of a batch as a scalar tensor, differentiable in the network's variables, in
 * `initialState` (the recurrent layers' starting states in order: per layer h, then c for LSTM, each `[batch, units]`;
 * null: zeros) and in the encoder memory a decoder with attention reads (null for others); against targets smoothed
 * by `labelSmoothing` (see `Engine.lossAndGradients`; 0 in inference).
 */
export type DifferentiableLoss = (
  network: tf.LayersModel,
  batch: Batch,
  training: boolean,
  initialState: tf.Tensor2D[] | null,
  memory: MemoryTensors | null,
  labelSmoothing: number,
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
    lossAndGradients(network, batch, _threads, initialState = null, memory = null, labelSmoothing = 0) {
      const variables = network.trainableWeights.map((w) => w.read() as tf.Variable);
      const start = initialState === null ? null : stateVariable(network, batch, initialState);
      const attended = memory === null ? null : memoryVariable(network, memory, batch);
      try {
        const { value, grads } = tf.variableGrads(
          () => batchLoss(network, batch, true, start && start.parts(), attended && attended.tensors, labelSmoothing),
          [...variables, ...(start ? [start.variable] : []), ...(attended ? [attended.tensors.memory] : [])],
        );
        const loss = value.dataSync()[0];
        value.dispose();
        const taken = (variable: tf.Variable | undefined) => {
          if (variable === undefined) return undefined;
          const values = grads[variable.name].dataSync() as Float32Array;
          grads[variable.name].dispose();
          delete grads[variable.name];
          return values;
        };
        const initialStateGrad = taken(start?.variable);
        const memoryGrad = taken(attended?.tensors.memory);
        return {
          loss,
          grads,
          ...(initialStateGrad && { initialStateGrad }),
          ...(memoryGrad && { memoryGrad }),
        };
      } finally {
        start?.variable.dispose();
        if (attended !== null) tf.dispose([attended.tensors.memory, attended.tensors.mask]);
      }
    },
    loss(network, batch, initialState = null, _threads, memory = null) {
      const value = tf.tidy(() => {
        const state = initialState === null ? null : stateMatrix(network, batch, initialState);
        const attended = memory === null ? null : batchMemory(network, memory, batch);
        const parts = state && tf.split<tf.Tensor2D>(state.values, state.parts);
        return batchLoss(network, batch, false, parts, attended, 0);
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
  // One part is the variable itself: tfjs-core 4.x's gradient of a one-way split can be handed no output gradient
  // and fail ("Pass at least one tensor to concat"), as with a one-layer GRU or RNN decoder with attention.
  return { variable, parts: () => (parts === 1 ? [variable as tf.Tensor2D] : tf.split<tf.Tensor2D>(variable, parts)) };
}

/** The memory of a batch's rows as tensors, after checking it has one row per batch row, as wide as the attention's. */
function batchMemory(network: tf.LayersModel, memory: EncoderMemory, batch: Batch): MemoryTensors {
  const attention = attentionLayerOf(network);
  if (attention === null)
    throw new Error(`Network "${network.name}" has no attention: it takes no encoder memory (give none).`);
  checkMemory(memory, batch.batchSize, attention.memoryWidth);
  return memoryTensors(memory);
}

/** The memory as one trainable tf.Variable (and its mask), for its gradient. */
function memoryVariable(
  network: tf.LayersModel,
  memory: EncoderMemory,
  batch: Batch,
): { tensors: MemoryTensors & { memory: tf.Variable } } {
  const tensors = batchMemory(network, memory, batch);
  const variable = tf.variable<tf.Rank.R3>(tensors.memory, true);
  tensors.memory.dispose();
  return { tensors: { memory: variable, mask: tensors.mask } };
}

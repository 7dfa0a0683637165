import * as tf from '@tensorflow/tfjs';
import { OneHot, SeededDropout, TokenEmbedding } from '../layers';
import { GATE_ACTIVATIONS, GateActivation } from './gates';

/** One recurrent layer's weights and settings, and the dropout layer after it (if any). */
export interface RecurrentPart {
  className: 'LSTM' | 'GRU' | 'SimpleRNN';
  gate: GateActivation;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  dropout: SeededDropout | null;
}

/** The weights of a generator network, in the order the fast engine runs them. */
export interface NetworkParts {
  embedding: tf.LayerVariable | null;
  recurrent: RecurrentPart[];
  output: { kernel: tf.LayerVariable; bias: tf.LayerVariable };
}

const RECURRENT_CLASSES = ['LSTM', 'GRU', 'SimpleRNN'] as const;

function unsupported(layer: tf.layers.Layer, why: string): Error {
  return new Error(`The fast engine cannot run layer "${layer.name}" (${layer.getClassName()}): ${why}. Train it with engine "layers" (--engine layers).`);
}

function weightNamed(layer: tf.layers.Layer, suffix: string): tf.LayerVariable {
  const found = layer.trainableWeights.find((w) => w.originalName.endsWith(`/${suffix}`));
  if (found === undefined) throw unsupported(layer, `it has no trainable "${suffix}" weight`);
  return found;
}

function recurrentPart(layer: tf.layers.Layer): RecurrentPart {
  const className = layer.getClassName() as RecurrentPart['className'];
  const config = layer.getConfig();
  if (config.activation !== 'tanh') throw unsupported(layer, `activation "${config.activation}" (only tanh)`);
  const gate = (config.recurrentActivation ?? 'sigmoid') as GateActivation;
  if (!GATE_ACTIVATIONS.includes(gate)) throw unsupported(layer, `gate activation "${gate}"`);
  if (config.useBias === false) throw unsupported(layer, 'it has no bias');
  if (Number(config.dropout ?? 0) > 0 || Number(config.recurrentDropout ?? 0) > 0) throw unsupported(layer, 'in-cell dropout');
  if (config.stateful || config.goBackwards) throw unsupported(layer, 'stateful or backwards');
  return {
    className, gate, dropout: null,
    kernel: weightNamed(layer, 'kernel'),
    recurrentKernel: weightNamed(layer, 'recurrent_kernel'),
    bias: weightNamed(layer, 'bias'),
  };
}

function readParts(model: tf.LayersModel): NetworkParts {
  let embedding: tf.LayerVariable | null = null;
  const recurrent: RecurrentPart[] = [];
  let output: NetworkParts['output'] | null = null;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer' || layer instanceof OneHot) continue;
    if (layer instanceof TokenEmbedding) embedding = layer.trainableWeights[0];
    else if ((RECURRENT_CLASSES as readonly string[]).includes(layer.getClassName())) recurrent.push(recurrentPart(layer));
    else if (layer instanceof SeededDropout && recurrent.length > 0) recurrent[recurrent.length - 1].dropout = layer;
    else if (layer.getClassName() === 'Dense' && output === null) {
      if (layer.getConfig().activation !== 'linear') throw unsupported(layer, 'the logits layer must be linear');
      output = { kernel: weightNamed(layer, 'kernel'), bias: weightNamed(layer, 'bias') };
    } else throw unsupported(layer, 'no fast version of this layer');
  }
  if (recurrent.length === 0 || output === null) throw new Error(`The fast engine needs a generator network (recurrent layers and a logits layer); "${model.name}" is not one.`);
  return { embedding, recurrent, output };
}

const partsCache = new WeakMap<tf.LayersModel, NetworkParts>();

/**
 * The weights (the model's own variables) of a generator network, as the fast engine runs them: token input (one-hot,
 * or an embedding table) → recurrent layers (dropout between) → dense logits. Read once per model.
 * @throws when the network has a layer or setting the fast engine does not implement (the message names it).
 */
export function networkParts(model: tf.LayersModel): NetworkParts {
  let parts = partsCache.get(model);
  if (parts === undefined) {
    parts = readParts(model);
    partsCache.set(model, parts);
  }
  return parts;
}


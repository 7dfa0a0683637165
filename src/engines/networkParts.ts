import type * as tf from '@tensorflow/tfjs';
import {
  Cell,
  cellOfLayerClass,
  GATE_ACTIVATIONS,
  GateActivation,
  type DecoderAttention,
  isAttentionLayer,
  OneHot,
  SeededDropout,
  TokenEmbedding,
  TrimPadding,
} from '../model';

/** One recurrent layer's cell, weights and settings, and the dropout layer after it (if any). */
export interface RecurrentPart {
  cell: Cell;
  gate: GateActivation;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  dropout: SeededDropout | null;
}

/** The weights of a generator network, in the order the fast and native engines run them. */
export interface NetworkParts {
  embedding: tf.LayerVariable | null;
  recurrent: RecurrentPart[];
  /** A sequence-to-sequence decoder's attention over its encoder's outputs (after the top layer), or null. */
  attention: DecoderAttention | null;
  output: { kernel: tf.LayerVariable; bias: tf.LayerVariable };
}

/** Why the engines that read network parts cannot run a network: the layer and the setting. */
class Unsupported {
  readonly reason: string;
  constructor(layer: tf.layers.Layer, why: string) {
    this.reason = `layer "${layer.name}" (${layer.getClassName()}): ${why}`;
  }
}

function weightNamed(layer: tf.layers.Layer, suffix: string): tf.LayerVariable | Unsupported {
  return (
    layer.trainableWeights.find((w) => w.originalName.endsWith(`/${suffix}`)) ??
    new Unsupported(layer, `it has no trainable "${suffix}" weight`)
  );
}

function recurrentPart(layer: tf.layers.Layer, cell: Cell, backwards = false): RecurrentPart | Unsupported {
  const config = layer.getConfig();
  const gate = (config.recurrentActivation ?? 'sigmoid') as GateActivation;
  if (config.activation !== 'tanh')
    return new Unsupported(layer, `activation ${JSON.stringify(config.activation)} (only tanh)`);
  if (!GATE_ACTIVATIONS.includes(gate)) return new Unsupported(layer, `gate activation "${gate}"`);
  if (config.useBias === false) return new Unsupported(layer, 'it has no bias');
  if (Number(config.dropout ?? 0) > 0 || Number(config.recurrentDropout ?? 0) > 0)
    return new Unsupported(layer, 'in-cell dropout');
  if (config.stateful || Boolean(config.goBackwards) !== backwards)
    return new Unsupported(layer, 'stateful or backwards');
  const kernel = weightNamed(layer, 'kernel');
  if (kernel instanceof Unsupported) return kernel;
  const recurrentKernel = weightNamed(layer, 'recurrent_kernel');
  if (recurrentKernel instanceof Unsupported) return recurrentKernel;
  const bias = weightNamed(layer, 'bias');
  if (bias instanceof Unsupported) return bias;
  return { cell, gate, dropout: null, kernel, recurrentKernel, bias };
}

function readParts(model: tf.LayersModel): NetworkParts | Unsupported | string {
  let embedding: tf.LayerVariable | null = null;
  const recurrent: RecurrentPart[] = [];
  let output: NetworkParts['output'] | null = null;
  let attention: DecoderAttention | null = null;
  for (const layer of model.layers) {
    const cell = cellOfLayerClass(layer.getClassName());
    if (layer.getClassName() === 'InputLayer' || layer instanceof OneHot) continue;
    if (layer instanceof TokenEmbedding) embedding = layer.trainableWeights[0];
    else if (cell !== null) {
      const part = recurrentPart(layer, cell);
      if (part instanceof Unsupported) return part;
      recurrent.push(part);
    } else if (layer instanceof SeededDropout && recurrent.length > 0) recurrent[recurrent.length - 1].dropout = layer;
    else if (isAttentionLayer(layer) && output === null) attention = layer;
    else if (layer.getClassName() === 'Dense' && output === null) {
      if (layer.getConfig().activation !== 'linear') return new Unsupported(layer, 'the logits layer must be linear');
      const [kernel, bias] = [weightNamed(layer, 'kernel'), weightNamed(layer, 'bias')];
      if (kernel instanceof Unsupported) return kernel;
      if (bias instanceof Unsupported) return bias;
      output = { kernel, bias };
    } else return new Unsupported(layer, 'no fast version of this layer');
  }
  if (recurrent.length === 0 || output === null)
    return `network "${model.name}", which is not a generator (it needs recurrent layers and a logits layer)`;
  return { embedding, recurrent, attention, output };
}

const partsCache = new WeakMap<tf.LayersModel, NetworkParts | string>();

/** The parts of `model`, or why the fast engine cannot run it; read once per model. */
function partsOrReason(model: tf.LayersModel): NetworkParts | string {
  let parts = partsCache.get(model);
  if (parts === undefined) {
    const read = readParts(model);
    parts = read instanceof Unsupported ? read.reason : read;
    partsCache.set(model, parts);
  }
  return parts;
}

/** Why a network is not made of parts the fast and native engines know, or null when it is. */
export function partsUnsupportedReason(model: tf.LayersModel): string | null {
  const parts = partsOrReason(model);
  return typeof parts === 'string' ? parts : null;
}

/**
 * The weights (the model's own variables) of a generator network, as the fast and native engines run them: token
 * input (one-hot, or an embedding table) → recurrent layers (dropout between) → attention (a decoder that has it) →
 * dense logits.
 * @throws when the network has a layer or setting they do not implement (the message names it and `engine`).
 */
export function networkParts(model: tf.LayersModel, engine: string): NetworkParts {
  const parts = partsOrReason(model);
  if (typeof parts === 'string')
    throw new Error(`The ${engine} engine cannot run ${parts}. Use the engine "layers" (--engine layers) or "auto".`);
  return parts;
}

/**
 * One layer of a source encoder: its forward direction, its backward one when it reads both ways, and the dropout on
 * its outputs (if any).
 */
export interface EncoderLayerParts {
  forward: RecurrentPart;
  backward: RecurrentPart | null;
  dropout: SeededDropout | null;
}

/** The weights of a sequence-to-sequence model's source encoder (see `buildSequenceEncoder`), in the order they run. */
export interface EncoderParts {
  embedding: tf.LayerVariable;
  recurrent: EncoderLayerParts[];
}

/** The directions of a bidirectional wrapper (tfjs-layers keeps them in private fields). */
interface BidirectionalLayers {
  forwardLayer: tf.layers.Layer;
  backwardLayer: tf.layers.Layer;
}

/** The parts of an encoder layer (a recurrent layer, or a bidirectional one), or why they cannot be read. */
function encoderLayerParts(layer: tf.layers.Layer): EncoderLayerParts | Unsupported | null {
  if (layer.getClassName() === 'Bidirectional') {
    const { forwardLayer, backwardLayer } = layer as unknown as BidirectionalLayers;
    const cell = cellOfLayerClass(forwardLayer.getClassName());
    if (cell === null || layer.getConfig().mergeMode !== 'concat')
      return new Unsupported(layer, 'only concatenated directions of a recurrent layer');
    const forward = recurrentPart(forwardLayer, cell);
    const backward = recurrentPart(backwardLayer, cell, true);
    if (forward instanceof Unsupported) return forward;
    return backward instanceof Unsupported ? backward : { forward, backward, dropout: null };
  }
  const cell = cellOfLayerClass(layer.getClassName());
  if (cell === null) return null;
  const forward = recurrentPart(layer, cell);
  return forward instanceof Unsupported ? forward : { forward, backward: null, dropout: null };
}

const encoderCache = new WeakMap<tf.LayersModel, EncoderParts | null>();

/**
 * The parts of a source encoder built by `buildSequenceEncoder` (masked embedding → recurrent layers, one way or both
 * ways, dropout after them, their final states joined), or null for any other network; read once per model.
 */
export function encoderParts(model: tf.LayersModel): EncoderParts | null {
  if (!encoderCache.has(model)) {
    let embedding: tf.LayerVariable | null = null;
    const recurrent: EncoderLayerParts[] = [];
    let known = true;
    for (const layer of model.layers) {
      const part = encoderLayerParts(layer);
      if (layer instanceof TokenEmbedding) embedding = layer.trainableWeights[0];
      else if (part instanceof Unsupported) known = false;
      else if (part !== null) recurrent.push(part);
      else if (layer instanceof SeededDropout && recurrent.length > 0) recurrent[recurrent.length - 1].dropout = layer;
      else if (!(layer instanceof TrimPadding) && !['InputLayer', 'Concatenate'].includes(layer.getClassName()))
        known = false;
    }
    encoderCache.set(model, known && embedding !== null && recurrent.length > 0 ? { embedding, recurrent } : null);
  }
  return encoderCache.get(model)!;
}

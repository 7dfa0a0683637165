import * as tf from '@tensorflow/tfjs';
import { networkParts, partsUnsupportedReason } from '../engines';
import { FAMILY_REGISTRY, type FamilyModel, familyOf, recurrentFamily } from '../families';
import { cellNamed, type GeneratorModel, type ModelConfig } from '../model';
import type { Vocabulary } from '../vocab';

/** One recurrent layer's weights in gennet's (tfjs-layers') layout: gate blocks of `units` columns in its order. */
export interface LayerWeights {
  /** `[input, gates·units]`. */
  kernel: Float32Array;
  /** `[units, gates·units]`. */
  recurrentKernel: Float32Array;
  /** `[gates·units]`. */
  bias: Float32Array;
}

/**
 * A recurrent generator's weights as plain arrays in gennet's layout, with its settings: what the exporters read and
 * the importers write, so that neither touches tfjs-layers.
 */
export interface RecurrentWeights {
  config: ModelConfig;
  /** `[vocabSize, embeddingDim]`, or null for one-hot input. */
  embedding: Float32Array | null;
  layers: LayerWeights[];
  /** The logits layer: kernel `[units, vocabSize]`, bias `[vocabSize]`. */
  output: { kernel: Float32Array; bias: Float32Array };
}

/**
 * The weights of a plain recurrent generator (not conditional, not sequence-to-sequence: their encoders do not
 * export); throws naming what is not exportable.
 */
export function readRecurrentWeights(model: FamilyModel): RecurrentWeights {
  const family = familyOf(model);
  if (!family.supports.export || !recurrentFamily.owns(model)) {
    const can = FAMILY_REGISTRY.filter((f) => f.supports.export).map((f) => f.name);
    throw new Error(`Models of the ${family.name} family do not export; the families that do: ${can.join(', ')}.`);
  }
  const { conditions, source } = model as { conditions?: unknown; source?: unknown };
  if ((conditions ?? null) !== null || (source ?? null) !== null)
    throw new Error(
      'Conditional and sequence-to-sequence models do not export: their encoders have no counterpart in the ' +
        'exported network. Export a plain language model.',
    );
  const unsupported = partsUnsupportedReason(model.network);
  if (unsupported !== null) throw new Error(`This network does not export: ${unsupported}.`);
  const parts = networkParts(model.network, 'export');
  if (parts.recurrent.some((part) => part.gate !== 'sigmoid'))
    throw new Error(
      "This network's gates use tfjs-layers' hardSigmoid (gennet trains sigmoid gates, as PyTorch's cells have " +
        'them): retrain it with this release to export it.',
    );
  const values = (variable: tf.LayerVariable) => (variable.read().dataSync() as Float32Array).slice();
  return {
    config: model.config,
    embedding: parts.embedding === null ? null : values(parts.embedding),
    layers: parts.recurrent.map((part) => ({
      kernel: values(part.kernel),
      recurrentKernel: values(part.recurrentKernel),
      bias: values(part.bias),
    })),
    output: { kernel: values(parts.output.kernel), bias: values(parts.output.bias) },
  };
}

/** Throws unless every array of `weights` has the size its settings say (`where` names the source in errors). */
function checkWeightSizes(weights: RecurrentWeights, where: string): void {
  const { config } = weights;
  const width = cellNamed(config.cell).gates * config.units;
  const check = (what: string, array: Float32Array | null, size: number) => {
    if (array !== null && array.length !== size)
      throw new Error(`${where}: ${what} holds ${array.length} values, the settings say ${size}.`);
  };
  if (weights.layers.length !== config.layers)
    throw new Error(`${where}: ${weights.layers.length} layers of weights for ${config.layers} layers.`);
  check('the embedding', weights.embedding, config.vocabSize * config.embeddingDim);
  const input = config.input === 'embedding' ? config.embeddingDim : config.vocabSize;
  weights.layers.forEach((layer, k) => {
    check(`layer ${k + 1}'s input weights`, layer.kernel, (k === 0 ? input : config.units) * width);
    check(`layer ${k + 1}'s recurrent weights`, layer.recurrentKernel, config.units * width);
    check(`layer ${k + 1}'s bias`, layer.bias, width);
  });
  check('the output weights', weights.output.kernel, config.units * config.vocabSize);
  check('the output bias', weights.output.bias, config.vocabSize);
}

/** A gennet generator holding `weights` (checked against their settings) over `vocab`. */
export function generatorOfWeights(weights: RecurrentWeights, vocab: Vocabulary, where: string): GeneratorModel {
  checkWeightSizes(weights, where);
  const network = recurrentFamily.build(weights.config);
  const parts = networkParts(network, 'import');
  const write = (variable: tf.LayerVariable, data: Float32Array) =>
    tf.tidy(() => {
      variable.write(tf.tensor(data, variable.shape as number[]));
    });
  if (parts.embedding !== null) write(parts.embedding, weights.embedding!);
  parts.recurrent.forEach((part, k) => {
    write(part.kernel, weights.layers[k].kernel);
    write(part.recurrentKernel, weights.layers[k].recurrentKernel);
    write(part.bias, weights.layers[k].bias);
  });
  write(parts.output.kernel, weights.output.kernel);
  write(parts.output.bias, weights.output.bias);
  return { network, vocab, config: weights.config };
}

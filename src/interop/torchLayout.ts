import { type CellType, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../model';
import { EOS_ID } from '../vocab';
import { fromGateRows, reorderGates, restoreGates, toGateRows, transpose } from './gateLayout';
import type { LayerWeights, RecurrentWeights } from './recurrentWeights';
import type { NamedTensor } from './safetensors';
import type { TorchVocabulary } from './torchVocabulary';

// gennet's recurrent generator as a PyTorch state dict, named as the lesson's PyTorch model names it: `rnn` (an
// nn.LSTM / nn.RNN, or model.py's ResetBeforeGRU) over one-hot tokens or an `embedding` (nn.Embedding), then `fc`
// (nn.Linear) — `rnn.weight_ih_l{k}` `[gates·units, input]`, `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`,
// `rnn.bias_hh_l{k}`, `fc.weight` `[vocab, units]`, `fc.bias`.

/**
 * For each cell, which of gennet's gate blocks PyTorch puts g-th. LSTM: both i, f, c (g), o. GRU: gennet (Keras)
 * z, r, h; PyTorch r, z, n. RNN: one block.
 */
const TORCH_GATE_ORDER: Record<CellType, readonly number[]> = { lstm: [0, 1, 2, 3], gru: [1, 0, 2], rnn: [0] };

/** The logit given to a gennet special token that the imported model has no row for: never chosen, loss finite. */
const ABSENT_TOKEN_LOGIT = -30;

/** Who wrote a PyTorch folder's `config.json`: an export (which the next export may replace) or model.py. */
export const WRITTEN_BY_EXPORT = 'gennet export';

/** The settings a PyTorch export folder's `config.json` records (snake case, read by model.py). */
export interface TorchConfig {
  format: 'gennet-pytorch';
  version: 1;
  /** {@link WRITTEN_BY_EXPORT}, or `model.py` for a folder PyTorch saved (never replaced by an export). */
  written_by: string;
  cell: CellType;
  layers: number;
  units: number;
  input: 'onehot' | 'embedding';
  embedding_dim: number | null;
  vocab_size: number;
  dropout: number;
  /** gennet's seed of the network (its dropout masks when it trains on in gennet). */
  seed: number;
  /** A GRU's reset gate acts before the recurrent matrix product (gennet, Keras `reset_after=False`). */
  gru_reset?: 'before';
}

/** The PyTorch state dict of `weights` (as `model.py`'s `Generator` names its parameters). */
export function toTorchTensors(weights: RecurrentWeights): Record<string, NamedTensor> {
  const { config } = weights;
  const order = TORCH_GATE_ORDER[config.cell];
  const width = order.length * config.units;
  const tensors: Record<string, NamedTensor> = {};
  if (weights.embedding !== null)
    tensors['embedding.weight'] = { shape: [config.vocabSize, config.embeddingDim], data: weights.embedding };
  weights.layers.forEach((layer, k) => {
    const input = layer.kernel.length / width;
    tensors[`rnn.weight_ih_l${k}`] = {
      shape: [width, input],
      data: toGateRows(layer.kernel, input, config.units, order),
    };
    tensors[`rnn.weight_hh_l${k}`] = {
      shape: [width, config.units],
      data: toGateRows(layer.recurrentKernel, config.units, config.units, order),
    };
    tensors[`rnn.bias_ih_l${k}`] = { shape: [width], data: reorderGates(layer.bias, config.units, order) };
    tensors[`rnn.bias_hh_l${k}`] = { shape: [width], data: new Float32Array(width) };
  });
  tensors['fc.weight'] = {
    shape: [config.vocabSize, config.units],
    data: transpose(weights.output.kernel, config.units, config.vocabSize),
  };
  tensors['fc.bias'] = { shape: [config.vocabSize], data: weights.output.bias };
  return tensors;
}

/** The `config.json` of a PyTorch export of `weights`. */
export function torchConfigOf({ config }: RecurrentWeights): TorchConfig {
  return {
    format: 'gennet-pytorch',
    version: 1,
    written_by: WRITTEN_BY_EXPORT,
    cell: config.cell,
    layers: config.layers,
    units: config.units,
    input: config.input,
    embedding_dim: config.input === 'embedding' ? config.embeddingDim : null,
    vocab_size: config.vocabSize,
    dropout: config.dropout,
    seed: config.seed,
    ...(config.cell === 'gru' ? { gru_reset: 'before' as const } : {}),
  };
}

/** A gate pre-activation that saturates its sigmoid to exactly 0 or 1 in float32. */
const SATURATED = 1e4;

/**
 * Sets the one-hot input row of `<eos>` (which starts every gennet generation and document) in layer 0's `kernel` so
 * that reading it from the zero state leaves the zero state — for a one-layer model that never saw it, whose documents
 * start from the zero state with their first token (the lesson's generator): LSTM input and output gates shut (forget
 * open), GRU update gate open (keep the state), RNN the negated bias.
 */
function neutralDocumentStart(kernel: Float32Array, bias: Float32Array, cell: CellType, units: number): void {
  const width = bias.length;
  const row = kernel.subarray(EOS_ID * width, (EOS_ID + 1) * width);
  const block = (gate: number, value: number) => row.fill(value, gate * units, (gate + 1) * units);
  if (cell === 'lstm') {
    block(0, -SATURATED);
    block(1, SATURATED);
    block(3, -SATURATED);
  } else if (cell === 'gru') block(0, SATURATED);
  else bias.forEach((b, j) => (row[j] = -b));
}

/** Rows of a `[torchTokens, cols]` matrix placed at gennet's ids (`[vocabSize, cols]`; missing rows zero). */
function placeRows(data: Float32Array, cols: number, gennetIds: readonly number[], vocabSize: number): Float32Array {
  const out = new Float32Array(vocabSize * cols);
  gennetIds.forEach((id, t) => out.set(data.subarray(t * cols, (t + 1) * cols), id * cols));
  return out;
}

/** The cell of a layer with `gates` blocks, from what `config.json` says (a GRU must say how it resets). */
function cellOf(gates: number, config: Partial<TorchConfig> | null, where: string): CellType {
  const cell = ({ 4: 'lstm', 3: 'gru', 1: 'rnn' } as Record<number, CellType>)[gates];
  if (cell === undefined)
    throw new Error(`${where}: a recurrent layer with ${gates} gate blocks is no LSTM, GRU or RNN.`);
  if (config?.cell !== undefined && config.cell !== cell)
    throw new Error(`${where}: config.json says ${config.cell}, the weights have the shape of a ${cell}.`);
  if (cell === 'gru' && config?.gru_reset !== 'before')
    throw new Error(
      `${where} holds a GRU. PyTorch's nn.GRU applies the reset gate after the recurrent matrix product, gennet's ` +
        "before it (as Keras' GRU with reset_after=False), so nn.GRU's weights do not carry over. Import an LSTM or " +
        "RNN, or a GRU trained with the ResetBeforeGRU of gennet's model.py (its config.json says gru_reset: before).",
    );
  return cell;
}

/** The tensors of a state dict gennet reads, checked: their names (nothing else) and shapes. */
class StateDict {
  private readonly used = new Set<string>();
  constructor(
    private readonly tensors: Record<string, NamedTensor>,
    private readonly where: string,
  ) {}

  /** Whether the state dict has `name`. */
  has(name: string): boolean {
    return name in this.tensors;
  }

  /** The shape of the tensor `name` (throws when there is none). */
  shapeOf(name: string): number[] {
    return this.tensor(name).shape;
  }

  /** The tensor `name`, or an error naming the tensors there are and the layout gennet reads. */
  private tensor(name: string): NamedTensor {
    const tensor = this.tensors[name];
    if (tensor === undefined)
      throw new Error(
        `${this.where} has no tensor "${name}" (it has ${Object.keys(this.tensors).slice(0, 8).join(', ')}…). ` +
          "gennet imports models laid out as the lesson's: rnn (nn.LSTM/nn.RNN), optional embedding, fc.",
      );
    return tensor;
  }

  /** The tensor `name` of shape `shape` (throws naming what is missing or wrong). */
  take(name: string, shape: readonly number[]): Float32Array {
    const tensor = this.tensor(name);
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i]))
      throw new Error(
        `${this.where}: "${name}" has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}].`,
      );
    this.used.add(name);
    return tensor.data;
  }

  /** Throws when tensors were left unread: a bidirectional or projected RNN, or another layout. */
  checkAllRead(): void {
    const left = Object.keys(this.tensors).filter((name) => !this.used.has(name));
    if (left.length > 0)
      throw new Error(
        `${this.where} holds tensors gennet has no place for: ${left.slice(0, 5).join(', ')}. gennet imports ` +
          'one-directional nn.LSTM/nn.RNN layers without projections, named rnn, with an optional embedding and fc.',
      );
  }
}

/** gennet's weights of a PyTorch state dict, and what the import could not carry exactly. */
export interface ImportedWeights {
  weights: RecurrentWeights;
  warnings: string[];
}

/**
 * gennet's weights of a PyTorch state dict laid out as `toTorchTensors` writes it (the lesson's model class too), its
 * tokens placed at gennet's ids; `config` is the folder's `config.json` when it has one.
 */
export function fromTorchTensors(
  tensors: Record<string, NamedTensor>,
  config: Partial<TorchConfig> | null,
  vocab: TorchVocabulary,
  where: string,
): ImportedWeights {
  const dict = new StateDict(tensors, where);
  const torchTokens = vocab.gennetIds.length;
  const vocabSize = vocab.vocab.size;
  const [rows, units] = dict.shapeOf('rnn.weight_hh_l0');
  const gates = rows / units;
  const cell = cellOf(gates, config, where);
  const order = TORCH_GATE_ORDER[cell];
  const width = gates * units;
  const embeddingDim = dict.has('embedding.weight')
    ? dict.shapeOf('embedding.weight')[1]
    : DEFAULT_MODEL_CONFIG.embeddingDim;
  const embedding = dict.has('embedding.weight') ? dict.take('embedding.weight', [torchTokens, embeddingDim]) : null;
  let layers = 0;
  while (dict.has(`rnn.weight_ih_l${layers}`)) layers++;
  const layerWeights: LayerWeights[] = [];
  for (let k = 0; k < layers; k++) {
    const input = k > 0 ? units : embedding === null ? torchTokens : embeddingDim;
    const bias = new Float32Array(width);
    for (const name of [`rnn.bias_ih_l${k}`, `rnn.bias_hh_l${k}`])
      if (dict.has(name)) dict.take(name, [width]).forEach((v, i) => (bias[i] += v));
    const gennetBias = restoreGates(bias, units, order);
    let kernel = fromGateRows(dict.take(`rnn.weight_ih_l${k}`, [width, input]), input, units, order);
    if (k === 0 && embedding === null) kernel = placeRows(kernel, width, vocab.gennetIds, vocabSize);
    const recurrent = fromGateRows(dict.take(`rnn.weight_hh_l${k}`, [width, units]), units, units, order);
    layerWeights.push({ kernel, recurrentKernel: recurrent, bias: gennetBias });
  }
  const warnings: string[] = [];
  if (!vocab.gennetIds.includes(EOS_ID)) {
    if (layers === 1 && embedding === null)
      neutralDocumentStart(layerWeights[0].kernel, layerWeights[0].bias, cell, units);
    else
      warnings.push(
        'the model has no <eos>, with which gennet starts every generation: its first step leaves the zero state, ' +
          "so gennet's text differs from PyTorch's (exact only for one layer over one-hot tokens)",
      );
  }
  const fc = dict.take('fc.weight', [torchTokens, units]);
  const fcBias = dict.has('fc.bias') ? dict.take('fc.bias', [torchTokens]) : new Float32Array(torchTokens);
  dict.checkAllRead();
  const outputBias = new Float32Array(vocabSize).fill(ABSENT_TOKEN_LOGIT);
  vocab.gennetIds.forEach((id, t) => (outputBias[id] = fcBias[t]));
  const modelConfig: ModelConfig = {
    vocabSize,
    cell,
    layers,
    units,
    input: embedding === null ? 'onehot' : 'embedding',
    embeddingDim,
    dropout: config?.dropout ?? 0,
    seed: config?.seed ?? DEFAULT_MODEL_CONFIG.seed,
  };
  const weights: RecurrentWeights = {
    config: modelConfig,
    embedding: embedding === null ? null : placeRows(embedding, embeddingDim, vocab.gennetIds, vocabSize),
    layers: layerWeights,
    output: { kernel: transpose(placeRows(fc, units, vocab.gennetIds, vocabSize), vocabSize, units), bias: outputBias },
  };
  return { weights, warnings };
}

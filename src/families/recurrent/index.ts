import { type EngineChoice, ENGINES, selectEngine } from '../../engines';
import {
  buildGenerator,
  buildSequenceEncoder,
  CELLS,
  cellNamed,
  type CellType,
  DEFAULT_MODEL_CONFIG,
  type GeneratorModel,
  type ModelConfig,
  resolveModelConfig,
  stateLayout,
} from '../../model';
import type { ModelSpec, NetworkFamily, TrainingShape } from '../family';

/** The settings a recurrent network has (`ModelConfig` without its vocabulary size). */
const SETTINGS = [
  'cell',
  'layers',
  'units',
  'input',
  'embeddingDim',
  'dropout',
  'seed',
  'attention',
  'bidirectional',
  'encoderDropout',
];

/** Whether network settings are a recurrent network's: named so, or by no family (saved before families had names). */
const isRecurrent = (config: { family?: unknown }) => (config.family ?? 'recurrent') === 'recurrent';

/** Reads `CELL`, `CELL:UNITS` or `CELL:LAYERSxUNITS` (a cell alone: one layer of 128 units). */
function parseSpec(spec: string): ModelSpec | null {
  const [cell, size, extra] = spec.split(':');
  if (!(CELLS as readonly string[]).includes(cell)) return null;
  const bad = () =>
    new Error(
      `Cannot read the model "${spec}": use ${CELLS.join('/')} ` +
        'with an optional :UNITS or :LAYERSxUNITS (e.g. lstm:2x256).',
    );
  const match = size === undefined ? ['', '1', String(DEFAULT_MODEL_CONFIG.units)] : /^(?:(\d+)x)?(\d+)$/.exec(size);
  if (extra !== undefined || match === null) throw bad();
  const [layers, units] = [Number(match[1] ?? 1), Number(match[2])];
  if (!(layers >= 1 && layers <= 16 && units >= 1 && units <= 4096)) throw bad();
  return { family: 'recurrent', label: spec, settings: { cell, layers, units } };
}

/**
 * The sizes of the network `buildGenerator` builds: the input (one-hot, or an embedding table), each layer's kernel,
 * recurrent kernel and bias (`gates` blocks of `units` columns, read at every step), the dense logits. tfjs-layers
 * keeps about 13 floats per value a token computes (its input, each layer's gates and output, its logits): the
 * gates before and after their activations, the cell's products and the gradients of each (measured: LSTMs of 256
 * and 512 units).
 */
function trainingShape(config: ModelConfig, seqLen: number): TrainingShape {
  const { gates } = cellNamed(config.cell);
  const { vocabSize, units, layers } = config;
  const input = config.input === 'embedding' ? config.embeddingDim : vocabSize;
  const layer = (width: number) => gates * units * (width + units + 1);
  const recurrent = layer(input) + (layers - 1) * layer(units);
  const embedding = config.input === 'embedding' ? vocabSize * config.embeddingDim : 0;
  return {
    params: embedding + recurrent + units * vocabSize + vocabSize,
    tapeGradients: seqLen * recurrent,
    floatsPerToken: 13 * (input + layers * units * (gates + 1) + vocabSize),
  };
}

/**
 * Recurrent networks — RNN, GRU or LSTM cells in layers over one-hot or embedded tokens — the lesson's generators,
 * run by every engine. Their state is what conditions and sequence-to-sequence encoders set, so they support both.
 */
export const recurrentFamily: NetworkFamily<ModelConfig> = {
  name: 'recurrent',
  description:
    "RNN, GRU or LSTM layers over one-hot or embedded tokens (the lesson's generators); conditional and " +
    'encoder–decoder models too',
  spec: { syntax: `${CELLS.join('|')}[:UNITS | :LAYERSxUNITS]`, example: 'lstm:2x256' },
  supports: { conditions: true, seq2seq: true, beam: true, page: true, export: true },
  engines: ENGINES,
  recordKeys: ['model'],
  training: 'steps',
  parseSpec,

  specFromFlags(flags) {
    const cell = flags.cell ?? DEFAULT_MODEL_CONFIG.cell;
    if (typeof cell !== 'string' || !(CELLS as readonly string[]).includes(cell)) return null;
    return `${cell}:${Number(flags.layers ?? 1)}x${Number(flags.units ?? DEFAULT_MODEL_CONFIG.units)}`;
  },

  // A recurrent network's settings may carry no family name: they were the only ones before families.
  owns: (model): model is GeneratorModel => 'network' in model && isRecurrent((model as GeneratorModel).config),
  ownsRecord: (record) => typeof record.model === 'object' && record.model !== null && isRecurrent(record.model),
  openStepper: (model, engine: EngineChoice, rows) =>
    selectEngine(engine, model.network).createStepper(model.network, model.config, rows),

  describe({ config, network }) {
    const input = config.input === 'embedding' ? `embedding ${config.embeddingDim}` : 'one-hot';
    const kind = config.cell.toUpperCase();
    const layers = `${config.layers} layer${config.layers === 1 ? '' : 's'}`;
    const attention =
      (config.bidirectional === undefined ? '' : ', bidirectional encoder') +
      (config.attention === undefined ? '' : `, ${config.attention} attention`);
    return {
      kind,
      shape: `${kind}, ${layers} × ${config.units} units, ${input} input${attention}`,
      layers: config.layers,
      units: config.units,
      input,
      order: null,
      params: network.countParams(),
    };
  },

  resolveConfig(given, vocab) {
    const unknown = Object.keys(given).filter((key) => !SETTINGS.includes(key));
    if (unknown.length > 0)
      throw new Error(`A recurrent network has no setting ${unknown.join(', ')} (it has ${SETTINGS.join(', ')}).`);
    return resolveModelConfig({
      ...DEFAULT_MODEL_CONFIG,
      input: vocab.unit === 'word' ? 'embedding' : 'onehot',
      ...(given as Partial<ModelConfig>),
      cell: (given.cell ?? DEFAULT_MODEL_CONFIG.cell) as CellType,
      vocabSize: vocab.size,
    });
  },

  readConfig: (record) => resolveModelConfig(record as ModelConfig),
  build: (config) => buildGenerator(config),
  trainingShape,
  stateLayout: (config) => stateLayout(config),

  buildSourceEncoder(config, { vocabSize, maxLen }) {
    // The encoder has the decoder's cell, layers and units: its final states are the decoder's initial state.
    const encoderConfig = {
      vocabSize,
      maxLen,
      embeddingDim: config.embeddingDim,
      seed: config.seed,
      ...(config.encoderDropout !== undefined && { dropout: config.encoderDropout }),
    };
    return { config: encoderConfig, encoder: buildSequenceEncoder(encoderConfig, config) };
  },
};

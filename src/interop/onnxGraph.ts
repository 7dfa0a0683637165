import { onnx } from 'onnx-proto';
import { type CellType } from '../model';
import type { Vocabulary } from '../vocab';
import { reorderGates, toGateRows } from './gateLayout';
import type { RecurrentWeights } from './recurrentWeights';

// A recurrent generator as an ONNX graph that a server steps token by token:
//   inputs  tokens int64 [batch, steps], h float [layers, batch, units] (and c, for an LSTM: its cell state)
//   outputs logits float [batch, steps, vocab], h_out, c_out: the state after the last step, to feed back as h, c.
// One-hot (OneHot) or embedded (Gather) tokens, one ONNX LSTM/GRU/RNN node per layer, a MatMul + Add for the logits.
// Opset 17, IR version 8 (ONNX 1.12+, every ONNX Runtime since 1.13). The vocabulary and the model's settings are
// in the model's metadata (`gennet.vocab`, `gennet.model`).

/** The ONNX operator set the graph uses. */
export const ONNX_OPSET = 17;
/** The ONNX IR version of the file. */
export const ONNX_IR_VERSION = 8;

/** For each cell, which of gennet's gate blocks ONNX puts g-th: LSTM i, o, f, c; GRU z, r, h (as gennet); RNN one. */
export const ONNX_GATE_ORDER: Record<CellType, readonly number[]> = { lstm: [0, 3, 1, 2], gru: [0, 1, 2], rnn: [0] };

const ONNX_OP: Record<CellType, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };

const { FLOAT, INT64 } = onnx.TensorProto.DataType;

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function intTensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: INT64, int64Data: values };
}

function valueInfo(name: string, type: number, dims: (number | string)[]): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: type, shape: { dim } } } };
}

/** Attribute helpers: an int or ints attribute called `name`. */
const attribute = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
  ints: (name: string, ints: number[]): onnx.IAttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints,
  }),
};

/** The ONNX model (its protobuf bytes) of `weights` over `vocab`; `metadata` adds string entries. */
export function onnxModelBytes(
  weights: RecurrentWeights,
  vocab: Vocabulary,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const { config } = weights;
  const { cell, units, vocabSize } = config;
  const order = ONNX_GATE_ORDER[cell];
  const width = order.length * units;
  const states = cell === 'lstm' ? ['h', 'c'] : ['h'];
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [intTensor('axis0', [1], [0]), intTensor('axis1', [1], [1])];
  const node = (opType: string, input: string[], output: string[], attributes: onnx.IAttributeProto[] = []) =>
    nodes.push({ opType, input, output, name: `${output[0]}_${opType}`, attribute: attributes });

  if (weights.embedding === null) {
    initializer.push(intTensor('depth', [1], [vocabSize]), floatTensor('on_off', [2], Float32Array.of(0, 1)));
    node('OneHot', ['tokens', 'depth', 'on_off'], ['inputs'], [attribute.int('axis', -1)]);
  } else {
    initializer.push(floatTensor('embedding', [vocabSize, config.embeddingDim], weights.embedding));
    node('Gather', ['embedding', 'tokens'], ['inputs']);
  }
  node('Transpose', ['inputs'], ['x0'], [attribute.ints('perm', [1, 0, 2])]);
  weights.layers.forEach((layer, k) => {
    const input = layer.kernel.length / width;
    const bias = new Float32Array(2 * width);
    bias.set(reorderGates(layer.bias, units, order));
    initializer.push(
      floatTensor(`W${k}`, [1, width, input], toGateRows(layer.kernel, input, units, order)),
      floatTensor(`R${k}`, [1, width, units], toGateRows(layer.recurrentKernel, units, units, order)),
      floatTensor(`B${k}`, [1, 2 * width], bias),
      intTensor(`at${k}`, [1], [k]),
      intTensor(`after${k}`, [1], [k + 1]),
    );
    for (const s of states) node('Slice', [s, `at${k}`, `after${k}`, 'axis0'], [`${s}${k}`]);
    node(
      ONNX_OP[cell],
      [`x${k}`, `W${k}`, `R${k}`, `B${k}`, '', ...states.map((s) => `${s}${k}`)],
      [`y${k}`, ...states.map((s) => `${s}_out${k}`)],
      [attribute.int('hidden_size', units)],
    );
    node('Squeeze', [`y${k}`, 'axis1'], [`x${k + 1}`]);
  });
  const last = `x${weights.layers.length}`;
  for (const s of states)
    node(
      'Concat',
      weights.layers.map((_, k) => `${s}_out${k}`),
      [`${s}_out`],
      [attribute.int('axis', 0)],
    );
  initializer.push(
    floatTensor('output_kernel', [units, vocabSize], weights.output.kernel),
    floatTensor('output_bias', [vocabSize], weights.output.bias),
  );
  node('Transpose', [last], ['features'], [attribute.ints('perm', [1, 0, 2])]);
  node('MatMul', ['features', 'output_kernel'], ['projected']);
  node('Add', ['projected', 'output_bias'], ['logits']);

  const stateDims = [config.layers, 'batch', units];
  const model: onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'gennet',
    graph: {
      name: `${cell}_generator`,
      node: nodes,
      initializer,
      input: [valueInfo('tokens', INT64, ['batch', 'steps']), ...states.map((s) => valueInfo(s, FLOAT, stateDims))],
      output: [
        valueInfo('logits', FLOAT, ['batch', 'steps', vocabSize]),
        ...states.map((s) => valueInfo(`${s}_out`, FLOAT, stateDims)),
      ],
    },
    metadataProps: Object.entries({
      'gennet.vocab': JSON.stringify(vocab.toJSON()),
      'gennet.model': JSON.stringify(config),
      'gennet.state': `${states.join(', ')}: [layers, batch, units], zeros at the start of a document`,
      ...metadata,
    }).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

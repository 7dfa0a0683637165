import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../src/backend';
import {
  decodeSafetensors,
  encodeSafetensors,
  exportOnnx,
  exportPytorch,
  fromGateRows,
  importPytorch,
  type NamedTensor,
  toGateRows,
  torchVocabulary,
} from '../src/interop';
import { type LoadedArtifact, loadArtifact } from '../src/io';
import type { ModelConfig } from '../src/model';
import { generate } from '../src/sample';
import { EOS_ID, PAD_ID, UNK_ID } from '../src/vocab';
import { FIXTURES, gennetLogits, maxDifference, promptRows, scratchFolder, weightsOf } from './interopFixtures';
import { torchReferenceLogits } from './torchReference';

/** The saved recurrent models of every cell and input: LSTM (2 layers, dropout), RNN (one-hot), GRU (embedding). */
const MODELS = ['char-lstm-dropout', 'char-rnn', 'word-gru-embedding'];
const PROMPTS: Record<string, string[]> = {
  'char-lstm-dropout': ['The ', 'whale', 'a'],
  'char-rnn': ['The ', 'whale', 'a'],
  'word-gru-embedding': ['the whale', 'I', 'and the sea'],
};
const work = scratchFolder;

/** Greedy text stepped through ONNX Runtime one token at a time, as gennet generates: `<eos>`, the prompt, argmax. */
async function onnxGreedy(session: ort.InferenceSession, model: LoadedArtifact, prompt: string, length: number) {
  const { layers, units, cell } = model.config as ModelConfig;
  let state: Record<string, ort.Tensor> = Object.fromEntries(
    (cell === 'lstm' ? ['h', 'c'] : ['h']).map((s) => [
      s,
      new ort.Tensor('float32', new Float32Array(layers * units), [layers, 1, units]),
    ]),
  );
  const feed = async (ids: number[]) => {
    const tokens = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
    const out = await session.run({ tokens, ...state });
    state = Object.fromEntries(Object.keys(state).map((s) => [s, out[`${s}_out`]]));
    const logits = out.logits.data as Float32Array;
    return logits.subarray(logits.length - model.vocab.size);
  };
  let logits = await feed([EOS_ID, ...model.vocab.encode(prompt)]);
  const history = Array.from(model.vocab.encode(prompt));
  let text = prompt;
  for (let n = 0; n < length; n++) {
    let best = -1;
    logits.forEach((v, id) => {
      if (id !== PAD_ID && id !== UNK_ID && (best < 0 || v > logits[best])) best = id;
    });
    if (best === EOS_ID) break;
    text += model.vocab.decodeStep(history, best);
    history.push(best);
    logits = await feed([best]);
  }
  return text;
}

test('safetensors: what is written reads back, float16/bfloat16/float64 read as float32, damage is named', () => {
  fc.assert(
    fc.property(fc.array(fc.float({ noNaN: true }), { minLength: 0, maxLength: 40 }), (values) => {
      const tensors: Record<string, NamedTensor> = {
        a: { shape: [values.length], data: Float32Array.from(values) },
        'b.weight': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      };
      const read = decodeSafetensors(encodeSafetensors(tensors, { k: 'v' }), 'x');
      assert.deepEqual(read.tensors, tensors);
      assert.deepEqual(read.metadata, { k: 'v' });
    }),
  );
  // A file of half, bfloat16 and double values, as Python's safetensors writes them.
  const header = Buffer.from(
    JSON.stringify({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
      d: { dtype: 'F64', shape: [1], data_offsets: [6, 14] },
    }),
  );
  const body = Buffer.alloc(14);
  body.writeUInt16LE(0x3c00, 0); // 1.0
  body.writeUInt16LE(0xc500, 2); // -5.0
  body.writeUInt16LE(0x4049, 4); // 3.140625
  body.writeDoubleLE(0.25, 6);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  const read = decodeSafetensors(new Uint8Array(Buffer.concat([length, header, body])), 'x');
  assert.deepEqual(Array.from(read.tensors.h.data), [1, -5]);
  assert.deepEqual(Array.from(read.tensors.b.data), [3.140625]);
  assert.deepEqual(Array.from(read.tensors.d.data), [0.25]);
  assert.throws(() => decodeSafetensors(new Uint8Array(4), 'w.safetensors'), /w.safetensors is not a readable.*8-byte/);
  const bad = encodeSafetensors({ a: { shape: [2], data: Float32Array.of(1, 2) } });
  assert.throws(() => decodeSafetensors(bad.subarray(0, bad.length - 1), 'w'), /does not fit its data_offsets/);
});

test('gate blocks reorder and transpose to PyTorch/ONNX layout and back (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom([0, 1, 2, 3], [0, 3, 1, 2], [1, 0, 2], [0]),
      (rows, units, order) => {
        const matrix = Float32Array.from({ length: rows * order.length * units }, (_, i) => i);
        const moved = toGateRows(matrix, rows, units, order);
        // Row (g, j) of the result is column (order[g], j) of the input.
        const g = order.length - 1;
        assert.equal(moved[g * units * rows], matrix[order[g] * units]);
        assert.deepEqual(fromGateRows(moved, rows, units, order), matrix);
      },
    ),
  );
});

for (const name of MODELS) {
  test(`ONNX export of ${name}: ONNX Runtime gives gennet's logits (≤ 1e-4) and its greedy text for 100 tokens`, async () => {
    await initBackend('wasm');
    const dir = work();
    const model = await loadArtifact(path.join(FIXTURES, name));
    try {
      const file = path.join(dir, 'model.onnx');
      await exportOnnx(path.join(FIXTURES, name), file);
      const session = await ort.InferenceSession.create(file);
      const saved = onnx.ModelProto.decode(readFileSync(file));
      const metadata = Object.fromEntries(saved.metadataProps.map((p) => [p.key, p.value])) as Record<string, string>;
      assert.deepEqual(JSON.parse(metadata['gennet.vocab']), model.vocab.toJSON());
      assert.deepEqual(JSON.parse(metadata['gennet.model']), model.config);
      const rows = promptRows(model, PROMPTS[name], 12);
      const { layers, units, cell } = model.config as ModelConfig;
      const zeros = () =>
        new ort.Tensor('float32', new Float32Array(layers * rows.length * units), [layers, rows.length, units]);
      const out = await session.run({
        tokens: new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, 12]),
        h: zeros(),
        ...(cell === 'lstm' ? { c: zeros() } : {}),
      });
      assert.deepEqual(out.logits.dims, [rows.length, 12, model.vocab.size]);
      assert.ok(maxDifference(out.logits.data as Float32Array, gennetLogits(model, rows)) <= 1e-4);
      for (const prompt of PROMPTS[name]) {
        const expected = generate(model, { prompt, temperature: 0, length: 100, engine: 'layers' });
        assert.equal(await onnxGreedy(session, model, prompt, 100), expected, `greedy after ${JSON.stringify(prompt)}`);
      }
      // Exporting again replaces gennet's own file; anything else at --out is refused.
      await exportOnnx(path.join(FIXTURES, name), file);
      writeFileSync(path.join(dir, 'notes.onnx'), 'my notes');
      await assert.rejects(exportOnnx(path.join(FIXTURES, name), path.join(dir, 'notes.onnx')), /not an ONNX model/);
      assert.equal(readFileSync(path.join(dir, 'notes.onnx'), 'utf8'), 'my notes');
    } finally {
      model.network.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const name of MODELS) {
  test(`PyTorch export of ${name}, imported back: the same weights and the same text`, async () => {
    await initBackend('wasm');
    const dir = work();
    const original = await loadArtifact(path.join(FIXTURES, name));
    try {
      await exportPytorch(path.join(FIXTURES, name), path.join(dir, 'torch'));
      await importPytorch(path.join(dir, 'torch'), path.join(dir, 'back'));
      const back = await loadArtifact(path.join(dir, 'back'));
      try {
        assert.deepEqual(back.config, original.config);
        assert.deepEqual(back.vocab.tokens, original.vocab.tokens);
        // The exported tensors in PyTorch's own layout: its cells' equations on them give gennet's logits.
        const { tensors } = decodeSafetensors(readFileSync(path.join(dir, 'torch', 'model.safetensors')), name);
        const rows = promptRows(original, PROMPTS[name], 6);
        const reference = torchReferenceLogits(tensors, (original.config as ModelConfig).cell, rows);
        assert.ok(maxDifference(reference, gennetLogits(original, rows)) <= 1e-4, 'PyTorch layout');
        assert.deepEqual(weightsOf(back), weightsOf(original));
        const text = (m: LoadedArtifact) =>
          generate(m, { prompt: PROMPTS[name][0], temperature: 0.8, seed: 3, length: 60 });
        assert.equal(text(back), text(original));
      } finally {
        back.network.dispose();
      }
    } finally {
      original.network.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const cli = path.resolve(__dirname, '../../dist/cli.js');
const gennet = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });

test('gennet export and import: JSON summaries, and clear refusals of what cannot export or would be overwritten', () => {
  const dir = work();
  try {
    const onnxFile = path.join(dir, 'm.onnx');
    const ok = gennet(
      'export',
      '--model',
      path.join(FIXTURES, 'char-rnn'),
      '--format',
      'onnx',
      '--out',
      onnxFile,
      '--json',
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual((JSON.parse(ok.stdout) as { files: string[] }).files, ['m.onnx']);
    const refused = (args: string[], message: RegExp) => {
      const run = gennet(...args);
      assert.equal(run.status, 1, run.stdout);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /u, 'no stack trace');
    };
    refused(
      ['export', '--model', path.join(FIXTURES, 'ngram'), '--format', 'onnx', '--out', path.join(dir, 'n.onnx')],
      /Models of the ngram family do not export; the families that do: recurrent/,
    );
    refused(
      ['export', '--model', path.join(FIXTURES, 'conditional'), '--format', 'pytorch', '--out', path.join(dir, 'c')],
      /Conditional and sequence-to-sequence models do not export/,
    );
    refused(
      ['export', '--model', path.join(FIXTURES, 'char-rnn'), '--format', 'tflite', '--out', path.join(dir, 'x')],
      /argument 'tflite' is invalid/,
    );
    refused(
      ['import', '--from', path.join(dir, 'nothing'), '--out', path.join(dir, 'y')],
      /PyTorch weights .*model\.safetensors not found.*convert_state_dict\.py/,
    );
    const mine = path.join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(path.join(mine, 'notes.txt'), 'mine');
    refused(
      ['export', '--model', path.join(FIXTURES, 'char-rnn'), '--format', 'pytorch', '--out', mine],
      /holds files that are not a gennet export \(notes\.txt/,
    );
    assert.equal(readFileSync(path.join(mine, 'notes.txt'), 'utf8'), 'mine');
    // An export folder is replaced by the next export into it; the import refuses a folder that is not a model's.
    const torch = path.join(dir, 'torch');
    for (let n = 0; n < 2; n++)
      assert.equal(
        gennet('export', '--model', path.join(FIXTURES, 'char-rnn'), '--format', 'pytorch', '--out', torch).status,
        0,
      );
    refused(['import', '--from', torch, '--out', mine], /is not empty and holds no gennet model/);
    const imported = gennet('import', '--from', torch, '--out', path.join(dir, 'back'), '--json');
    assert.equal(imported.status, 0, imported.stderr);
    assert.match((JSON.parse(imported.stdout) as { shape: string }).shape, /^RNN, 1 layer × 10 units/u);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PyTorch export of an earlier release (test/fixtures/interop) imports to the model it came from', async () => {
  await initBackend('wasm');
  const dir = work();
  const original = await loadArtifact(path.join(FIXTURES, 'char-lstm-dropout'));
  try {
    await importPytorch(path.resolve(FIXTURES, '../interop/char-lstm-dropout-pytorch'), path.join(dir, 'back'));
    const back = await loadArtifact(path.join(dir, 'back'));
    try {
      assert.deepEqual(back.config, original.config);
      assert.deepEqual(weightsOf(back), weightsOf(original));
    } finally {
      back.network.dispose();
    }
  } finally {
    original.network.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PyTorch token list becomes a gennet vocabulary: specials first, the rest at their ids, errors named', () => {
  const chars = torchVocabulary(['b', '<unk>', 'a', ' '], 'v.json');
  assert.deepEqual(chars.vocab.tokens, ['<pad>', '<eos>', '<unk>', 'b', 'a', ' ']);
  assert.deepEqual(chars.gennetIds, [3, UNK_ID, 4, 5]);
  assert.equal(chars.vocab.unit, 'char');
  const words = torchVocabulary({ tokens: ['the', 'whale', ','] }, 'v.json');
  assert.equal(words.vocab.unit, 'word');
  assert.equal(words.vocab.idOf('The'), words.vocab.idOf('the'), 'a list without capitals is lower-cased');
  assert.equal(torchVocabulary({ kind: 'word', tokens: ['a', 'b'] }, 'v.json').vocab.unit, 'word');
  assert.throws(() => torchVocabulary(['a', 'b', 'a'], 'v.json'), /v.json lists "a" twice \(ids 0 and 2\)/);
  assert.throws(() => torchVocabulary({ vocab: ['a'] }, 'v.json'), /must list the model's tokens in id order/);
  assert.throws(() => torchVocabulary({ kind: 'char', tokens: ['ab'] }, 'v.json'), /cannot be a char vocabulary/);
});

test('a one-layer one-hot model without <eos> starts a document from the zero state; a deeper one warns', async () => {
  await initBackend('wasm');
  const dir = work();
  try {
    for (const [name, cell, exact] of [
      ['char-rnn', 'rnn', true],
      ['char-lstm-dropout', 'lstm', false],
    ] as const) {
      await exportPytorch(path.join(FIXTURES, name), path.join(dir, name));
      const { tensors } = decodeSafetensors(readFileSync(path.join(dir, name, 'model.safetensors')), name);
      const tokens = (JSON.parse(readFileSync(path.join(dir, name, 'vocab.json'), 'utf8')) as { tokens: string[] })
        .tokens;
      // The model as a tool without specials has it: their input columns and output rows left out.
      const keep = tokens.map((_, id) => id).filter((id) => id > UNK_ID);
      const columns = (t: NamedTensor): NamedTensor => ({
        shape: [t.shape[0], keep.length],
        data: Float32Array.from({ length: t.shape[0] * keep.length }, (_, i) => {
          const [r, c] = [Math.floor(i / keep.length), i % keep.length];
          return t.data[r * t.shape[1] + keep[c]];
        }),
      });
      const rowsOf = (t: NamedTensor): NamedTensor => {
        const width = t.data.length / t.shape[0];
        return {
          shape: [keep.length, ...t.shape.slice(1)],
          data: Float32Array.from(keep.flatMap((id) => Array.from(t.data.subarray(id * width, (id + 1) * width)))),
        };
      };
      const bare = {
        ...tensors,
        'rnn.weight_ih_l0': columns(tensors['rnn.weight_ih_l0']),
        'fc.weight': rowsOf(tensors['fc.weight']),
        'fc.bias': rowsOf(tensors['fc.bias']),
      };
      const lesson = path.join(dir, `${name}-bare`);
      mkdirSync(lesson);
      writeFileSync(path.join(lesson, 'model.safetensors'), encodeSafetensors(bare));
      writeFileSync(path.join(lesson, 'vocab.json'), JSON.stringify(keep.map((id) => tokens[id])));
      const summary = await importPytorch(lesson, path.join(dir, `${name}-model`));
      const model = await loadArtifact(path.join(dir, `${name}-model`));
      try {
        if (!exact) {
          assert.match(summary.warnings.join('\n'), /no <eos>.*exact only for one layer over one-hot tokens/);
          continue;
        }
        assert.deepEqual(summary.warnings, []);
        const prompt = Array.from(model.vocab.encode('ab ba'));
        const ours = gennetLogits(model, [[EOS_ID, ...prompt]]);
        const theirs = torchReferenceLogits(bare, cell, [prompt.map((id) => keep.indexOf(id))]);
        const size = model.vocab.size;
        const last = Array.from(ours.subarray(ours.length - size)).filter((_, id) => id > UNK_ID);
        assert.ok(maxDifference(last, theirs.slice(theirs.length - keep.length)) <= 1e-4);
      } finally {
        model.network.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

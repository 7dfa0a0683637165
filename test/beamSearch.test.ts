import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { initBackend } from '../src/backend';
import { engineNamed } from '../src/engines';
import { buildGenerator, resolveModelConfig, stateLayout, stateSize, type GeneratorModel } from '../src/model';
import { beamSearch, generateBatch, logSoftmax } from '../src/sample';
import { CharVocab, EOS_ID, PAD_ID, UNK_ID } from '../src/vocab';

/** An untrained char model over `text`'s characters, its weights scaled up so that its distributions are peaked. */
function model(text: string, seed: number, cell: 'lstm' | 'gru' | 'rnn' = 'lstm'): GeneratorModel {
  const vocab = CharVocab.build([text]);
  const config = resolveModelConfig({ vocabSize: vocab.size, cell, units: 12, layers: 2, seed });
  const network = buildGenerator(config);
  const scaled = tf.tidy(() => network.getWeights().map((w) => w.mul(3)));
  network.setWeights(scaled);
  tf.dispose(scaled);
  return { network, vocab, config };
}

/** Runs `check` on {@link model}`(text, seed, cell)` and disposes the network afterwards. */
function withModel(
  text: string,
  seed: number,
  check: (trained: GeneratorModel) => void,
  cell: 'lstm' | 'gru' | 'rnn' = 'lstm',
): void {
  const trained = model(text, seed, cell);
  try {
    check(trained);
  } finally {
    trained.network.dispose();
  }
}

/** Adds `amount` to the output bias of `<eos>`: the model ends documents more often. */
function raiseEos(trained: GeneratorModel, amount: number): void {
  const output = trained.network.layers.at(-1)!;
  const [kernel, bias] = output.getWeights();
  const raised = bias.dataSync().slice();
  raised[EOS_ID] += amount;
  const newBias = tf.tensor1d(raised);
  output.setWeights([kernel, newBias]);
  newBias.dispose();
}

/** The model's log-probability of `tokens` after the prompt, one fresh step at a time (no beam-search code). */
function sequenceLogProb(trained: GeneratorModel, prompt: string, tokens: readonly number[]): number {
  const stepper = engineNamed('layers').createStepper(trained.network, trained.config, 1);
  try {
    let logits = stepper.feed(Int32Array.from([EOS_ID, ...trained.vocab.encode(prompt)]), 1 + prompt.length);
    let total = 0;
    for (const token of tokens) {
      total += logSoftmax(logits)[token];
      logits = stepper.feed(Int32Array.of(token), 1);
    }
    return total;
  } finally {
    stepper.dispose();
  }
}

/** Every sequence of `length` tokens other than `<pad>` and `<unk>`. */
function allSequences(vocabSize: number, length: number): number[][] {
  const tokens = Array.from({ length: vocabSize }, (_, id) => id).filter((id) => id !== PAD_ID && id !== UNK_ID);
  let sequences: number[][] = [[]];
  for (let i = 0; i < length; i++) sequences = sequences.flatMap((s) => tokens.map((t) => [...s, t]));
  return sequences;
}

test(`a beam as wide as all prefixes finds the most probable \
sequence that enumeration finds (every cell, 2 layers)`, async () => {
  await initBackend('cpu');
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    withModel(
      'abcab',
      5,
      (trained) => {
        // <pad> <unk> <eos> a b c: 4 choices per step
        const length = 4;
        const scored = allSequences(trained.vocab.size, length).map((tokens) => ({
          tokens,
          logProb: sequenceLogProb(trained, 'ab', tokens),
        }));
        const best = scored.reduce((a, b) => (b.logProb > a.logProb ? b : a));
        const [found] = beamSearch(trained, {
          prompt: 'ab',
          beam: 4 ** (length - 1),
          length,
          stopAtEos: false,
          lengthPenalty: 0,
        });
        assert.deepEqual(found.tokens, best.tokens, cell);
        assert.ok(
          Math.abs(found.totalLogProb - best.logProb) < 1e-4,
          `${cell}: ${found.totalLogProb} vs ${best.logProb}`,
        );
      },
      cell,
    );
  }
});

test('beam 1 is greedy decoding: the same tokens as generation at temperature 0', async () => {
  await initBackend('cpu');
  for (const seed of [1, 2, 3]) {
    withModel('the quick brown fox jumps over the lazy dog.\n', seed, (trained) => {
      for (const stopAtEos of [true, false]) {
        const [greedy] = generateBatch(trained, [{ prompt: 'the ', temperature: 0 }], { length: 40, stopAtEos });
        const [beam] = beamSearch(trained, { prompt: 'the ', beam: 1, length: 40, stopAtEos });
        assert.deepEqual(beam.tokens, greedy.tokens, `seed ${seed}, stopAtEos ${stopAtEos}`);
        assert.equal(beam.text, greedy.text);
        assert.equal(beam.endedAtEos, greedy.endedAtEos);
      }
    });
  }
});

test(`beam search never returns a sequence less probable than greedy \
decoding's, and its numbers are the model's (property)`, async () => {
  await initBackend('cpu');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 2, max: 5 }), (seed, beam) => {
      withModel('abcdefg abc', seed, (trained) => {
        const [greedy] = generateBatch(trained, [{ prompt: 'a', temperature: 0 }], { length: 12, stopAtEos: false });
        const greedyLogProb = sequenceLogProb(trained, 'a', greedy.tokens);
        const [found] = beamSearch(trained, { prompt: 'a', beam, length: 12, stopAtEos: false });
        assert.ok(
          found.totalLogProb >= greedyLogProb - 1e-4,
          `beam ${beam}: ${found.totalLogProb} < greedy ${greedyLogProb}`,
        );
        assert.ok(
          Math.abs(found.totalLogProb - sequenceLogProb(trained, 'a', found.tokens)) < 1e-4,
          "totalLogProb is the model's",
        );
        assert.ok(
          Math.abs(found.logLikelihood! * found.tokens.length - found.totalLogProb) < 1e-9,
          'no <eos>: the mean is the total over n',
        );
      });
    }),
    { numRuns: 12, seed: 7 },
  );
});

test('beam search is deterministic, the same on every engine, and lists distinct hypotheses best first', async () => {
  await initBackend('cpu');
  withModel('the quick brown fox jumps over the lazy dog.\n', 4, (trained) => {
    const options = { prompt: 'th', beam: 5, length: 30, count: 5 };
    const first = beamSearch(trained, { ...options, engine: 'layers' });
    assert.deepEqual(beamSearch(trained, { ...options, engine: 'layers' }), first);
    for (const engine of ['fast', 'native']) {
      if (engineNamed(engine).unavailableReason() !== null) continue;
      assert.deepEqual(
        beamSearch(trained, { ...options, engine }).map((h) => h.text),
        first.map((h) => h.text),
        engine,
      );
    }
    assert.equal(first.length, 5);
    assert.equal(new Set(first.map((h) => `${h.tokens.join(',')}|${h.endedAtEos}`)).size, 5, 'distinct');
    for (let i = 1; i < first.length; i++) assert.ok(first[i].score <= first[i - 1].score, 'sorted by score');
    for (const h of first) {
      const n = h.tokens.length + (h.endedAtEos ? 1 : 0);
      assert.ok(Math.abs(h.score - h.totalLogProb / ((5 + n) / 6) ** 0.6) < 1e-9, 'the documented score');
      assert.ok(h.text.startsWith('th') && !h.tokens.includes(PAD_ID) && !h.tokens.includes(UNK_ID));
    }
  });
});

test('hypotheses that end at <eos> are finished: their log-probability counts <eos>, their tokens do not', async () => {
  await initBackend('cpu');
  withModel('abcdef', 9, (trained) => {
    raiseEos(trained, 2.5);
    const [greedy] = beamSearch(trained, { prompt: 'ab', beam: 1, length: 20, lengthPenalty: 0 });
    for (const lengthPenalty of [0, 0.6, 2]) {
      const found = beamSearch(trained, { prompt: 'ab', beam: 6, length: 20, count: 6, lengthPenalty });
      assert.ok(
        found.some((h) => h.endedAtEos),
        `α ${lengthPenalty}: some hypotheses ended`,
      );
      for (const h of found) {
        assert.ok(!h.tokens.includes(EOS_ID));
        assert.ok(
          h.endedAtEos || h.tokens.length === 20,
          `α ${lengthPenalty}: "${h.text}" neither ended nor full length`,
        );
        const expected = sequenceLogProb(trained, 'ab', h.endedAtEos ? [...h.tokens, EOS_ID] : h.tokens);
        assert.ok(Math.abs(h.totalLogProb - expected) < 1e-4, `α ${lengthPenalty}: ${h.totalLogProb} vs ${expected}`);
      }
      for (let i = 1; i < found.length; i++) assert.ok(found[i].score <= found[i - 1].score);
      if (lengthPenalty === 0)
        assert.ok(found[0].totalLogProb >= greedy.totalLogProb - 1e-9, 'α 0: at least as probable as greedy');
    }
  });
});

test(`every hypothesis returned ended at <eos> or is full length, \
also when the beam stops before greedy ends (property)`, async () => {
  await initBackend('cpu');
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 2, max: 6 }),
      fc.double({ min: 0, max: 4, noNaN: true }),
      fc.constantFrom(0, 0.6, 2),
      (seed, beam, boost, lengthPenalty) => {
        withModel('abcdefg abc', seed, (trained) => {
          raiseEos(trained, boost);
          const [greedy] = generateBatch(trained, [{ prompt: 'a', temperature: 0 }], { length: 25 });
          const found = beamSearch(trained, { prompt: 'a', beam, length: 25, lengthPenalty, count: beam });
          for (const h of found)
            assert.ok(h.endedAtEos || h.tokens.length === 25, `"${h.text}" neither ended nor full length`);
          const greedyScore = found.find((h) => h.text === greedy.text && h.endedAtEos === greedy.endedAtEos)?.score;
          if (greedyScore !== undefined) assert.ok(found[0].score >= greedyScore);
        });
      },
    ),
    { numRuns: 25, seed: 11 },
  );
  // A case found by search: the beam stops after 8 tokens while greedy, dropped from it, is still running.
  withModel('abcdefg abc', 354, (trained) => {
    const [found] = beamSearch(trained, { prompt: 'a', beam: 2, length: 25, lengthPenalty: 0 });
    assert.ok(found.endedAtEos || found.tokens.length === 25, `"${found.text}" neither ended nor full length`);
  });
});

test('bad beam options are refused with the option named', async () => {
  await initBackend('cpu');
  withModel('abc', 1, (trained) => {
    assert.throws(() => beamSearch(trained, { beam: 0 }), /beam width must be a whole number from 1/);
    assert.throws(() => beamSearch(trained, { beam: 2.5 }), /beam width/);
    assert.throws(
      () => beamSearch(trained, { beam: 2, count: 3 }),
      /count must be a whole number from 1 to the beam width \(2\)/,
    );
    assert.throws(() => beamSearch(trained, { lengthPenalty: -1 }), /length penalty α must be a number ≥ 0/);
    assert.throws(() => beamSearch(trained, { length: -1 }), /Length must be a whole number/);
    assert.deepEqual(beamSearch(trained, { length: 0 })[0].tokens, []);
  });
});

test(`generation from a given state: zeros are the default, each request \
keeps its own state in a batch, beam 1 from it = greedy from it`, async () => {
  await initBackend('cpu');
  withModel('the quick brown fox jumps over the lazy dog.\n', 6, (trained) => {
    const size = stateSize(stateLayout(trained.config), 1);
    const state = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.7) * 0.9);
    const request = { prompt: 'th', temperature: 0 };
    const options = { length: 30, stopAtEos: false };
    const [plain] = generateBatch(trained, [request], options);
    assert.deepEqual(
      generateBatch(trained, [{ ...request, initialState: new Float32Array(size) }], options)[0].tokens,
      plain.tokens,
      'zeros = default',
    );
    const [fromState] = generateBatch(trained, [{ ...request, initialState: state }], options);
    assert.notDeepEqual(fromState.tokens, plain.tokens, 'the state changes the text');
    const together = generateBatch(
      trained,
      [request, { ...request, initialState: state }, { ...request, temperature: 1, seed: 3, initialState: state }],
      options,
    );
    assert.deepEqual(together[0].tokens, plain.tokens);
    assert.deepEqual(together[1].tokens, fromState.tokens);
    assert.deepEqual(
      together[2].tokens,
      generateBatch(trained, [{ ...request, temperature: 1, seed: 3, initialState: state }], options)[0].tokens,
    );
    assert.deepEqual(
      beamSearch(trained, { prompt: 'th', beam: 1, length: 30, stopAtEos: false, initialState: state })[0].tokens,
      fromState.tokens,
    );
    assert.throws(
      () => generateBatch(trained, [{ ...request, initialState: new Float32Array(size - 1) }], options),
      /A one-row state has \d+ values/,
    );
  });
});

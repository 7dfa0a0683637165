import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { initBackend } from '../src/backend';
import { buildGenerator, resolveModelConfig } from '../src/model/generator';
import type { GeneratorModel } from '../src/model/generatorModel';
import { createRng } from '../src/random';
import {
  argmax,
  checkTemperature,
  compareTemperatures,
  comparisonHtml,
  formatComparison,
  generate,
  generateBatch,
  nextTokenDistributions,
  repetitionPenalty,
  resolveSampling,
  sampleFromLogits,
  softmax,
  streamText,
  topK,
  topP,
  type GenerationRequest,
} from '../src/sample';
import { CharVocab, EOS_ID, PAD_ID, UNK_ID, WordVocab } from '../src/vocab';

function untrained(seed = 1): GeneratorModel {
  const vocab = CharVocab.build(['the quick brown fox jumps over the lazy dog']);
  const config = resolveModelConfig({ vocabSize: vocab.size, units: 16, seed });
  return { network: buildGenerator(config), vocab, config };
}

test('softmax sums to one and argmax picks the largest logit', () => {
  const logits = Float32Array.from([0.5, 3, -1, 3]);
  const p = softmax(logits);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.equal(argmax(logits), 1);
});

test('sampling follows the softmax probabilities', () => {
  const logits = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1), -Infinity]);
  const rng = createRng(7);
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) counts[sampleFromLogits(logits, rng)]++;
  assert.equal(counts[3], 0);
  [0.7, 0.2, 0.1].forEach((p, i) => assert.ok(Math.abs(counts[i] / n - p) < 0.015, `token ${i}: ${counts[i] / n}`));
});

test('temperature 0 is greedy: the same text whatever the seed', async () => {
  await initBackend('cpu');
  const model = untrained();
  const a = generate(model, { prompt: 'the ', length: 40, temperature: 0, seed: 1 });
  const b = generate(model, { prompt: 'the ', length: 40, temperature: 0, seed: 2 });
  assert.equal(a, b);
  assert.ok(a.startsWith('the '));
});

test('sampling is reproducible per seed and differs across seeds', async () => {
  await initBackend('cpu');
  const model = untrained();
  const gen = (seed: number) =>
    generate(model, { prompt: 'fox', length: 60, temperature: 1.5, seed, stopAtEos: false });
  assert.equal(gen(3), gen(3));
  assert.notEqual(gen(3), gen(4));
});

test('<pad> and <unk> are never produced, even when the model favours them', async () => {
  await initBackend('cpu');
  const model = untrained();
  const dense = model.network.getLayer('logits');
  const [kernel, bias] = dense.getWeights();
  const favoured = bias.arraySync() as number[];
  favoured[PAD_ID] = 50;
  favoured[UNK_ID] = 50;
  dense.setWeights([kernel, tf.tensor1d(favoured)]);
  for (const temperature of [0, 1, 1.8, 5]) {
    const text = generate(model, { length: 80, temperature, seed: 9, stopAtEos: false });
    assert.ok(!text.includes('\uFFFD'), `unk at T=${temperature}`);
    assert.equal([...text].length, 80, `T=${temperature}: every step produced a character`);
  }
});

test('bad sampling options and lengths are refused with the option named', async () => {
  assert.throws(() => checkTemperature(-0.5), /Temperature must be 0 \(greedy\) or a positive number/);
  assert.throws(() => checkTemperature(Number.NaN), /Temperature/);
  assert.throws(() => resolveSampling({ topK: 0 }), /top-k must be a whole number ≥ 1, got 0/);
  assert.throws(() => resolveSampling({ topK: 2.5 }), /top-k/);
  assert.throws(() => resolveSampling({ topP: 0 }), /top-p must be in \(0, 1\]/);
  assert.throws(() => resolveSampling({ topP: 1.5 }), /top-p/);
  assert.throws(() => resolveSampling({ topP: Number.NaN }), /top-p/);
  assert.throws(() => resolveSampling({ repetitionPenalty: -1 }), /repetition penalty/);
  await initBackend('cpu');
  assert.throws(() => generate(untrained(), { length: -1 }), /Length must be a whole number/);
  assert.throws(() => generateBatch(untrained(), [{ prompt: 'a' }, { prompt: 'b', topK: 0 }], { length: 3 }), /top-k/);
});

/** A model whose output layer is scaled up, so its next-character distributions are far from uniform. */
function peaked(seed = 1, scale = 6): GeneratorModel {
  const model = untrained(seed);
  const dense = model.network.getLayer('logits');
  const [kernel, bias] = dense.getWeights();
  dense.setWeights([tf.mul(kernel, scale), bias]);
  return model;
}

const logitsArbitrary = fc
  .array(fc.float({ min: -8, max: 8, noNaN: true }), { minLength: 1, maxLength: 40 })
  .map((xs) => Float32Array.from(xs));

test('top-k leaves exactly the k largest logits possible (property)', () => {
  fc.assert(
    fc.property(logitsArbitrary, fc.integer({ min: 1, max: 50 }), (logits, k) => {
      const processed = logits.slice();
      topK(k)(processed, []);
      const kept = [...processed.keys()].filter((i) => processed[i] !== -Infinity);
      assert.equal(kept.length, Math.min(k, logits.length));
      const smallestKept = Math.min(...kept.map((i) => logits[i]));
      const dropped = [...logits.keys()].filter((i) => !kept.includes(i));
      assert.ok(
        dropped.every((i) => logits[i] <= smallestKept),
        'a dropped token had a larger logit than a kept one',
      );
      kept.forEach((i) => assert.equal(processed[i], logits[i]));
    }),
  );
});

test('top-p keeps the smallest most-likely set whose probability reaches p (property)', () => {
  fc.assert(
    fc.property(logitsArbitrary, fc.double({ min: 0.01, max: 1, noNaN: true }), (logits, p) => {
      const processed = logits.slice();
      topP(p)(processed, []);
      const probs = softmax(logits);
      const kept = [...processed.keys()].filter((i) => processed[i] !== -Infinity);
      const keptMass = kept.reduce((sum, i) => sum + probs[i], 0);
      assert.ok(kept.length >= 1);
      assert.ok(keptMass >= p - 1e-9 || kept.length === logits.length, `kept mass ${keptMass} < p ${p}`);
      const smallestKept = Math.min(...kept.map((i) => probs[i]));
      assert.ok(keptMass - smallestKept < p + 1e-9, 'the nucleus is larger than needed');
      assert.ok([...logits.keys()].every((i) => kept.includes(i) || probs[i] <= smallestKept));
    }),
  );
});

test('repetition penalty divides positive and multiplies negative logits of recent tokens only', () => {
  const logits = Float32Array.from([2, -1, 3, 0.5]);
  repetitionPenalty(2, 2)(logits, [3, 0, 1]);
  assert.deepEqual(Array.from(logits), [1, -2, 3, 0.5]);
});

test('top-k and top-p generations never leave their candidate sets', async () => {
  await initBackend('cpu');
  const model = peaked();
  const { vocab } = model;
  const k = 3;
  const p = 0.6;
  for (const options of [{ topK: k }, { topP: p }]) {
    let checked = 0;
    generateBatch(
      model,
      [0, 1, 2, 3].map((seed) => ({ prompt: 'the ', temperature: 1.5, seed, ...options })),
      {
        length: 40,
        stopAtEos: false,
        onToken: () => {
          checked++;
        },
      },
    ).forEach((generation) => {
      // Re-score every step with a fresh run and check the chosen token was in the allowed set at T = 1.5.
      const ids = [...vocab.encode(generation.prompt), ...generation.tokens];
      const logits = (
        tf
          .tidy(() => model.network.predict(tf.tensor2d([EOS_ID, ...ids], [1, ids.length + 1], 'int32')) as tf.Tensor)
          .arraySync() as number[][][]
      )[0];
      generation.tokens.forEach((token, i) => {
        const row = Float32Array.from(logits[vocab.encode(generation.prompt).length + i], (v) => v / 1.5);
        row[PAD_ID] = row[UNK_ID] = -Infinity;
        const filtered = row.slice();
        ('topK' in options ? topK(k) : topP(p))(filtered, []);
        assert.notEqual(
          filtered[token],
          -Infinity,
          `token ${i} (${vocab.tokenOf(token)}) is outside the ${JSON.stringify(options)} set`,
        );
      });
    });
    assert.equal(checked, 160);
  }
});

test('at T = 1 the frequencies of many draws match the model probabilities (chi-square, fixed seeds)', async () => {
  await initBackend('cpu');
  const model = peaked();
  const [{ probs }] = nextTokenDistributions(model, 'the qu', [1]);
  const draws = 3000;
  const counts = (temperature: number) => {
    const requests = Array.from({ length: draws }, (_, seed) => ({ prompt: 'the qu', temperature, seed }));
    const tally = new Float64Array(model.vocab.size);
    for (const generation of generateBatch(model, requests, { length: 1, stopAtEos: false }))
      tally[generation.tokens[0]]++;
    return tally;
  };
  const chiSquare = (observed: Float64Array) => {
    // Bins with an expected count below 5 are pooled into one.
    let statistic = 0;
    let bins = 0;
    let pooledObserved = 0;
    let pooledExpected = 0;
    probs.forEach((p, id) => {
      const expected = p * draws;
      if (expected < 5) {
        pooledObserved += observed[id];
        pooledExpected += expected;
        return;
      }
      statistic += (observed[id] - expected) ** 2 / expected;
      bins++;
    });
    if (pooledExpected > 0) {
      statistic += (pooledObserved - pooledExpected) ** 2 / Math.max(pooledExpected, 1e-9);
      bins++;
    }
    const df = bins - 1;
    const critical = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3; // Wilson–Hilferty, p = 0.001
    return { statistic, critical, df };
  };
  const atOne = chiSquare(counts(1));
  assert.ok(atOne.df >= 3, `too few bins (${atOne.df + 1}) for a meaningful test`);
  assert.ok(
    atOne.statistic < atOne.critical,
    `T = 1 draws differ from the model: χ² ${atOne.statistic.toFixed(1)} ` +
      `≥ ${atOne.critical.toFixed(1)} (df ${atOne.df})`,
  );
  const atTwo = chiSquare(counts(2));
  assert.ok(
    atTwo.statistic > atTwo.critical,
    `the test cannot tell T = 2 from T = 1: χ² ${atTwo.statistic.toFixed(1)}`,
  );
});

test('temperature → 0 gives the greedy text', async () => {
  await initBackend('cpu');
  const model = peaked();
  const greedy = generate(model, { prompt: 'fox ', length: 60, temperature: 0, stopAtEos: false });
  for (const seed of [1, 2, 3]) {
    assert.equal(generate(model, { prompt: 'fox ', length: 60, temperature: 1e-6, seed, stopAtEos: false }), greedy);
  }
});

test('greedy stepping equals re-running the whole prefix through the network at every step', async () => {
  await initBackend('cpu');
  const model = peaked();
  const ids = [EOS_ID, ...model.vocab.encode('dog')];
  for (let i = 0; i < 15; i++) {
    const logits = tf.tidy(
      () =>
        (model.network.predict(tf.tensor2d(ids, [1, ids.length], 'int32')) as tf.Tensor)
          .slice([0, ids.length - 1, 0], [1, 1, -1])
          .dataSync() as Float32Array,
    );
    logits[PAD_ID] = logits[UNK_ID] = -Infinity;
    ids.push(argmax(logits));
  }
  const [generation] = generateBatch(model, [{ prompt: 'dog', temperature: 0 }], { length: 15, stopAtEos: false });
  assert.deepEqual(generation.tokens, ids.slice(4));
});

test('batched generation equals one-at-a-time generation for the same seeds', async () => {
  await initBackend('cpu');
  const model = peaked(3, 3);
  const requests: GenerationRequest[] = ['', 'the ', 'a lazy dog ', 'fox'].flatMap((prompt, i) => [
    { prompt, temperature: 0 },
    { prompt, temperature: 0.8, seed: i },
    { prompt, temperature: 1.3, topK: 5, seed: 7 },
    { prompt, temperature: 1, topP: 0.8, repetitionPenalty: 1.3, seed: 11 },
  ]);
  const batched = generateBatch(model, requests, { length: 50 });
  requests.forEach((request, i) => {
    assert.equal(
      batched[i].text,
      generate(model, { ...request, length: 50 }),
      `request ${i} ${JSON.stringify(request)}`,
    );
  });
  assert.ok(new Set(batched.map((g) => g.text)).size > 8, 'the requests should give different texts');
});

test('generations report the model log-likelihood and entropy of what they produced', async () => {
  await initBackend('cpu');
  const model = peaked();
  const [greedy, hot] = generateBatch(
    model,
    [
      { prompt: 'the ', temperature: 0 },
      { prompt: 'the ', temperature: 3, seed: 5 },
    ],
    { length: 80, stopAtEos: false },
  );
  assert.equal(greedy.tokens.length, 80);
  assert.ok(greedy.logLikelihood! < 0 && greedy.entropy! > 0);
  assert.ok(
    greedy.logLikelihood! > hot.logLikelihood!,
    `greedy text should be more likely: ${greedy.logLikelihood} vs ${hot.logLikelihood}`,
  );
  assert.equal(generateBatch(model, [{ prompt: 'x' }], { length: 0 })[0].logLikelihood, null);
});

test('streamText yields the generated text token by token', async () => {
  await initBackend('cpu');
  const model = untrained();
  const options = { prompt: 'the ', length: 30, temperature: 1, seed: 4, stopAtEos: false };
  const pieces: string[] = [];
  for await (const piece of streamText(model, options)) pieces.push(piece);
  assert.equal(pieces.length, 30);
  assert.equal('the ' + pieces.join(''), generate(model, options));
});

test('nextTokenDistributions sharpens with low temperature and is one-hot at 0', async () => {
  await initBackend('cpu');
  const model = peaked();
  const [zero, cold, one, hot] = nextTokenDistributions(model, 'play', [0, 0.5, 1, 2]);
  const top = argmax(Float32Array.from(one.probs));
  assert.equal(zero.probs[top], 1);
  assert.ok(cold.probs[top] > one.probs[top] && one.probs[top] > hot.probs[top]);
  for (const d of [cold, one, hot]) {
    assert.ok(Math.abs(d.probs.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.equal(d.probs[PAD_ID], 0);
    assert.equal(d.probs[UNK_ID], 0);
  }
});

test('compareTemperatures: every prompt × temperature, each cell equal to generate with the same seed', async () => {
  await initBackend('cpu');
  const model = peaked();
  const rows = compareTemperatures(model, {
    prompts: ['the ', 'fox'],
    temperatures: [0, 1, 1.8],
    length: 40,
    seed: 9,
    knownWords: new Set(['the', 'fox']),
  });
  assert.deepEqual(
    rows.map((r) => `${r.prompt}@${r.temperature}`),
    ['the @0', 'the @1', 'the @1.8', 'fox@0', 'fox@1', 'fox@1.8'],
  );
  for (const [i, row] of rows.entries()) {
    const seed = 9 + Math.floor(i / 3);
    assert.equal(row.text, generate(model, { prompt: row.prompt, temperature: row.temperature, seed, length: 40 }));
    assert.ok(row.metrics.logLikelihood === null || row.metrics.logLikelihood <= 0);
  }
  const text = formatComparison(rows);
  assert.match(text, /== "fox"\nT=0 {2}fox/);
  const html = comparisonHtml([{ ...rows[0], prompt: '<b>&' }]);
  assert.match(html, /&lt;b&gt;&amp;/);
  assert.doesNotMatch(html, /<b>&/);
});

test('word models: generated words are spaced after the prompt and streamed pieces add up to the text', async () => {
  await initBackend('cpu');
  const vocab = WordVocab.build([
    'The whale swam. "Call me Ishmael," said he.',
    'The sea was calm; the whale was not!',
  ]);
  const config = resolveModelConfig({ vocabSize: vocab.size, units: 16, input: 'embedding', embeddingDim: 8, seed: 2 });
  const model: GeneratorModel = { network: buildGenerator(config), vocab, config };
  for (const prompt of ['The whale', 'The whale ']) {
    const pieces: string[] = [];
    const [generation] = generateBatch(model, [{ prompt, temperature: 1.5, seed: 3 }], {
      length: 30,
      stopAtEos: false,
      onToken: (event) => pieces.push(event.text),
    });
    assert.equal(generation.text, prompt + pieces.join(''));
    const spaced = vocab.decode([...vocab.encode('The whale'), ...generation.tokens]);
    if (prompt === 'The whale') assert.equal(generation.text, spaced);
    else
      assert.equal(
        generation.text.replace(/^The whale /, ''),
        spaced.replace(/^The whale ?/, ''),
        'the typed space is kept, no second one added',
      );
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { loadCorpus } from '../src/corpus';
import { prepareCharData, type TokenDataset } from '../src/data';
import { loadArtifact, loadGenerator } from '../src/io';
import { type NgramGenerator, NgramModel, NgramStepper } from '../src/families';
import { createRng } from '../src/random';
import { tokenizeWords } from '../src/vocab';
import { beamSearch, generateBatch, nextTokenDistributions } from '../src/sample';
import { parseAs, type TrainOutput } from './cliJson';

const cli = path.resolve(__dirname, '../../dist/cli.js');
const gennet = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GN_BACKEND: 'wasm' },
  });
const all = (dataset: TokenDataset) => dataset.batches(64, null, { dropRemainder: false });

test(`the n-gram distribution sums to 1 and gives every token a \
positive probability, after seen and unseen contexts (property)`, () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 3, max: 8 }), { minLength: 20, maxLength: 200 }),
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: -1, max: 9 }), { maxLength: 6 }),
      (stream, order, history) => {
        const data = prepareCharData([String.fromCharCode(...stream.map((c) => 97 + c))], {
          mode: 'windows',
          seqLen: 8,
          valFraction: 0,
          seed: 1,
        });
        const model = NgramModel.fromBatches(all(data.train), order, data.vocab.size);
        const context = history.map((id) => (id < data.vocab.size ? id : -1));
        const p = model.distribution(context);
        const sum = p.reduce((s, v) => s + v, 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `sums to ${sum}`);
        p.forEach((v, w) => {
          assert.ok(v > 0, `token ${w} has probability ${v}`);
          assert.ok(Math.abs(v - model.probability(context, w)) < 1e-12, 'distribution and probability agree');
        });
      },
    ),
    { numRuns: 150 },
  );
});

test('order 1 is the discounted unigram interpolated with the uniform distribution (by hand)', () => {
  const data = prepareCharData(['abacabad'], { mode: 'windows', seqLen: 7, valFraction: 0, seed: 1 });
  const model = NgramModel.fromBatches(all(data.train), 1, data.vocab.size);
  // Targets: b a c a b a d → counts a 3, b 2, c 1, d 1 (N = 7, 4 types); n₁ = 2 (c, d), n₂ = 1 (b) → D = 2 / 4.
  assert.equal(model.discounts[0], 0.5);
  const [a, d] = [data.vocab.encode('a')[0], data.vocab.encode('d')[0]];
  const uniform = 1 / data.vocab.size;
  assert.ok(Math.abs(model.probability([], a) - ((3 - 0.5) / 7 + ((0.5 * 4) / 7) * uniform)) < 1e-12);
  assert.ok(Math.abs(model.probability([], d) - ((1 - 0.5) / 7 + ((0.5 * 4) / 7) * uniform)) < 1e-12);
});

test(`on held-out text: smoothing keeps every token possible where \
the unsmoothed chain fails, and longer contexts help`, async (t) => {
  const book = await loadCorpus('moby-dick', { limit: 12 });
  const data = prepareCharData(book.texts, { mode: 'windows', seqLen: 100, valFraction: 0.1, seed: 1 });
  const losses = [1, 3, 5].map((order) =>
    NgramModel.fromBatches(all(data.train), order, data.vocab.size).loss(all(data.val!)),
  );
  t.diagnostic(
    `validation loss of orders 1, 3, 5: ${losses.map((l) => l.toFixed(3)).join(', ')} nats/char (unigram ` +
      `entropy ${data.unigramEntropy.toFixed(3)})`,
  );
  assert.ok(
    losses[0] > losses[1] && losses[1] > losses[2],
    `orders 1, 3, 5: ${losses.map((l) => l.toFixed(3)).join(', ')} nats/char`,
  );
  assert.ok(losses[2] < data.unigramEntropy - 0.5, `order 5 ${losses[2]} vs unigram entropy ${data.unigramEntropy}`);
  // The unsmoothed order-5 chain (maximum likelihood, no backoff) gives some held-out character probability 0.
  const counts = new Map<string, number>();
  const contexts = new Map<string, number>();
  const train = [...all(data.train)];
  for (const batch of train) {
    for (let b = 0; b < batch.batchSize; b++) {
      for (let t = 4; t < batch.seqLen; t++) {
        const context = batch.inputs.subarray(b * batch.seqLen + t - 3, b * batch.seqLen + t + 1).join(',');
        counts.set(
          `${context}>${batch.targets[b * batch.seqLen + t]}`,
          (counts.get(`${context}>${batch.targets[b * batch.seqLen + t]}`) ?? 0) + 1,
        );
        contexts.set(context, (contexts.get(context) ?? 0) + 1);
      }
    }
  }
  let zero = 0;
  for (const batch of all(data.val!)) {
    for (let b = 0; b < batch.batchSize; b++) {
      for (let t = 4; t < batch.seqLen; t++) {
        const context = batch.inputs.subarray(b * batch.seqLen + t - 3, b * batch.seqLen + t + 1).join(',');
        if ((counts.get(`${context}>${batch.targets[b * batch.seqLen + t]}`) ?? 0) === 0) zero += 1;
      }
    }
  }
  assert.ok(zero > 0, 'held-out text has 5-grams the training text lacks (the unsmoothed loss is infinite)');
  assert.ok(Number.isFinite(losses[2]));
});

test(`the n-gram stepper: log-probabilities per row, one token \
at a time = all at once, states move between rows`, () => {
  const data = prepareCharData(['the cat sat on the mat. the rat sat on the hat.'], {
    mode: 'windows',
    seqLen: 10,
    valFraction: 0,
    seed: 1,
  });
  const model = NgramModel.fromBatches(all(data.train), 3, data.vocab.size);
  const ids = data.vocab.encode('the ');
  const whole = new NgramStepper(model, 1).feed(ids, ids.length);
  const stepwise = new NgramStepper(model, 1);
  let last = new Float32Array();
  for (const id of ids) last = stepwise.feed(Int32Array.of(id), 1);
  assert.deepEqual(last, whole);
  assert.ok(Math.abs(whole.reduce((s, v) => s + Math.exp(v), 0) - 1) < 1e-5);
  const two = new NgramStepper(model, 2);
  two.feed(Int32Array.of(ids[0], ids[1], ids[2], ids[3], ids[0], ids[0], ids[0], ids[0]), 4);
  const state = two.state();
  two.setState(Float32Array.of(state[2], state[3], state[0], state[1])); // swap the rows
  const next = two.feed(Int32Array.of(ids[0], ids[0]), 1);
  const again = new NgramStepper(model, 1);
  again.feed(ids, ids.length);
  assert.deepEqual(
    next.subarray(data.vocab.size),
    again.feed(Int32Array.of(ids[0]), 1),
    "row 2 continues row 1's context",
  );
  assert.throws(() => two.setState(new Float32Array(3)), /holds 4 values, got 3/);
  const zeroed = new NgramStepper(model, 1);
  zeroed.feed(ids, ids.length);
  zeroed.setState(new Float32Array(2)); // a zero state is a row's start, as for networks
  assert.deepEqual(zeroed.feed(ids, ids.length), whole);
  assert.throws(() => NgramModel.fromBatches([], 0, 5), /order of an n-gram model must be a whole number from 1 to 12/);
});

test(`an n-gram model generates through the same functions as a \
network: seeded samples, temperatures, beam search`, async () => {
  const book = await loadCorpus('moby-dick', { limit: 6 });
  const data = prepareCharData(book.texts, { mode: 'windows', seqLen: 100, valFraction: 0, seed: 1 });
  const trained = { ngram: NgramModel.fromBatches(all(data.train), 5, data.vocab.size), vocab: data.vocab };
  const sample = (seed: number, temperature = 0.8) =>
    generateBatch(trained, [{ prompt: 'The whale ', temperature, seed }], { length: 120 })[0].text;
  assert.equal(sample(1), sample(1));
  assert.notEqual(sample(1), sample(2));
  assert.equal(sample(1, 0), sample(2, 0), 'greedy ignores the seed');
  const known = new Set(book.texts.join(''));
  for (const ch of sample(3, 1.2))
    assert.ok(known.has(ch) || ch === '\n', `generated ${JSON.stringify(ch)} comes from the corpus`);
  const [best] = beamSearch(trained, { prompt: 'The whale ', beam: 4, length: 40, lengthPenalty: 0, stopAtEos: false });
  const [greedy] = beamSearch(trained, {
    prompt: 'The whale ',
    beam: 1,
    length: 40,
    lengthPenalty: 0,
    stopAtEos: false,
  });
  assert.ok(
    best.totalLogProb >= greedy.totalLogProb - 1e-9,
    `beam 4 ${best.totalLogProb} vs greedy ${greedy.totalLogProb}`,
  );
  assert.equal(
    greedy.text,
    generateBatch(trained, [{ prompt: 'The whale ', temperature: 0 }], { length: 40, stopAtEos: false })[0].text,
  );
  const [atOne, sharp] = nextTokenDistributions(trained, 'The wha', [1, 0.3]);
  assert.ok(Math.abs(atOne.probs.reduce((s, p) => s + p, 0) - 1) < 1e-6);
  const l = data.vocab.encode('l')[0];
  assert.ok(sharp.probs[l] > atOne.probs[l], 'a low temperature sharpens the n-gram distribution too');
});

test(`gennet train --cell ngram saves a model folder that generate, --beam and \
temperatures read; the same seed gives the same text in new processes`, async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-ngram-'));
  const corpus = path.join(work, 'corpus.txt');
  const rng = createRng(31);
  writeFileSync(
    corpus,
    Array.from({ length: 3000 }, () => ['zu', 'ka', 'rim', 'o', 'te', ' ', ' ', '.\n'][Math.floor(rng() * 8)]).join(''),
  );
  const dir = path.join(work, 'ngram');
  const trained = gennet('train', '--corpus', corpus, '--cell', 'ngram', '--order', '4', '--out', dir, '--json');
  assert.equal(trained.status, 0, trained.stderr);
  const summary = parseAs<TrainOutput>(trained.stdout);
  assert.equal(summary.engine, 'ngram');
  assert.ok(
    summary.params > 0 && Number.isFinite(summary.valLoss) && summary.valLoss < summary.unigramEntropy,
    JSON.stringify(summary),
  );
  assert.ok(Math.abs(summary.valBitsPerChar - summary.valLoss / Math.LN2) < 1e-9);
  const sample = () =>
    gennet('generate', '--model', dir, '--prompt', 'ka', '--length', '80', '--seed', '9', '--temperature', '0.9');
  const [a, b] = [sample(), sample()];
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.notEqual(
    a.stdout,
    gennet('generate', '--model', dir, '--prompt', 'ka', '--length', '80', '--seed', '10', '--temperature', '0.9')
      .stdout,
  );
  const known = new Set(readFileSync(corpus, 'utf8'));
  for (const ch of a.stdout.trimEnd())
    assert.ok(known.has(ch), `generated ${JSON.stringify(ch)} comes from the corpus`);
  assert.equal(gennet('generate', '--model', dir, '--beam', '3', '--length', '20').status, 0);
  assert.equal(
    gennet('temperatures', '--model', dir, '--prompts', 'ka|te', '--temps', '0,1', '--length', '20', '--json').status,
    0,
  );

  // Word level: the same, over words and punctuation.
  const words = path.join(work, 'words');
  assert.equal(
    gennet('train', '--corpus', corpus, '--cell', 'ngram', '--order', '3', '--level', 'word', '--out', words).status,
    0,
  );
  const wordSample = gennet('generate', '--model', words, '--length', '30', '--seed', '2', '--temperature', '1');
  assert.equal(wordSample.status, 0, wordSample.stderr);
  const corpusWords = new Set(tokenizeWords(readFileSync(corpus, 'utf8')));
  for (const word of tokenizeWords(wordSample.stdout))
    assert.ok(corpusWords.has(word), `generated word ${JSON.stringify(word)} comes from the corpus`);

  // The library reads the same model; what it generates equals the CLI's.
  const loaded = await loadGenerator(dir);
  assert.equal((loaded as unknown as NgramGenerator).ngram.order, 4);
  const text = generateBatch(loaded, [{ prompt: 'ka', temperature: 0.9, seed: 9 }], { length: 80 })[0].text;
  assert.equal(`${text}\n`, a.stdout);
  await assert.rejects(loadArtifact(dir), /holds a counted model \(no network\); load it with loadGenerator/);

  const mistakes: [string[], RegExp][] = [
    [
      ['train', '--corpus', corpus, '--cell', 'ngram', '--units', '64', '--out', path.join(work, 'x')],
      /--units does not apply to ngram:5 \(a model of the ngram family\); drop it/,
    ],
    [
      ['train', '--corpus', corpus, '--order', '3', '--out', path.join(work, 'x')],
      /--order does not apply to lstm:1x128 \(a model of the recurrent family\); drop it, or see gennet models/,
    ],
    [
      ['generate', '--model', dir, '--engine', 'fast'],
      /holds a model of the ngram family, which runs on its own \(no engine, no backend\); drop --engine and --backend/,
    ],
    [['train', '--resume', dir], /holds a counted model \(no network\)/],
    [
      ['train', '--corpus', corpus, '--cell', 'ngram', '--no-samples', '--out', path.join(work, 'x')],
      /--no-samples does not apply to ngram:5, a counted model/,
    ],
  ];
  for (const [args, message] of mistakes) {
    const run = gennet(...args);
    assert.equal(run.status, 1, args.join(' '));
    assert.match(run.stderr, message);
  }
  const counts = path.join(dir, 'ngram.bin');
  const bytes = readFileSync(counts);
  writeFileSync(counts, bytes.subarray(0, bytes.length - 4));
  assert.match(gennet('generate', '--model', dir).stderr, /ngram\.bin/);
});

test('n-gram counts saved and read back give the same model; counts that do not fit are refused', () => {
  const data = prepareCharData(['the cat sat on the mat'], { mode: 'windows', seqLen: 8, valFraction: 0, seed: 1 });
  const model = NgramModel.fromBatches(all(data.train), 3, data.vocab.size);
  const copy = NgramModel.fromEntries(3, data.vocab.size, model.entries());
  assert.equal(copy.params, model.params);
  assert.deepEqual(copy.distribution([5, 6]), model.distribution([5, 6]));
  assert.deepEqual(copy.discounts, model.discounts);
  // The same counts in another order, each split in two entries (1 + rest where it can), give the same model.
  const groups = Array.from({ length: model.entries().length / 4 }, (_, i) =>
    Array.from(model.entries().slice(4 * i, 4 * i + 4)),
  );
  const split = groups.flatMap(([a, b, token, n]) =>
    n > 1
      ? [
          [a, b, token, 1],
          [a, b, token, n - 1],
        ]
      : [[a, b, token, n]],
  );
  const shuffled = NgramModel.fromEntries(3, data.vocab.size, Int32Array.from(split.reverse().flat()));
  assert.deepEqual(shuffled.entries(), model.entries());
  assert.deepEqual(shuffled.distribution([5, 6]), model.distribution([5, 6]));
  assert.throws(() => NgramModel.fromEntries(3, data.vocab.size, Int32Array.of(1, 2, 3, 1, 7)), /groups of 4 numbers/);
  assert.throws(
    () => NgramModel.fromEntries(3, 5, Int32Array.of(1, 2, 9, 1)),
    /outside the vocabulary of 5 or a count below 1/,
  );
});

test('the counts are every (context, token) of the training rows, sorted, each once with its number (property, against a Map)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 20, maxLength: 300 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 2, max: 12 }),
      (stream, order, seqLen) => {
        const data = prepareCharData([String.fromCharCode(...stream.map((c) => 97 + c))], {
          mode: 'windows',
          seqLen,
          valFraction: 0,
          seed: 1,
        });
        const expected = new Map<string, number>();
        for (const { inputs, targets, mask, batchSize } of all(data.train)) {
          for (let b = 0; b < batchSize; b++) {
            for (let t = 0; t < seqLen; t++) {
              if (mask !== null && mask[b * seqLen + t] === 0) continue;
              const context = Array.from({ length: order - 1 }, (_, k) => t - (order - 1) + 1 + k).map((i) =>
                i < 0 ? -1 : inputs[b * seqLen + i],
              );
              const key = [...context, targets[b * seqLen + t]].join(',');
              expected.set(key, (expected.get(key) ?? 0) + 1);
            }
          }
        }
        const entries = NgramModel.fromBatches(all(data.train), order, data.vocab.size).entries();
        const got = Array.from({ length: entries.length / (order + 1) }, (_, i) =>
          Array.from(entries.subarray(i * (order + 1), (i + 1) * (order + 1))),
        );
        const byIds = (a: number[], b: number[]) => {
          const k = a.findIndex((v, i) => v !== b[i]);
          return k < 0 ? 0 : a[k] - b[k];
        };
        const want = [...expected].map(([key, n]) => [...key.split(',').map(Number), n]).sort(byIds);
        assert.deepEqual(got, want);
      },
    ),
    { numRuns: 100 },
  );
});

import type { Vocabulary } from '../../vocab';
import type { CountedFamily, FamilyModel, FileSource, ModelSpec } from '../family';
import { NgramModel } from './ngramModel';
import { NgramStepper } from './stepper';

export { NgramModel } from './ngramModel';
export { NgramStepper } from './stepper';

/** An n-gram model with the vocabulary of its ids: it generates text as a network does (see `NgramStepper`). */
export interface NgramGenerator extends FamilyModel {
  ngram: NgramModel;
}

/** The file of a model folder that holds the counts (see `NgramModel.entries`), little-endian int32. */
const COUNTS_FILE = 'ngram.bin';
/** The highest order a spec or a saved model may have. */
const MAX_ORDER = 12;

/** What the `config.json` of the model folder `dir` records of an n-gram model, checked. */
function recorded(record: Readonly<Record<string, unknown>>, dir: string): { order: number; vocabSize: number } {
  const where = `${dir.replace(/[\\/]+$/u, '')}/config.json`;
  const shape = record.ngram as { order?: unknown; vocabSize?: unknown } | undefined;
  const [order, vocabSize] = [shape?.order, shape?.vocabSize];
  if (!(
    Number.isInteger(order) &&
    Number.isInteger(vocabSize) &&
    (order as number) >= 1 &&
    (order as number) <= MAX_ORDER &&
    (vocabSize as number) >= 1
  )) {
    throw new Error(
      `${where} records its n-gram model in a form gennet does ` +
        'not know (corrupted?). Re-train or restore the model folder.',
    );
  }
  return { order: order as number, vocabSize: vocabSize as number };
}

/** An n-gram model of `order` over `vocabSize` tokens from its counts file (`file`: int32 little-endian entries). */
function countsFromBytes(dir: string, order: number, vocabSize: number, bytes: Uint8Array | null): NgramModel {
  if (bytes === null)
    throw new Error(`"${dir}" is incomplete: ${COUNTS_FILE} is missing. Re-train or restore the model folder.`);
  if (bytes.length % 4 !== 0)
    throw new Error(`"${dir}": ${COUNTS_FILE} is truncated. Re-train or restore the model folder.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = Int32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
  try {
    return NgramModel.fromEntries(order, vocabSize, entries);
  } catch (error) {
    throw new Error(
      `"${dir}": ${COUNTS_FILE} does not fit its model (${error instanceof Error ? error.message : String(error)}). ` +
        'Re-train or restore the model folder.',
    );
  }
}

/**
 * Markov chains over tokens (`ngram:N`): counted in one pass, smoothed with interpolated Kneser–Ney; they run on
 * their own, with no engine or backend.
 */
export const ngramFamily: CountedFamily<NgramGenerator> = {
  name: 'ngram',
  description:
    'Markov chains of order N (the last N − 1 tokens are the context), interpolated Kneser–Ney; counted in seconds',
  spec: { syntax: 'ngram:N (N from 1 to 12)', example: 'ngram:5' },
  supports: { conditions: false, seq2seq: false, beam: true, page: true, export: false },
  engines: [],
  recordKeys: ['ngram'],
  training: 'counts',
  files: [COUNTS_FILE],

  parseSpec(spec: string): ModelSpec | null {
    const [name, order, extra] = spec.split(':');
    if (name !== 'ngram') return null;
    const n = Number(order);
    if (extra !== undefined || !Number.isInteger(n) || n < 1 || n > MAX_ORDER)
      throw new Error(`Cannot read the model "${spec}": use ngram:N (N from 1 to ${MAX_ORDER}).`);
    return { family: 'ngram', label: spec, settings: { order: n } };
  },

  specFromFlags: (flags) => (flags.cell === 'ngram' ? `ngram:${Number(flags.order ?? 5)}` : null),
  owns: (model): model is NgramGenerator => 'ngram' in model,
  ownsRecord: (record) => 'ngram' in record,
  openStepper: (model, _engine, rows) => new NgramStepper(model.ngram, rows),

  describe(model) {
    const { order, params } = model.ngram;
    return {
      kind: 'n-gram',
      shape: `n-gram of order ${order} (Kneser–Ney)`,
      layers: null,
      units: null,
      input: null,
      order,
      params,
    };
  },

  fit: (spec, data, batchSize) => ({
    ngram: NgramModel.fromBatches(
      data.train.batches(batchSize, null, { dropRemainder: false }),
      Number(spec.settings.order),
      data.vocab.size,
    ),
    vocab: data.vocab,
  }),
  loss: (model, batches) => model.ngram.loss(batches),

  toFiles(model) {
    const entries = model.ngram.entries();
    const bytes = new Uint8Array(entries.length * 4);
    const view = new DataView(bytes.buffer);
    entries.forEach((value, i) => view.setInt32(4 * i, value, true));
    return {
      record: { ngram: { order: model.ngram.order, vocabSize: model.ngram.vocabSize } },
      files: { [COUNTS_FILE]: bytes },
    };
  },

  fromFiles(dir: string, files: FileSource, record, vocab: Vocabulary): NgramGenerator {
    const { order, vocabSize } = recorded(record, dir);
    return { ngram: countsFromBytes(dir, order, vocabSize, files.file(COUNTS_FILE)), vocab };
  },

  vocabSizeOf: (record, dir) => recorded(record, dir).vocabSize,
};

import * as path from 'node:path';
import { readInputFile } from '../files';
import { saveArtifact } from '../io';
import { recurrentFamily } from '../families';
import { generatorOfWeights } from './recurrentWeights';
import { decodeSafetensors } from './safetensors';
import { fromTorchTensors, type TorchConfig } from './torchLayout';
import { torchVocabulary } from './torchVocabulary';

/** The largest weights file an import reads (4 GiB: a model far beyond what gennet trains). */
const MAX_WEIGHTS_BYTES = 4 * 1024 ** 3;

/** What an import made. */
export interface ImportSummary {
  /** The model folder written. */
  out: string;
  /** The network, as `gennet models` describes it. */
  shape: string;
  /** Its vocabulary: unit and size (gennet's three specials included). */
  vocab: { unit: string; size: number };
  /** Weights read from the safetensors file. */
  params: number;
  /** What the import could not carry exactly (e.g. a model without `<eos>` of more than one layer). */
  warnings: string[];
}

const readJson = async (file: string, what: string, optional: boolean): Promise<unknown> => {
  const bytes = await readInputFile(file, {
    what,
    maxBytes: 256 * 1024 ** 2,
    tooBig: 'it is not a JSON file of a model',
    instead: `give a folder holding ${path.basename(file)}`,
    refuseLinks: false,
  }).catch((error: unknown) => {
    if (optional && (error as { problem?: string }).problem === 'missing') return null;
    throw error;
  });
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${file} is not valid JSON; write it again (json.dump).`);
  }
};

/**
 * Makes a gennet model folder `outDir` from the PyTorch folder `fromDir`: `model.safetensors` laid out as gennet's
 * export (or the lesson's generator: `rnn`, optional `embedding`, `fc`), `vocab.json` (the tokens in id order) and,
 * optionally, `config.json` (an export's settings; a GRU needs it). PyTorch's tokens are placed at gennet's ids;
 * gennet's special tokens it lacks are never generated, and without `<eos>` a one-layer one-hot model's document start
 * keeps the zero state (its documents start from it; deeper or embedded models get a warning). The model folder is
 * written as `gennet train` writes one.
 */
export async function importPytorch(fromDir: string, outDir: string): Promise<ImportSummary> {
  const weightsFile = path.join(fromDir, 'model.safetensors');
  const bytes = await readInputFile(weightsFile, {
    what: 'PyTorch weights',
    maxBytes: MAX_WEIGHTS_BYTES,
    tooBig: 'it is larger than any model gennet runs',
    instead: 'give a folder holding model.safetensors (convert_state_dict.py makes one from a torch.save file)',
    whenMissing: '(python3 src/interop/python/convert_state_dict.py makes one from a torch.save file)',
  });
  const { tensors } = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), weightsFile);
  const config = (await readJson(
    path.join(fromDir, 'config.json'),
    'Export settings',
    true,
  )) as Partial<TorchConfig> | null;
  const vocab = torchVocabulary(
    await readJson(path.join(fromDir, 'vocab.json'), 'Vocabulary', false),
    `${fromDir}/vocab.json`,
  );
  const { weights, warnings } = fromTorchTensors(tensors, config, vocab, weightsFile);
  const model = generatorOfWeights(weights, vocab.vocab, weightsFile);
  try {
    await saveArtifact(outDir, model, { notes: { importedFrom: path.resolve(fromDir), importedFormat: 'pytorch' } });
    return {
      out: outDir,
      shape: recurrentFamily.describe(model).shape,
      vocab: { unit: vocab.vocab.unit, size: vocab.vocab.size },
      params: Object.values(tensors).reduce((sum, t) => sum + t.data.length, 0),
      warnings,
    };
  } finally {
    model.network.dispose();
  }
}

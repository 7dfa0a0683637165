import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { findProjectRoot } from '../corpus/projectRoot';
import { checkPlainFileInside, readInputFile } from '../files';
import { disposeLoadedModel, type LoadedModel, loadGenerator, writeFileAtomically } from '../io';
import { gennetVersion } from '../version';
import { onnxModelBytes } from './onnxGraph';
import { readRecurrentWeights } from './recurrentWeights';
import { encodeSafetensors } from './safetensors';
import { toTorchTensors, torchConfigOf, WRITTEN_BY_EXPORT } from './torchLayout';

/** The formats `gennet export` writes. */
export const EXPORT_FORMATS = ['onnx', 'pytorch'] as const;
/** An export format. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The Python files a PyTorch export carries (from `src/interop/python/`). */
export const TORCH_SCRIPTS = ['model.py', 'train_ddp.py'] as const;
/** The files of a PyTorch export folder, the scripts included. */
export const TORCH_EXPORT_FILES = ['config.json', 'model.safetensors', 'vocab.json', ...TORCH_SCRIPTS] as const;

/** What an export wrote. */
export interface ExportSummary {
  format: ExportFormat;
  /** The file or folder written. */
  out: string;
  /** Its files. */
  files: string[];
  /** The model in a few words: `LSTM, 2 layers × 256 units` and its vocabulary. */
  model: string;
}

/** The folder holding the Python files gennet ships. */
export const pythonFolder = (): string => path.join(findProjectRoot(), 'src', 'interop', 'python');

/** Loads a model folder, lets `use` read it, and frees its tensors. */
async function withModel<T>(modelDir: string, use: (model: LoadedModel) => T): Promise<T> {
  const model = await loadGenerator(modelDir);
  try {
    return use(model);
  } finally {
    disposeLoadedModel(model);
  }
}

const describe = ({ config }: ReturnType<typeof readRecurrentWeights>, unit: string, size: number) =>
  `${config.cell.toUpperCase()}, ${config.layers} layer${config.layers === 1 ? '' : 's'} × ${config.units} units, ` +
  `${size} ${unit === 'char' ? 'characters' : 'words'}`;

/** The largest existing file an ONNX export reads to decide whether it may replace it. */
const MAX_REPLACED_ONNX_BYTES = 1024 ** 3;

/** Throws unless `file` is absent or an ONNX model gennet wrote (which an export may replace). */
async function checkOnnxTarget(file: string): Promise<void> {
  const stat = await fs.lstat(file).catch(() => null);
  if (stat === null) return;
  const refuse = (why: string) =>
    new Error(`"${file}" ${why}; gennet replaces only an ONNX model it exported. Give --out a new file name.`);
  if (!stat.isFile()) throw refuse('is not a regular file');
  if (stat.size > MAX_REPLACED_ONNX_BYTES) throw refuse('is larger than any ONNX model gennet writes');
  let producer: string | null | undefined;
  try {
    producer = onnx.ModelProto.decode(await fs.readFile(file)).producerName;
  } catch {
    throw refuse('is not an ONNX model');
  }
  if (producer !== 'gennet') throw refuse(`is not an ONNX model gennet wrote (its producer: "${producer ?? ''}")`);
}

/**
 * Writes the recurrent model of `modelDir` as an ONNX graph to `outFile` (see `onnxGraph.ts`: token ids and the state
 * in, logits and the new state out; the vocabulary in its metadata). An existing file is replaced only when it is an
 * ONNX model gennet exported.
 */
export async function exportOnnx(modelDir: string, outFile: string): Promise<ExportSummary> {
  await checkOnnxTarget(outFile);
  const { bytes, model } = await withModel(modelDir, (loaded) => {
    const weights = readRecurrentWeights(loaded);
    const metadata = {
      'gennet.version': gennetVersion(),
      'gennet.exportedFrom': path.basename(path.resolve(modelDir)),
    };
    return {
      bytes: onnxModelBytes(weights, loaded.vocab, metadata),
      model: describe(weights, loaded.vocab.unit, loaded.vocab.size),
    };
  });
  await writeFileAtomically(outFile, bytes);
  return { format: 'onnx', out: outFile, files: [path.basename(outFile)], model };
}

/**
 * Throws unless `dir` is absent, empty, or a folder `gennet export` wrote (its `config.json` says so); links and
 * folders where its files go are refused.
 */
async function checkTorchFolder(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat === null) return;
  if (!stat.isDirectory()) throw new Error(`"${dir}" is a file; give --out a folder for the PyTorch export.`);
  const entries = await fs.readdir(dir);
  if (entries.length === 0) return;
  const config = entries.includes('config.json')
    ? await readInputFile(path.join(dir, 'config.json'), {
        what: 'Export settings',
        maxBytes: 1 << 20,
        tooBig: 'it is not an export of gennet',
        instead: 'give --out a new or empty folder',
        refuseLinks: true,
      })
        .then((bytes) => (JSON.parse(bytes.toString('utf8')) as { written_by?: unknown } | null)?.written_by)
        .catch(() => null)
    : null;
  if (config !== WRITTEN_BY_EXPORT)
    throw new Error(
      `"${dir}" holds files that are not a gennet export (${entries.slice(0, 3).join(', ')}` +
        `${entries.length > 3 ? ', …' : ''}; a folder PyTorch saved is not replaced either); gennet will not write ` +
        'into it. Give --out a new or empty folder.',
    );
  const role = { place: `the export folder "${dir}"`, retry: 'export again' };
  for (const file of TORCH_EXPORT_FILES) await checkPlainFileInside(path.resolve(dir), file, role);
}

/**
 * Writes the recurrent model of `modelDir` for PyTorch into the folder `outDir`: `model.safetensors` (PyTorch's
 * layout and gate order), `config.json`, `vocab.json`, `model.py` (the `nn.Module`) and `train_ddp.py` (training on
 * with DistributedDataParallel). The folder must be new, empty or an earlier export (whose files are replaced).
 */
export async function exportPytorch(modelDir: string, outDir: string): Promise<ExportSummary> {
  await checkTorchFolder(outDir);
  const { written, model } = await withModel(modelDir, (loaded) => {
    const weights = readRecurrentWeights(loaded);
    const metadata = { format: 'gennet-pytorch', gennetVersion: gennetVersion() };
    return {
      written: {
        'model.safetensors': encodeSafetensors(toTorchTensors(weights), metadata),
        'config.json': JSON.stringify({ ...torchConfigOf(weights), gennet_version: gennetVersion() }, null, 2),
        'vocab.json': JSON.stringify(loaded.vocab.toJSON()),
      },
      model: describe(weights, loaded.vocab.unit, loaded.vocab.size),
    };
  });
  const files: Record<string, string | Uint8Array> = { ...written };
  for (const script of TORCH_SCRIPTS) files[script] = await fs.readFile(path.join(pythonFolder(), script));
  // config.json first: a folder where an export was interrupted is still one, which the next export replaces
  for (const name of TORCH_EXPORT_FILES) await writeFileAtomically(path.join(outDir, name), files[name]);
  return { format: 'pytorch', out: outDir, files: [...TORCH_EXPORT_FILES], model };
}

import { fileIn, modelFromFiles, parseJson, type SavedConditions, type SavedSource } from '../io/modelBytes';
import type { TextGenerator } from '../sample';

// The model as a web page loads it: the model folder's own files, fetched, plus one manifest that Node wrote after
// loading the folder with every check `gennet generate` makes. Nothing here touches a file system.

/** The folder of a site that holds the model; the page fetches it from there. */
export const SITE_MODEL_FOLDER = 'model';
/** The manifest's name in the site's model folder. */
export const WEB_MODEL_FILE = 'web-model.json';

/** What the page shows about the model (every field from the model folder; null where it does not record it). */
export interface ModelFacts {
  /** `LSTM`, `GRU`, `RNN`, `n-gram`, `MLP` (see `ModelDescription`). */
  kind: string;
  /** The model in a few words: `LSTM, 2 layers × 128 units, one-hot input`, `n-gram of order 5 (Kneser–Ney)`. */
  shape: string;
  /** Whether it is counted (its parameters are stored counts) rather than trained by gradient steps. */
  counted: boolean;
  /** Layers and units per layer (null where the model has none). */
  layers: number | null;
  units: number | null;
  /** How tokens enter the network: `one-hot` or `embedding N` (null for an n-gram model). */
  input: string | null;
  /** Tokens of context: an n-gram model's order, an MLP's window (null for a recurrent network). */
  order: number | null;
  /** A conditional model's conditions, e.g. `year:decade (23 values)`; null for others. */
  conditions: string[] | null;
  /**
   * A sequence-to-sequence model's source, e.g. `word: characters, 30 in the vocabulary, up to 34`; null (or absent,
   * in sites exported before the page took such models) for others.
   */
  source?: string | null;
  /** What a token is (`char` or `word`) and how many the vocabulary holds. */
  unit: string;
  vocabSize: number;
  /** Trained numbers: parameters (counts, for an n-gram model) and optimisation steps; null when not recorded. */
  params: number | null;
  steps: number | null;
  /** The training corpus as the run recorded it (`builtin:moby-dick`, a file path); null when not recorded. */
  corpus: string | null;
  /** Validation loss in bits per character; null without a validation split. */
  valBitsPerChar: number | null;
  /** When the model was saved (ISO date). */
  savedAt: string;
}

/**
 * `web-model.json`: what the model folder's `config.json` records of the model, which files make it, and what it is.
 */
export interface WebModelManifest {
  format: 'gennet-web-model';
  /** 2: the model's record and file list, for a model of any family (1 knew networks and n-grams by name). */
  version: 2;
  /**
   * What `config.json` says of the model alone: its family's keys (`model`, `ngram`…, see `recordKeys`), a
   * conditional model's `conditions`, a sequence-to-sequence model's `source` — no run, notes, digests or paths.
   */
  record: Record<string, unknown>;
  /** The model folder's files the page fetches. */
  files: string[];
  facts: ModelFacts;
}

/**
 * A model loaded by the page: what generates, its condition encoder (a conditional network; else null), its source
 * encoder (a sequence-to-sequence model, whose generator is its decoder; else null), its manifest.
 */
export interface WebModel {
  generator: TextGenerator;
  conditions: SavedConditions | null;
  source: SavedSource | null;
  manifest: WebModelManifest;
}

/** Fetches one file; null when the server says it is not there. */
async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const response = await fetch(url).catch((error: unknown) => {
    throw new Error(
      `Cannot fetch ${url} (${error instanceof Error ? error.message : String(error)}). A page opened from ` +
        'disk (file://) cannot read its ' +
        'model: serve the folder over http (python3 -m http.server -d SITE, or gennet serve --model DIR).',
    );
  });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: the server answered ${response.status} ${response.statusText}.`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Loads the model of a site written by `writeWebSite` from the folder URL `base` (e.g. `model/`): the manifest, then
 * its files, built into a generator by the code that reads a model folder on disk (JSON, weights' size and values,
 * the vocabulary's size, a family's own files).
 */
export async function loadWebModel(
  base: string,
  fetchFile: (url: string) => Promise<Uint8Array | null> = fetchBytes,
): Promise<WebModel> {
  const manifestBytes = await fetchFile(fileIn(base, WEB_MODEL_FILE));
  if (manifestBytes === null)
    throw new Error(
      `${fileIn(base, WEB_MODEL_FILE)} is missing: this site has no model. Export it again with gennet export-web.`,
    );
  const manifest = parseJson(base, WEB_MODEL_FILE, manifestBytes) as WebModelManifest;
  if (
    manifest?.format !== 'gennet-web-model' ||
    manifest.version !== 2 ||
    !Array.isArray(manifest.files) ||
    typeof manifest.record !== 'object' ||
    manifest.record === null
  ) {
    throw new Error(
      `${fileIn(base, WEB_MODEL_FILE)} is not a gennet web model ` +
        'of version 2; export the model again with gennet export-web.',
    );
  }
  const bytes = new Map(
    await Promise.all(manifest.files.map(async (name) => [name, await fetchFile(fileIn(base, name))] as const)),
  );
  const { conditions, source, ...generator } = await modelFromFiles(
    base,
    { file: (name: string) => bytes.get(name) ?? null },
    manifest.record,
  );
  return { manifest, conditions, source, generator };
}

import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '../corpus/projectRoot';
import { checkPlainFileInside, isWithin, makeFolder, readInputFile, realPathOf } from '../files';
import { describeModel, familyOf } from '../families';
import {
  ARTIFACT_FILES,
  countedFamilyFiles,
  generatorFromFiles,
  disposeLoadedModel,
  type LoadedModel,
  type ModelFiles,
  readModelFolder,
  writeFileAtomically,
} from '../io';
import { type ModelFacts, SITE_MODEL_FOLDER, WEB_MODEL_FILE, type WebModelManifest } from './webModel';

/**
 * The file that marks a folder as a site gennet wrote and lists the files it wrote (the only ones a later
 * export touches).
 */
const SITE_MARKER = 'gennet-site.json';
/** Prefix of the folder a site is first written to, inside the site's folder. */
const STAGING_PREFIX = '.gennet-staging-';

/** The largest marker read: a site's list of a dozen files is a few hundred bytes. */
const MAX_MARKER_BYTES = 1e6;

/** What {@link SITE_MARKER} holds. */
interface SiteMarker {
  format: 'gennet-web-site';
  version: 1;
  /** The files gennet wrote, relative to the site's folder (`/`-separated). */
  files: string[];
}

/** The built page (bundle, HTML, styles, plotly.js, the wasm binaries): `npm run build` writes it. */
function pageAssetsDir(): string {
  const dir = path.join(findProjectRoot(), 'dist', 'web', 'page');
  if (!existsSync(path.join(dir, 'index.html')) || !existsSync(path.join(dir, 'app.js'))) {
    throw new Error(`The web page is not built (${dir} has no index.html and app.js). Run \`npm run build\` first.`);
  }
  return dir;
}

/** What the page shows about a loaded model (see {@link ModelFacts}); a corpus file is named without its folders. */
export function modelFacts(loaded: LoadedModel): ModelFacts {
  const run = loaded.saved.run;
  const epochs = run?.history.epochs ?? [];
  const corpus = run?.data.corpus ?? null;
  const family = familyOf(loaded);
  const { kind, shape, layers, units, input, order, params } = describeModel(loaded);
  return {
    kind,
    shape,
    counted: family.training === 'counts',
    layers,
    units,
    input,
    order,
    unit: loaded.vocab.unit,
    vocabSize: loaded.vocab.size,
    conditions: loaded.conditions?.config.conditions.map((c) => `${c.column} (${c.values.length} values)`) ?? null,
    source: sourceFact(loaded),
    params: params + (loaded.conditions?.encoder.countParams() ?? 0) + (loaded.source?.encoder.countParams() ?? 0),
    savedAt: loaded.saved.createdAt,
    corpus: corpus === null || corpus.startsWith('builtin:') ? corpus : path.basename(corpus),
    steps: run?.summary?.steps ?? run?.history.batches.length ?? null,
    valBitsPerChar: run?.summary?.valBitsPerChar ?? epochs.at(-1)?.valBitsPerChar ?? null,
  };
}

/** A sequence-to-sequence model's source in a few words (its column, tokens and longest length); null for others. */
function sourceFact(loaded: LoadedModel): string | null {
  if (loaded.source === null) return null;
  const { vocab, config } = loaded.source;
  const column = loaded.saved.run?.data.sourceColumn;
  const tokens = `${vocab.unit === 'char' ? 'characters' : 'words'}, ${vocab.size} in the vocabulary`;
  return `${column === undefined || column === null ? '' : `${column}: `}${tokens}, up to ${config.maxLen}`;
}

/** The manifest of a loaded model; families the page cannot show are refused. */
function manifestOf(dir: string, loaded: LoadedModel): WebModelManifest {
  const family = familyOf(loaded);
  if (!family.supports.page)
    throw new Error(`"${dir}" is a ${family.name} model, which the web page cannot show yet; use gennet generate.`);
  // Only what builds the model: its family's record and its encoder's settings (no run, notes or paths).
  const keys = [
    ...family.recordKeys,
    ...(loaded.conditions === null ? [] : ['conditions']),
    ...(loaded.source === null ? [] : ['source']),
  ];
  const record = Object.fromEntries(keys.map((key) => [key, (loaded.saved as Record<string, unknown>)[key]]));
  const files =
    family.training === 'counts'
      ? [...family.files, ARTIFACT_FILES.vocab]
      : [
          ARTIFACT_FILES.model,
          ARTIFACT_FILES.weights,
          ARTIFACT_FILES.vocab,
          ...(loaded.conditions === null ? [] : [ARTIFACT_FILES.conditionModel, ARTIFACT_FILES.conditionWeights]),
          ...(loaded.source === null
            ? []
            : [ARTIFACT_FILES.sourceModel, ARTIFACT_FILES.sourceWeights, ARTIFACT_FILES.sourceVocab]),
        ];
  return { format: 'gennet-web-model', version: 2, record, files, facts: modelFacts(loaded) };
}

/**
 * Writes every file of the site of a model (its manifest and folder's files) into the empty folder `dir`; returns
 * their paths.
 */
async function stageSite(manifest: WebModelManifest, folder: ModelFiles, dir: string): Promise<string[]> {
  const assets = pageAssetsDir();
  // the source map stays in dist/
  const pageFiles = (await fs.readdir(assets)).filter((name) => !name.endsWith('.map')).sort();
  for (const name of pageFiles) await fs.copyFile(path.join(assets, name), path.join(dir, name));
  await fs.mkdir(path.join(dir, SITE_MODEL_FOLDER));
  const modelFiles = manifest.files;
  for (const name of modelFiles) await fs.writeFile(path.join(dir, SITE_MODEL_FOLDER, name), folder.file(name)!);
  await fs.writeFile(path.join(dir, SITE_MODEL_FOLDER, WEB_MODEL_FILE), JSON.stringify(manifest, null, 2));
  return [...pageFiles, ...[...modelFiles, WEB_MODEL_FILE].map((name) => `${SITE_MODEL_FOLDER}/${name}`)];
}

/** The page's files earlier releases wrote (a site they exported lists them); the wasm binaries are matched by name. */
const PAST_PAGE_FILES = ['app.js', 'app.js.LEGAL.txt', 'index.html', 'plotly.min.js', 'style.css'];

/**
 * True when `file`, listed by a site's marker, is a file some gennet writes in a site: a page file or one of a
 * model's files under `model/`. Other entries (a marker edited to list `CNAME` or `.git/config`) are never deleted.
 */
function gennetMayHaveWritten(file: string): boolean {
  const modelFiles = [...Object.values(ARTIFACT_FILES), ...countedFamilyFiles(), WEB_MODEL_FILE];
  return (
    PAST_PAGE_FILES.includes(file) ||
    /^tfjs-backend-wasm[a-z-]*\.wasm$/.test(file) ||
    modelFiles.some((name) => file === `${SITE_MODEL_FOLDER}/${name}`)
  );
}

/** Where a site's files are, for the messages of {@link checkPlainFileInside}. */
const siteRole = (dir: string) => ({ place: `the site folder "${dir}"`, retry: 'export again' });

/** True for a marker entry naming a file inside the site: relative, normalised, no `..`, not the marker itself. */
function isSiteEntry(file: unknown): file is string {
  return (
    typeof file === 'string' &&
    file !== '' &&
    file !== SITE_MARKER &&
    !file.startsWith(STAGING_PREFIX) &&
    !path.isAbsolute(file) &&
    path.posix.normalize(file) === file &&
    !file.split('/').includes('..')
  );
}

/** The files a site marker lists; a marker that cannot be read, parsed or trusted is refused by name. */
async function readSiteMarker(dir: string): Promise<string[]> {
  const file = path.join(dir, SITE_MARKER);
  const startAgain = `move your own files out of "${dir}", then delete the folder and export again`;
  const damaged = (why: string) =>
    new Error(`${file} ${why}, so gennet cannot tell its files from yours; ${startAgain}.`);
  const bytes = await readInputFile(file, {
    what: 'Site marker',
    maxBytes: MAX_MARKER_BYTES,
    refuseLinks: true,
    tooBig: `it is not a marker gennet wrote; ${startAgain}`,
    instead: startAgain,
  });
  let marker: Partial<SiteMarker> | null;
  try {
    marker = JSON.parse(bytes.toString('utf8')) as Partial<SiteMarker> | null;
  } catch {
    throw damaged('is not valid JSON');
  }
  if (marker?.format !== 'gennet-web-site' || !Array.isArray(marker.files))
    throw damaged('is not a gennet site marker');
  const outside = marker.files.find((entry) => !isSiteEntry(entry));
  if (outside !== undefined) throw damaged(`lists ${JSON.stringify(outside)}, which is not a file inside the site`);
  return marker.files;
}

/**
 * The files gennet wrote in `dir` before ([] for a new or empty folder); a file, or a folder holding anything but a
 * site gennet wrote (and what was added to it since), is refused.
 */
async function earlierSiteFiles(dir: string): Promise<string[]> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat === null) return [];
  if (!stat.isDirectory()) throw new Error(`"${dir}" is a file; give --out a folder for the site.`);
  const entries = (await fs.readdir(dir)).filter((name) => !name.startsWith(STAGING_PREFIX));
  if (entries.includes(SITE_MARKER)) return readSiteMarker(dir);
  if (entries.length === 0) return [];
  throw new Error(
    `"${dir}" holds files that are not a gennet site ` +
      `(${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); ` +
      'gennet will not write into it. Give --out a new or empty folder.',
  );
}

/** Throws unless the model folder and the site folder (real paths, links resolved) are apart. */
async function checkApart(modelDir: string, outDir: string): Promise<void> {
  const [model, out] = await Promise.all([realPathOf(modelDir), realPathOf(outDir)]);
  if (isWithin(out, model) || isWithin(model, out)) {
    throw new Error(
      `The site folder "${outDir}" and the model folder "${modelDir}" must not hold one another` +
        `${out === path.resolve(outDir) ? '' : ` ("${outDir}" leads to "${out}")`}; give --out a folder elsewhere.`,
    );
  }
}

/**
 * Writes the web page of the model in `modelDir` as static files in `outDir` (any static host serves them): the page,
 * the bundle, plotly.js and the wasm binaries, and the model's files under `model/`; `gennet-site.json` lists them.
 * Exporting again into the same folder replaces only those files — what else the folder holds (a `.git`, a `CNAME`,
 * your own pages) stays — and a folder that holds anything but a gennet site is refused, as is a symbolic link or a
 * folder where one of gennet's files goes (it never writes or deletes through a link). The site is first written to a
 * folder inside `outDir`, then each file is moved into place.
 */
export async function writeWebSite(modelDir: string, outDir: string): Promise<WebModelManifest> {
  await checkApart(modelDir, outDir);
  const out = path.resolve(outDir);
  const listed = await earlierSiteFiles(out);
  const folder = await readModelFolder(modelDir);
  const loaded = await generatorFromFiles(modelDir, folder);
  let manifest: WebModelManifest;
  try {
    manifest = manifestOf(modelDir, loaded);
  } finally {
    disposeLoadedModel(loaded);
  }
  await makeFolder(out);
  for (const name of await fs.readdir(out)) {
    // an interrupted export's
    if (name.startsWith(STAGING_PREFIX)) await fs.rm(path.join(out, name), { recursive: true, force: true });
  }
  const staging = await fs.mkdtemp(path.join(out, STAGING_PREFIX));
  try {
    const files = await stageSite(manifest, folder, staging);
    const earlier = listed.filter((file) => files.includes(file) || gennetMayHaveWritten(file));
    const plain = (file: string) => checkPlainFileInside(out, file, siteRole(outDir));
    for (const file of new Set([...earlier, ...files])) await plain(file);
    const taken = files.filter((file) => !earlier.includes(file) && existsSync(path.join(out, file)));
    if (taken.length > 0)
      throw new Error(
        `"${outDir}" holds ${taken.join(', ')}, which gennet did not write; move ` +
          `${taken.length === 1 ? 'it' : 'them'} away and export again.`,
      );
    // The marker names the old and the new files while they change places (an interrupted export is finished by the
    // next), then the new ones alone. Each path is checked again right before it changes.
    const writeMarker = (listed: string[]) =>
      writeFileAtomically(
        path.join(out, SITE_MARKER),
        JSON.stringify({ format: 'gennet-web-site', version: 1, files: listed } satisfies SiteMarker, null, 2),
      );
    await writeMarker([...new Set([...earlier, ...files])]);
    for (const file of earlier.filter((file) => !files.includes(file))) {
      await plain(file);
      await fs.rm(path.join(out, file), { force: true });
    }
    for (const file of files) {
      await plain(file);
      await makeFolder(path.dirname(path.join(out, file)));
      await fs.rename(path.join(staging, file), path.join(out, file));
    }
    await writeMarker(files);
    return manifest;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

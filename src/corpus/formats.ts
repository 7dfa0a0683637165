import * as path from 'node:path';

/** File formats a corpus can be read from. */
export type CorpusFormat = 'csv' | 'json' | 'jsonl' | 'txt';

const FORMAT_BY_EXTENSION: Record<string, CorpusFormat> = {
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'txt',
};

/** Every corpus format, as `--format` takes them. */
export const CORPUS_FORMATS: readonly CorpusFormat[] = ['csv', 'json', 'jsonl', 'txt'];

/** Picks the format of a corpus file: the explicit one if given, else from the file extension. */
export function resolveFormat(file: string, format?: CorpusFormat): CorpusFormat {
  if (format !== undefined) {
    if (!CORPUS_FORMATS.includes(format)) {
      throw new Error(`Unknown corpus format '${String(format)}'. Use one of: ${CORPUS_FORMATS.join(', ')}.`);
    }
    return format;
  }
  const extension = path.extname(file).toLowerCase();
  const found = FORMAT_BY_EXTENSION[extension];
  if (found === undefined) {
    const supported = Object.keys(FORMAT_BY_EXTENSION).join(', ');
    throw new Error(
      `Cannot tell the format of corpus file ${file} from its extension '${extension}'. ` +
        `Supported extensions: ${supported}; or give the format with --format ${CORPUS_FORMATS.join('|')} ` +
        "(the library's `format` option).",
    );
  }
  return found;
}

export { agNewsCachePath, agNewsUrl, fetchAgNews, type AgNewsSplit, type FetchAgNewsOptions } from './agnews-download';
export { cleanAgNewsText } from './agnews-text';
export { builtinCorpora, type BuiltinCorpusInfo } from './builtins';
export { describeCorpus, type Corpus, type CorpusStats } from './corpus';
export type { CsvLayout, CsvOptions } from './csv';
export type { CorpusFormat } from './formats';
export { loadCorpus, type CorpusOptions } from './load';
export { SPLIT_MODES, type SplitMode } from './split';

export { agNewsCachePath, agNewsUrl, fetchAgNews, type AgNewsSplit, type FetchAgNewsOptions } from './agNewsDownload';
export { cleanAgNewsText } from './agNewsText';
export { builtinCorpora, withoutStress, type BuiltinCorpusInfo } from './builtins';
export { describeCorpus, type Corpus, type CorpusStats } from './corpus';
export type { CsvLayout, CsvOptions } from './csv';
export { CORPUS_FORMATS, type CorpusFormat } from './formats';
export { loadCorpus, type CorpusOptions } from './load';
export { SPLIT_MODES, type SplitMode } from './documentSplit';
export { decodeText, describeTextIssues } from './textDecoding';
export { normaliseNewlines } from './textFile';
export {
  CONDITION_BUCKETS,
  documentConditions,
  parseConditionSpec,
  type ConditionBucket,
  type ConditionSpec,
  type DocumentConditions,
} from './conditions';

export * from './dataset';
export * from './windowDataset';
export * from './lineDataset';
export * from './trainValSplit';
export * from './unigramEntropy';
export * from './prepare';
export * from './corpusData';
export * from './sourceData';

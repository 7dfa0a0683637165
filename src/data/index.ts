export * from './dataset';
export * from './windowDataset';
export * from './lineDataset';
export * from './split';
export * from './unigramEntropy';

export * from './specialTokens';
export * from './vocabulary';
export * from './tokenIds';
export * from './charVocab';
export * from './wordTokenizer';
export * from './wordVocab';
export * from './unknownTokens';
export * from './vocabularyKinds';

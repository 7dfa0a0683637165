export * from './specialTokens';
export * from './vocabulary';
export * from './charVocab';

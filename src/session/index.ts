export * from './callbacks';
export * from './run';
export * from './knownWords';
export * from './runConditions';
export * from './runSource';
export * from './evaluationPairs';
export * from './compare';
export * from './countedRun';

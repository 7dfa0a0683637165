export * from './callbacks';
export * from './run';
export * from './knownWords';
export * from './runConditions';

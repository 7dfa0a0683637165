export * from './callbacks';
export * from './history';
export * from './loss';
export * from './prepare';
export * from './trainer';
export * from './batchLoss';

export * from './clip';
export * from './history';
export * from './runState';
export * from './trainer';
export { GradientWorkers, splitBatch } from './parallelGradients';
export * from './summary';
export * from './encoderDecoder';
export * from './memory';

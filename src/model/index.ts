export * from './cells';
export * from './generator';
export * from './generatorModel';
export * from './initializers';
export * from './layers';
export { lookupRows } from './rowLookup';
export * from './recurrentState';
export * from './conditionEncoder';
export * from './sequenceEncoder';

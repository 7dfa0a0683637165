export * from './generator';
export * from './layers';
export * from './stepper';
export * from './trainedModel';
export * from './fast';
export { lookupRows } from './rowLookup';

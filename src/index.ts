export * from './backend';
export * from './random';

export * from './artifact';
export * from './atomicDir';
export * from './atomicFile';

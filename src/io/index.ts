export * from './artifact';
export * from './atomicDir';
export * from './atomicFile';
export * from './savedRun';

export * from './artifact';
export * from './atomicDir';

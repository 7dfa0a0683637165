export * from './artifact';
export * from './atomicFile';
export * from './modelFolder';
export * from './savedRun';
export * from './ngramArtifact';
export * from './modelBytes';

export * from './artifact';
export * from './atomicFile';
export * from './modelFolder';
export * from './savedRun';
export * from './countedArtifact';
export * from './modelBytes';

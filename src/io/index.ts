export * from './artifact';
export * from './atomicFile';
export * from './modelFolder';
export {
  checkSaveTarget,
  type FolderLock,
  isModelFolder,
  lockModelFolder,
  refuseOtherWriter,
  withModelFolderLock,
} from './modelFolderLock';
export * from './savedRun';
export * from './countedArtifact';
export * from './modelBytes';

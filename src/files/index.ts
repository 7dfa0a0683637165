export { describeBytes } from './byteSize';
export { InputFileError, type InputPolicy, type InputProblem, readInputFile, readStandardInput } from './inputFile';
export { checkPlainFileInside, type FolderRole, isWithin, makeFolder, realPathOf } from './folders';

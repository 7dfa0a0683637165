export { describeBytes } from './byteSize';
export { InputFileError, type InputPolicy, type InputProblem, readInputFile } from './inputFile';

export * from './exportModel';
export * from './gateLayout';
export * from './importModel';
export { onnxModelBytes } from './onnxGraph';
export * from './recurrentWeights';
export * from './safetensors';
export * from './torchLayout';
export * from './torchVocabulary';

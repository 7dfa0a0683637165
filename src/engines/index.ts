export * from './engine';
export * from './registry';
export { fastEngine, fastBatchLoss, fastLogits, FastStepper } from './fast';
export { layersEngine, LayersStepper, sequenceLoss } from './layers';

export * from './engine';
export * from './registry';
export { fastEngine, fastBatchLoss, FastStepper } from './fast';
export { layersEngine, LayersStepper, sequenceLoss } from './layers';
export { nativeEngine } from './native';
export { nativeConditionalLayout, nativeConditionalLossAndGradients } from './native/conditional';
export { nativeSeq2SeqLayout, nativeSeq2SeqLossAndGradients } from './native/seq2seq';
export {
  encoderParts,
  type EncoderParts,
  networkParts,
  type NetworkParts,
  partsUnsupportedReason,
} from './networkParts';
export { type EncodedRows, fastEncoderOutputs } from './fast/encoder';
export { type Encoder, encoderOf } from './encoder';

export { fastBatchLoss, fastLogits } from './fastNetwork';
export { GATE_ACTIVATIONS, GateActivation } from './gates';
export { gruSequence } from './gruSequence';
export { lstmSequence } from './lstmSequence';
export { rnnSequence } from './rnnSequence';
export { SequenceShape } from './sequence';
export { FastStepper } from './fastStepper';

import { autodiffTraining } from '../autodiff';
import type { Engine } from '../engine';
import { fastBatchLoss } from './network';
import { partsUnsupportedReason } from '../networkParts';
import { FastStepper } from './stepper';

/**
 * Our JavaScript kernels over TensorFlow.js: time-major recurrences with one backend matMul per step (two for GRU)
 * and the gate math fused in JavaScript, explicit transposes, one-hot inputs as row lookups, a fused softmax
 * cross-entropy. Same function of the same weights as the layers engine, 6–9× faster on wasm.
 */
export const fastEngine: Engine = {
  name: 'fast',
  description:
    'our JavaScript kernels: time-major cells, one matMul per ' +
    'step, fused gate math and loss (6-9x the layers engine on wasm)',
  // Weights, gradients and Adam on the backend; its cells' step arrays in JavaScript.
  memory: { perParam: 16, perTapeGradient: 0, perTokenFloat: 2.9, heapPerParam: 16, heapPerTokenFloat: 1.9 },
  unavailableReason: () => null,
  unsupportedReason: partsUnsupportedReason,
  ...autodiffTraining(fastBatchLoss),
  createStepper: (network, _config, batchSize) => new FastStepper(network, batchSize),
};

export { fastBatchLoss } from './network';
export { FastStepper } from './stepper';

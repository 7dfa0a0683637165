import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../data';
import {
  type EncoderMemory,
  type ModelConfig,
  type StateLayout,
  stateLayout,
  VectorStateStepperBase,
} from '../../model';
import type { Engine, LossAndGradients, OptimizerState, UpdateSettings } from '../engine';
import { NetworkParts, networkParts, partsUnsupportedReason } from '../networkParts';
import { NativeLayout, NativeSpec, nativeAddon } from './addon';
import { nativeFusedTraining } from './fusedTraining';
import { isGpt, type NativeGptLayout, nativeGptLayout } from './gptLayout';

/** The dropout rate every recurrent layer shares (0 for none), or null when the layers' rates differ. */
function sharedDropoutRate(parts: NetworkParts): number | null {
  const rates = new Set(
    parts.recurrent.map((part) => (part.dropout === null ? 0 : Number(part.dropout.getConfig().rate))),
  );
  return rates.size === 1 ? [...rates][0] : null;
}

/**
 * The network as the addon takes it: variables in the order of the network's trainable weights (as optimizers see
 * them); each dropout seed drawn counts a call on the model's dropout layer, so a saved run's masks go on where
 * they were.
 */
function nativeLayout(network: tf.LayersModel): NativeLayout {
  const parts: NetworkParts = networkParts(network, 'native');
  const first = parts.recurrent[0];
  const spec: NativeSpec = {
    cell: first.cell.name,
    gate: first.gate === 'sigmoid' ? 0 : 1,
    layers: parts.recurrent.length,
    units: first.recurrentKernel.shape[0]!,
    vocab: parts.output.bias.shape[0]!,
    embed: parts.embedding === null ? 0 : parts.embedding.shape[1]!,
    dropout: sharedDropoutRate(parts) ?? 0,
  };
  const variables = [
    ...(parts.embedding === null ? [] : [parts.embedding]),
    ...parts.recurrent.flatMap((part) => [part.kernel, part.recurrentKernel, part.bias]),
    parts.output.kernel,
    parts.output.bias,
  ];
  const nextDropoutSeeds = () =>
    spec.dropout === 0 ? null : Uint32Array.from(parts.recurrent.map((part) => part.dropout!.nextSeed() >>> 0));
  return { spec, variables, nextDropoutSeeds };
}

/** Why the addon cannot run `network`, beyond what the shared parts reader checks. */
function nativeUnsupportedReason(network: tf.LayersModel): string | null {
  if (isGpt(network)) {
    if (typeof addon().gptLossAndGradients !== 'function')
      return 'this build of the addon predates GPTs: rebuild it (npm run build:native)';
    const layout = nativeGptLayout(network);
    return 'reason' in layout ? layout.reason : null;
  }
  const reason = partsUnsupportedReason(network);
  if (reason !== null) return reason;
  const parts = networkParts(network, 'native');
  if (parts.attention !== null) return `layer "${parts.attention.name}": attention is not in the native engine yet`;
  const cells = new Set(parts.recurrent.map((part) => part.cell.name));
  const gates = new Set(parts.recurrent.map((part) => part.gate));
  const known = addon().cells;
  if ([...cells].some((cell) => !known.includes(cell)))
    return `cell ${[...cells].join('/')} (the addon knows ${known.join(', ')})`;
  if (cells.size > 1 || gates.size > 1) return 'layers of different cells or gates';
  if (sharedDropoutRate(parts) === null) return 'dropout rates that differ between layers';
  if (new Set(parts.recurrent.map((part) => part.recurrentKernel.shape[0])).size > 1)
    return 'layers of different sizes';
  const { variables } = nativeLayout(network);
  if (variables.some((v, i) => network.trainableWeights[i] !== v))
    return 'trainable weights in an order other than input, layers, output';
  return null;
}

/** The addon runs no attention (`unsupportedReason` refuses such networks): a memory given anyway is an error. */
function refuseMemory(memory: EncoderMemory | null): void {
  if (memory !== null)
    throw new Error('The native engine does not run attention yet: train or decode with --engine fast (or layers).');
}

/** The GPT `network`'s layout (it was checked by `unsupportedReason` when the engine was chosen). */
function gptLayout(network: tf.LayersModel): NativeGptLayout {
  const layout = nativeGptLayout(network);
  if ('reason' in layout) throw new Error(`The native engine cannot run this model: ${layout.reason}.`);
  return layout;
}

/** The loss of a GPT batch and, `withGradients`, its gradients by variable name; a GPT starts from no state. */
function gptPass(
  network: tf.LayersModel,
  batch: Batch,
  threads: number,
  initialState: Float32Array | null,
  withGradients: boolean,
): LossAndGradients {
  if (initialState !== null) throw new Error('A GPT takes no initial state (it has no conditions and no encoder).');
  const { spec, variables, nextDropoutSeeds } = gptLayout(network);
  const { inputs, targets, mask, batchSize, seqLen } = batch;
  const seeds = withGradients ? nextDropoutSeeds() : null;
  const args = [inputs, targets, mask, batchSize, seqLen, threads, seeds, withGradients] as const;
  const result = addon().gptLossAndGradients(spec, weightArrays(variables), ...args);
  const grads: tf.NamedTensorMap = {};
  const arrays = result.grads ?? [];
  arrays.forEach(
    (values, i) =>
      (grads[(variables[i].read() as tf.Variable).name] = tf.tensor(values, variables[i].shape as number[])),
  );
  return { loss: result.loss, grads };
}

const addon = () => {
  const loaded = nativeAddon();
  if ('reason' in loaded) throw new Error(`The native engine is not available: ${loaded.reason}.`);
  return loaded.addon;
};

/**
 * The network's current weights as plain arrays, in the addon's order (it only reads them; what it keeps it copies).
 */
function weightArrays(variables: tf.LayerVariable[]): Float32Array[] {
  return variables.map((v) => v.read().dataSync() as Float32Array);
}

/** The native engine's stepper: the C++ network steps the batch, the state stays in C++. */
class NativeStepper extends VectorStateStepperBase {
  readonly layout: StateLayout;
  protected readonly modelName = 'A recurrent network';
  private readonly stepper: InstanceType<ReturnType<typeof addon>['Stepper']>;

  constructor(
    network: tf.LayersModel,
    config: ModelConfig,
    readonly batchSize: number,
  ) {
    super();
    this.layout = stateLayout(config);
    const { spec, variables } = nativeLayout(network);
    this.stepper = new (addon().Stepper)(spec, weightArrays(variables), batchSize);
  }

  reset(): void {
    this.stepper.reset();
  }

  state(): Float32Array {
    return this.stepper.state();
  }

  setState(state: Float32Array): void {
    this.stepper.setState(state);
  }

  feed(tokens: Int32Array, steps: number): Float32Array {
    if (!(steps >= 1) || tokens.length !== this.batchSize * steps)
      throw new Error(`Stepper.feed expected ${this.batchSize}×${steps} tokens (steps ≥ 1), got ${tokens.length}.`);
    return this.stepper.feed(tokens, steps);
  }

  dispose(): void {}
}

/**
 * Our C++ addon over a BLAS (OpenBLAS on Linux, Accelerate on macOS): one call per training step runs the whole
 * network forward and backward — BLAS products per time step, the gate math fused and vectorised — over the
 * engine's own threads, each taking a share of the batch rows, then clipping and Adam (`startTraining`; a GPT's
 * whole step too). The network stays the tfjs-layers model: its weights are
 * written back before validation, checkpoints and at the end.
 */
export const nativeEngine: Engine = {
  name: 'native',
  description: 'our C++ addon over OpenBLAS: whole network per call, BLAS products per step, own threads',
  // Its own copy of the weights, Adam's moments, gradients and step arrays; on the backend the network's weights and,
  // while a checkpoint is written, the moments it captures.
  memory: { perParam: 66, perTapeGradient: 0, perTokenFloat: 0.72, heapPerParam: 12, heapPerTokenFloat: 0 },
  unavailableReason: () => {
    const loaded = nativeAddon();
    return 'reason' in loaded ? loaded.reason : null;
  },
  unsupportedReason: nativeUnsupportedReason,
  ownThreads: true,
  differentiatesOnTape: false,
  lossAndGradients(
    network: tf.LayersModel,
    batch: Batch,
    threads: number,
    initialState: Float32Array | null = null,
    memory: EncoderMemory | null = null,
  ): LossAndGradients {
    refuseMemory(memory);
    if (isGpt(network)) return gptPass(network, batch, threads, initialState, true);
    const { spec, variables, nextDropoutSeeds } = nativeLayout(network);
    const result = addon().lossAndGradients(
      spec,
      weightArrays(variables),
      batch.inputs,
      batch.targets,
      batch.mask,
      batch.batchSize,
      batch.seqLen,
      threads,
      nextDropoutSeeds(),
      initialState,
    );
    const grads: tf.NamedTensorMap = {};
    variables.forEach(
      (v, i) => (grads[(v.read() as tf.Variable).name] = tf.tensor(result.grads[i], v.shape as number[])),
    );
    return result.initialStateGrads === null
      ? { loss: result.loss, grads }
      : { loss: result.loss, grads, initialStateGrad: result.initialStateGrads };
  },
  loss(
    network: tf.LayersModel,
    batch: Batch,
    initialState: Float32Array | null = null,
    threads = 1,
    memory: EncoderMemory | null = null,
  ): number {
    refuseMemory(memory);
    if (isGpt(network)) return gptPass(network, batch, threads, initialState, false).loss;
    const { spec, variables } = nativeLayout(network);
    return addon().loss(
      spec,
      weightArrays(variables),
      batch.inputs,
      batch.targets,
      batch.mask,
      batch.batchSize,
      batch.seqLen,
      threads,
      initialState,
    );
  },
  createStepper: (network: tf.LayersModel, config: ModelConfig, batchSize: number) =>
    new NativeStepper(network, config, batchSize),
  startTraining(network: tf.LayersModel, settings: UpdateSettings, optimizer: OptimizerState | null) {
    if (isGpt(network)) {
      const { GptTrainer } = addon();
      if (GptTrainer === undefined) return null; // a build before fused GPT steps: TensorFlow.js's Adam steps it
      const layout = gptLayout(network);
      return nativeFusedTraining(GptTrainer, layout, weightArrays(layout.variables), settings, optimizer);
    }
    const layout = nativeLayout(network);
    return nativeFusedTraining(addon().Trainer, layout, weightArrays(layout.variables), settings, optimizer);
  },
};

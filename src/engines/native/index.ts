import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../data';
import { conditionCount, type EncoderMemory, type ModelConfig } from '../../model';
import type { EncoderRun, Engine, FusedTraining, LossAndGradients, OptimizerState, UpdateSettings } from '../engine';
import { encoderParts } from '../networkParts';
import { type NativeMemory, nativeAddon, type SourceArguments } from './addon';
import { nativeFusedTraining } from './fusedTraining';
import { isGpt, type NativeGptLayout, nativeGptLayout } from './gptLayout';
import { NativeStepper } from './nativeStepper';
import {
  addon,
  batchArguments,
  namedGradients,
  nativeLayout,
  recurrentUnsupportedReason,
  weightArrays,
  withLabelSmoothing,
} from './recurrentLayout';
import { nativeSeq2SeqLayout } from './seq2seq';
import { nativeConditionalLayout } from './conditional';

/** Why the addon cannot run `network`; null when it can. */
function nativeUnsupportedReason(network: tf.LayersModel): string | null {
  if (isGpt(network)) {
    if (typeof addon().gptLossAndGradients !== 'function')
      return 'this build of the addon predates GPTs: rebuild it (npm run build:native)';
    const layout = nativeGptLayout(network);
    return 'reason' in layout ? layout.reason : null;
  }
  return recurrentUnsupportedReason(network);
}

/** An encoder memory as the addon takes it (null stays null). */
function nativeMemory(memory: EncoderMemory | null): NativeMemory | null {
  return memory === null ? null : { values: memory.values, lengths: memory.lengths, length: memory.length };
}

/** The GPT `network`'s layout (it was checked by `unsupportedReason` when the engine was chosen). */
function gptLayout(network: tf.LayersModel): NativeGptLayout {
  const layout = nativeGptLayout(network);
  if ('reason' in layout) throw new Error(`The native engine cannot run this model: ${layout.reason}.`);
  return layout;
}

/**
 * The loss of a GPT batch and, `withGradients`, its gradients by variable name (against targets smoothed by
 * `labelSmoothing`); a GPT starts from no state.
 */
function gptPass(
  network: tf.LayersModel,
  batch: Batch,
  threads: number,
  initialState: Float32Array | null,
  withGradients: boolean,
  labelSmoothing = 0,
): LossAndGradients {
  if (initialState !== null) throw new Error('A GPT takes no initial state (it has no conditions and no encoder).');
  const { spec, variables, nextDropoutSeeds } = gptLayout(network);
  const result = addon().gptLossAndGradients(
    withLabelSmoothing(spec, labelSmoothing),
    weightArrays(variables),
    ...batchArguments(batch, threads),
    withGradients ? nextDropoutSeeds() : null,
    withGradients,
  );
  return { loss: result.loss, grads: namedGradients(variables, result.grads ?? []) };
}

/**
 * The whole steps of a generator and its encoder — a condition encoder, or a sequence-to-sequence model's source
 * encoder — or null when the addon cannot run them (an old build, a network it does not run): TensorFlow.js's Adam.
 */
function encoderTraining(
  network: tf.LayersModel,
  encoder: EncoderRun,
  settings: UpdateSettings,
  optimizer: OptimizerState | null,
): FusedTraining | null {
  const { labelSmoothing = 0 } = settings;
  if (encoderParts(encoder.network) === null) {
    const layout = nativeConditionalLayout(network, encoder.network);
    if ('reason' in layout) return null;
    const spec = { ...layout.spec, network: withLabelSmoothing(layout.spec.network, labelSmoothing) };
    const conditions = (batch: Batch): [Int32Array] => [encoder.ids(batch)];
    const weights = weightArrays(layout.variables);
    return nativeFusedTraining(
      addon().ConditionalTrainer!,
      { ...layout, spec },
      weights,
      settings,
      optimizer,
      conditions,
    );
  }
  const layout = nativeSeq2SeqLayout(network, encoder.network);
  if ('reason' in layout) return null;
  const length = conditionCount(encoder.network);
  const spec = { ...layout.spec, decoder: withLabelSmoothing(layout.spec.decoder, labelSmoothing) };
  const sources = (batch: Batch): SourceArguments => [encoder.ids(batch), length];
  const weights = weightArrays(layout.variables);
  return nativeFusedTraining(addon().Seq2SeqTrainer!, { ...layout, spec }, weights, settings, optimizer, sources);
}

/**
 * Our C++ addon over a BLAS (OpenBLAS on Linux, Accelerate on macOS): one call per training step runs the whole
 * network forward and backward — BLAS products per time step, the gate math fused and vectorised — over the
 * engine's own threads, each taking a share of the batch rows, then clipping and Adam (`startTraining`; a GPT's
 * whole step too, and a sequence-to-sequence model's: its source encoder, packed by length, with its decoder and
 * the decoder's attention). The networks stay tfjs-layers models: their weights are written back before validation,
 * checkpoints and at the end.
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
    labelSmoothing = 0,
  ): LossAndGradients {
    if (isGpt(network)) return gptPass(network, batch, threads, initialState, true, labelSmoothing);
    const { spec, variables, nextDropoutSeeds } = nativeLayout(network);
    const result = addon().lossAndGradients(
      withLabelSmoothing(spec, labelSmoothing),
      weightArrays(variables),
      ...batchArguments(batch, threads),
      nextDropoutSeeds(),
      initialState,
      nativeMemory(memory),
    );
    return {
      loss: result.loss,
      grads: namedGradients(variables, result.grads),
      ...(result.initialStateGrads === null ? {} : { initialStateGrad: result.initialStateGrads }),
      ...(result.memoryGrads === null ? {} : { memoryGrad: result.memoryGrads }),
    };
  },
  loss(
    network: tf.LayersModel,
    batch: Batch,
    initialState: Float32Array | null = null,
    threads = 1,
    memory: EncoderMemory | null = null,
  ): number {
    if (isGpt(network)) return gptPass(network, batch, threads, initialState, false).loss;
    const { spec, variables } = nativeLayout(network);
    return addon().loss(
      spec,
      weightArrays(variables),
      ...batchArguments(batch, threads),
      initialState,
      nativeMemory(memory),
    );
  },
  createStepper: (network: tf.LayersModel, config: ModelConfig, batchSize: number) =>
    new NativeStepper(network, config, batchSize),
  startTraining(
    network: tf.LayersModel,
    settings: UpdateSettings,
    optimizer: OptimizerState | null,
    encoder?: EncoderRun,
  ) {
    const { labelSmoothing = 0 } = settings;
    if (encoder !== undefined) return encoderTraining(network, encoder, settings, optimizer);
    if (isGpt(network)) {
      const { GptTrainer } = addon();
      if (GptTrainer === undefined) return null; // a build before fused GPT steps: TensorFlow.js's Adam steps it
      const layout = gptLayout(network);
      const spec = withLabelSmoothing(layout.spec, labelSmoothing);
      return nativeFusedTraining(GptTrainer, { ...layout, spec }, weightArrays(layout.variables), settings, optimizer);
    }
    const layout = nativeLayout(network);
    const spec = withLabelSmoothing(layout.spec, labelSmoothing);
    return nativeFusedTraining(
      addon().Trainer,
      { ...layout, spec },
      weightArrays(layout.variables),
      settings,
      optimizer,
    );
  },
};

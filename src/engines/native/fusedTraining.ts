import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../data';
import { type FusedTraining, isDecayedWeight, type OptimizerState, type UpdateSettings } from '../engine';
import type { NativeLayout, NativeTrainerClass } from './addon';

/** tf.train.adam's defaults, which the trainer uses: β₁, β₂ and the float32 backend epsilon. */
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/**
 * Reads a state saved in `tf.train.adam`'s layout — `[iterations, first moments…, second moments…, accBeta1,
 * accBeta2]`, moments in the order of the variables — into the addon's form; null for an Adam that has not stepped
 * yet (tfjs creates its moments at the first step, so such a state holds none).
 */
function fromOptimizerState(saved: OptimizerState, count: number) {
  if (saved.length === 3) return null;
  const values = (i: number) => saved[i].tensor.dataSync() as Float32Array;
  const byName = (name: string) => {
    const found = saved.find((w) => w.name === name);
    if (found === undefined)
      throw new Error(`The saved optimizer state has no ${name}; the run cannot be resumed on the native engine.`);
    return found.tensor.dataSync()[0];
  };
  if (saved.length !== 2 * count + 3)
    throw new Error(
      `The saved optimizer state has ${saved.length} tensors, a network of ${count} weights needs ${2 * count + 3}.`,
    );
  return {
    iterations: values(0)[0],
    first: Array.from({ length: count }, (_, i) => values(1 + i)),
    second: Array.from({ length: count }, (_, i) => values(1 + count + i)),
    accBeta1: byName('accBeta1'),
    accBeta2: byName('accBeta2'),
  };
}

/**
 * The native engine's whole-step training: the weights and Adam's moments live in the addon between steps (it copies
 * `weights`, the variables' values in its order); the network's `variables` are written back by `syncWeights` when a
 * step has changed them since the last write. `extra` gives what a trainer's steps take after the dropout seeds (a
 * sequence-to-sequence model's sources, a conditional model's condition ids).
 */
export function nativeFusedTraining<S, Extra extends unknown[] = []>(
  Trainer: NativeTrainerClass<S, Extra>,
  layout: NativeLayout<S>,
  weights: Float32Array[],
  settings: UpdateSettings,
  saved: OptimizerState | null,
  extra: (batch: Batch) => Extra = () => [] as unknown as Extra,
): FusedTraining {
  const { spec, variables, nextDropoutSeeds } = layout;
  const adam = {
    learningRate: settings.learningRate,
    ...ADAM,
    clipNorm: settings.clipNorm ?? 0,
    weightDecay: settings.weightDecay,
  };
  const trainer = new Trainer(
    spec,
    weights,
    saved === null ? null : fromOptimizerState(saved, variables.length),
    adam,
    variables.map((v) => isDecayedWeight(v.shape as number[])),
  );
  const names = variables.map((v) => (v.read() as tf.Variable).name);
  let stale = false; // the variables lag behind the addon's weights
  return {
    step(batch: Batch) {
      stale = true;
      return trainer.step(
        batch.inputs,
        batch.targets,
        batch.mask,
        batch.batchSize,
        batch.seqLen,
        settings.threads,
        nextDropoutSeeds(),
        ...extra(batch),
      );
    },
    setLearningRate: (learningRate: number) => trainer.setLearningRate(learningRate),
    syncWeights() {
      if (!stale) return;
      stale = false;
      trainer.weights().forEach((values, i) => {
        const tensor = tf.tensor(values, variables[i].shape as number[]);
        variables[i].write(tensor);
        tensor.dispose();
      });
    },
    captureOptimizer() {
      const state = trainer.state();
      return [
        { name: 'iter', tensor: tf.scalar(state.iterations, 'int32') },
        ...state.first.map((values, i) => ({
          name: `${names[i]}/m`,
          tensor: tf.tensor(values, variables[i].shape as number[]),
        })),
        ...state.second.map((values, i) => ({
          name: `${names[i]}/v`,
          tensor: tf.tensor(values, variables[i].shape as number[]),
        })),
        { name: 'accBeta1', tensor: tf.scalar(state.accBeta1) },
        { name: 'accBeta2', tensor: tf.scalar(state.accBeta2) },
      ];
    },
    dispose: () => {},
  };
}

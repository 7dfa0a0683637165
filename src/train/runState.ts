import * as tf from '@tensorflow/tfjs';
import type { OptimizerState } from '../engines';
import { SeededDropout } from '../model/layers';
import type { BestSoFar } from './bestModel';
import type { TrainingHistory } from './history';
import type { PlateauState } from './schedule';

/** A tensor with its name, as optimizers save their state (one entry of an {@link OptimizerState}). */
export type NamedTensor = OptimizerState[number];

/**
 * Where an interrupted run stood: with the weights, enough to continue it exactly — the same batches in the same
 * order, the same dropout masks, the same Adam updates — so that a resumed run ends where an uninterrupted one ends.
 */
export interface RunState {
  /** Steps done. */
  step: number;
  /** Epoch in progress (1-based). */
  epoch: number;
  /** Batches of that epoch done. */
  batchInEpoch: number;
  /** Sum of the losses of those batches. */
  epochLoss: number;
  history: TrainingHistory;
  /** Throughput bookkeeping (target tokens and seconds of the steady-state steps). */
  steadyTokens: number;
  steadySeconds: number;
  /** Training calls of each dropout layer, in layer order (they seed the masks). */
  dropoutCalls: number[];
  /** Adam's state: iterations, moments, and the running powers of beta1 and beta2 (`accBeta1`, `accBeta2`). */
  optimizer: NamedTensor[];
  /** Seconds of training before this point (a time budget counts them). */
  seconds: number;
  /** The best validation so far (null: none yet); the saved model holds its weights. */
  best: BestSoFar | null;
  /** Where the `plateau` schedule stands (null: where it starts, and in states saved before schedules). */
  plateau: PlateauState | null;
  /**
   * The weights to go on from when the saved model is the best and not the latest: the generator's, then its
   * encoder's, in order; null when the saved model is the latest.
   */
  latestWeights: tf.Tensor[] | null;
}

/** Disposes the tensors a run state holds. */
export function disposeRunState(state: RunState): void {
  tf.dispose(state.optimizer.map((w) => w.tensor));
  tf.dispose(state.latestWeights ?? []);
}

/** The parts of tfjs' Adam that `getWeights`/`setWeights` leave out (private fields of AdamOptimizer 4.22). */
interface AdamPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamPowers(optimizer: tf.Optimizer): AdamPowers {
  const powers = optimizer as unknown as Partial<AdamPowers>;
  if (!(powers.accBeta1 instanceof tf.Variable) || !(powers.accBeta2 instanceof tf.Variable)) {
    throw new Error(
      'Cannot read the Adam optimizer state of this TensorFlow.js version (accBeta1/accBeta2 not found).',
    );
  }
  return powers as AdamPowers;
}

/** The dropout layers of a generator, in layer order. */
export function dropoutLayers(model: tf.LayersModel): SeededDropout[] {
  return model.layers.filter((layer): layer is SeededDropout => layer instanceof SeededDropout);
}

/** Copies Adam's whole state (the copies outlive the optimizer; the caller disposes them). */
export async function captureOptimizer(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const { accBeta1, accBeta2 } = adamPowers(optimizer);
  // Adam's getWeights returns a new iterations scalar, then its own moment variables (which it keeps updating).
  const [iterations, ...moments] = await optimizer.getWeights();
  return [
    iterations,
    ...moments.map(({ name, tensor }) => ({ name, tensor: tf.clone(tensor) })),
    { name: 'accBeta1', tensor: tf.clone(accBeta1) },
    { name: 'accBeta2', tensor: tf.clone(accBeta2) },
  ];
}

/**
 * Loads a state captured by {@link captureOptimizer} into a fresh Adam optimizer of the same model. The optimizer's
 * variables share the saved tensors' data (tfjs counts references), so the caller still owns and disposes `saved`.
 */
export async function restoreOptimizer(optimizer: tf.Optimizer, saved: NamedTensor[]): Promise<void> {
  const { accBeta1, accBeta2 } = adamPowers(optimizer);
  const byName = (name: string) => saved.find((w) => w.name === name)!.tensor;
  await optimizer.setWeights(saved.filter((w) => w.name !== 'accBeta1' && w.name !== 'accBeta2'));
  accBeta1.assign(byName('accBeta1'));
  accBeta2.assign(byName('accBeta2'));
}

/** A run state as files: `json` (everything but the optimizer tensors, plus their specs) and their bytes. */
export async function encodeRunState(state: RunState): Promise<{ json: string; weights: Uint8Array }> {
  const latest = (state.latestWeights ?? []).map((tensor, i) => ({ name: `${LATEST_PREFIX}${i}`, tensor }));
  const { data, specs } = await tf.io.encodeWeights([...state.optimizer, ...latest]);
  const { optimizer: _tensors, latestWeights: _latest, ...rest } = state;
  return {
    json: JSON.stringify({ ...rest, optimizerSpecs: specs }),
    weights: new Uint8Array(tf.io.CompositeArrayBuffer.join(data)),
  };
}

/** The names of the latest weights among the optimizer's tensors in `optimizer.bin` (`latest/0`, `latest/1`…). */
const LATEST_PREFIX = 'latest/';

/** Reads what {@link encodeRunState} wrote; `where` names the files in error messages. */
export function decodeRunState(json: string, weights: Uint8Array, where: string): RunState {
  let parsed: Partial<Omit<RunState, 'optimizer' | 'latestWeights'>> & { optimizerSpecs: tf.io.WeightsManifestEntry[] };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    throw new Error(`${where} is not valid JSON (corrupted?); the run cannot be resumed.`);
  }
  const numbers = ['step', 'epoch', 'batchInEpoch', 'epochLoss', 'steadyTokens', 'steadySeconds'] as const;
  const numbersIn = (value: unknown, keys: string[]) =>
    typeof value === 'object' && value !== null && keys.every((key) => typeof (value as never)[key] === 'number');
  if (
    !numbersIn(parsed, [...numbers]) ||
    !Array.isArray(parsed.optimizerSpecs) ||
    !Array.isArray(parsed.dropoutCalls) ||
    !isRecord(parsed.history) ||
    !(parsed.seconds === undefined || typeof parsed.seconds === 'number') ||
    !(parsed.best == null || numbersIn(parsed.best, ['valLoss', 'step', 'waited'])) ||
    !(parsed.plateau == null || numbersIn(parsed.plateau, ['learningRate', 'waited']))
  ) {
    throw new Error(`${where} is incomplete (corrupted?); the run cannot be resumed.`);
  }
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  let tensors: tf.NamedTensorMap;
  try {
    tensors = tf.io.decodeWeights(buffer, parsed.optimizerSpecs);
  } catch {
    throw new Error(`The optimizer state beside ${where} is truncated or corrupted; the run cannot be resumed.`);
  }
  const { optimizerSpecs, ...rest } = parsed as typeof parsed & Omit<RunState, 'optimizer' | 'latestWeights'>;
  const latest = optimizerSpecs.filter((spec) => spec.name.startsWith(LATEST_PREFIX));
  const history = { ...rest.history, evaluations: rest.history.evaluations ?? [] };
  return {
    ...rest,
    history,
    // States saved before these were recorded: the time of the last epoch, no best, a fresh plateau.
    seconds: rest.seconds ?? history.epochs.at(-1)?.seconds ?? 0,
    best: rest.best ?? null,
    plateau: rest.plateau ?? null,
    optimizer: optimizerSpecs
      .filter((spec) => !spec.name.startsWith(LATEST_PREFIX))
      .map((spec) => ({ name: spec.name, tensor: tensors[spec.name] })),
    latestWeights: latest.length === 0 ? null : latest.map((spec) => tensors[spec.name]),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

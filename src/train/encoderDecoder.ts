import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import { type Engine, encoderOf, type LossAndGradients } from '../engines';
import { conditionCount, rowsToState, stateToRows, type StateLayout } from '../model';

/**
 * A generator whose rows start from what an encoder gives them — a conditional model (the encoder of its conditions)
 * or a sequence-to-sequence model (the encoder of its sources) — and the state layout between them.
 */
export interface EncoderDecoder {
  generator: tf.LayersModel;
  /**
   * Encoder ids `[batch, ids per row]` (condition values, or a padded source) → initial states
   * `[batch, parts·units]` (see `buildConditionEncoder`, `buildSequenceEncoder`).
   */
  encoder: tf.LayersModel;
  layout: StateLayout;
}

/**
 * An encoder–decoder's networks with the encoder ids of every corpus document: what a conditional or
 * sequence-to-sequence run trains.
 */
export interface EncoderDecoderRun extends EncoderDecoder {
  /** `[documents, ids per row]` row-major: each corpus document's encoder ids (conditions, or its padded source). */
  documentIds: Int32Array;
}

/** The encoder ids `[rows, ids per row]` of a batch's rows, looked up by the documents they come from. */
export function batchEncoderIds(batch: Batch, run: EncoderDecoderRun): Int32Array {
  if (batch.documents === undefined)
    throw new Error(
      'A run with an encoder (conditional or sequence-to-sequence) ' +
        'needs batches that say which document each row comes from.',
    );
  const conditions = conditionCount(run.encoder);
  const documents = run.documentIds.length / conditions;
  const ids = new Int32Array(batch.batchSize * conditions);
  batch.documents.forEach((document, row) => {
    if (!(document >= 0 && document < documents))
      throw new Error(
        `Row ${row} comes from document ${document}, but encoder inputs are known for ${documents} documents.`,
      );
    ids.set(run.documentIds.subarray(document * conditions, (document + 1) * conditions), row * conditions);
  });
  return ids;
}

/**
 * Loss and gradients of an encoder–decoder on one batch: the encoder turns each row's ids (conditions, a source) into
 * its initial state, the engine runs the generator from it and returns the state's gradient, and that gradient flows on
 * into the encoder (the vector–Jacobian product of its output). The gradients of both networks' variables, by name.
 * An engine that computes its gradients itself runs inside the encoder's gradient tape, on the states' values, so the
 * encoder runs forward once; one that differentiates on the tape runs apart (else the tape would hold its work until
 * the end of the step), and the encoder runs forward twice.
 * @param ids `[batch.batchSize, ids per row]` encoder ids of the rows (conditions, or a padded source).
 */
export function encoderDecoderLossAndGradients(
  engine: Engine,
  networks: EncoderDecoder,
  batch: Batch,
  ids: Int32Array,
  threads: number,
): LossAndGradients {
  const { encoder, generator, layout } = networks;
  const rows = batch.batchSize;
  if (engine.differentiatesOnTape) {
    return withEncoderGradients(
      networks,
      ids,
      rows,
      engine.lossAndGradients(generator, batch, threads, encoderStates(networks, ids, rows)),
      engine.name,
    );
  }
  checkIds(encoder, ids, rows);
  let result: LossAndGradients | undefined;
  try {
    const grads = encoderGradients(encoder, ids, rows, (states) => {
      result = engine.lossAndGradients(
        generator,
        batch,
        threads,
        rowsToState(states.dataSync() as Float32Array, layout, rows),
      );
      Object.values(result.grads).forEach((grad) => tf.keep(grad)); // they outlive the tape's scope
      return stateGradRows(result, layout, rows, engine.name);
    });
    return { loss: result!.loss, grads: { ...result!.grads, ...grads } };
  } catch (error) {
    if (result !== undefined) tf.dispose(Object.values(result.grads));
    throw error;
  }
}

/**
 * The gradients of the encoder's variables for the rows of `ids`: the vector–Jacobian product of its output with the
 * state gradient `stateGrad` gives for the output (called once, under the tape, with the output tensor).
 */
function encoderGradients(
  encoder: tf.LayersModel,
  ids: Int32Array,
  rows: number,
  stateGrad: (states: tf.Tensor) => Float32Array,
): tf.NamedTensorMap {
  const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const states = encoderOf(encoder).states(ids, rows, true);
        return tf.sum(tf.mul(states, tf.tensor2d(stateGrad(states), [rows, states.shape[1]])));
      }),
    variables,
  );
  value.dispose();
  return grads;
}

/** The initial-state gradient of a generator's `result`, as encoder output rows; an error when none came back. */
function stateGradRows(result: LossAndGradients, layout: StateLayout, rows: number, computedBy: string): Float32Array {
  if (result.initialStateGrad === undefined)
    throw new Error(`The ${computedBy} engine returned no initial-state gradient, so the encoder cannot learn.`);
  return stateToRows(result.initialStateGrad, layout, rows);
}

/**
 * The initial state (the engines' layout) the encoder gives the batch's `rows` from their ids, for generators run
 * apart from the encoder's tape (engines that differentiate on the tape, worker threads sharing the rows: they hand
 * their result to {@link withEncoderGradients}) and for evaluation.
 */
export function encoderStates(networks: EncoderDecoder, ids: Int32Array, rows: number): Float32Array {
  checkIds(networks.encoder, ids, rows);
  const states = tf.tidy(() => encoderOf(networks.encoder).states(ids, rows, false).dataSync() as Float32Array);
  return rowsToState(states, networks.layout, rows);
}

/**
 * Adds to the generator's `result` (run from {@link encoderStates}) the encoder's gradients, its initial-state
 * gradient carried through the encoder (a second forward pass, under the tape). Takes ownership of `result`'s tensors.
 * @param computedBy names who ran the generator, for the error when no state gradient came back.
 */
export function withEncoderGradients(
  networks: EncoderDecoder,
  ids: Int32Array,
  rows: number,
  result: LossAndGradients,
  computedBy: string,
): LossAndGradients {
  try {
    const dRows = stateGradRows(result, networks.layout, rows, computedBy);
    return {
      loss: result.loss,
      grads: { ...result.grads, ...encoderGradients(networks.encoder, ids, rows, () => dRows) },
    };
  } catch (error) {
    tf.dispose(Object.values(result.grads));
    throw error;
  }
}

/** Checks that `ids` holds one id per condition for each of the `rows` rows. */
function checkIds(encoder: tf.LayersModel, ids: Int32Array, rows: number): void {
  const conditions = conditionCount(encoder);
  if (ids.length !== rows * conditions) {
    throw new Error(
      `Encoder ids: ${rows} rows × ${conditions} ids per row (conditions, or source tokens) = ` +
        `${rows * conditions} expected, got ${ids.length}.`,
    );
  }
}

/** Mean loss per real target token (nats) of an encoder–decoder on one batch, in inference mode. */
export function encoderDecoderLoss(engine: Engine, networks: EncoderDecoder, batch: Batch, ids: Int32Array): number {
  return engine.loss(networks.generator, batch, encoderStates(networks, ids, batch.batchSize));
}

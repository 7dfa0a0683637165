import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import { type EncodedRows, type Engine, encoderOf, type LossAndGradients } from '../engines';
import { conditionCount, type EncoderMemory, rowsToState, stateToRows, type StateLayout } from '../model';
import { dropoutLayers } from './runState';

/**
 * A generator whose rows start from what an encoder gives them — a conditional model (the encoder of its conditions)
 * or a sequence-to-sequence model (the encoder of its sources) — and the state layout between them.
 */
export interface EncoderDecoder {
  generator: tf.LayersModel;
  /**
   * Encoder ids `[batch, ids per row]` (condition values, or a padded source) → initial states
   * `[batch, parts·units]`, and for a decoder with attention a second output, the memory (see
   * `buildConditionEncoder`, `buildSequenceEncoder`).
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

/** Where an encoder starts a batch's rows: the decoder's initial state (the engines' layout) and any memory. */
export interface EncodedStart {
  state: Float32Array;
  /** The memory a decoder with attention reads (null for others). */
  memory: EncoderMemory | null;
}

/** The gradients an engine returns for an {@link EncodedStart}, as the encoder's outputs are laid out. */
interface StartGradients {
  /** `[rows, parts·units]`, the rows of the initial-state gradient. */
  stateRows: Float32Array;
  memory: Float32Array | null;
}

/**
 * Loss and gradients of an encoder–decoder on one batch: the encoder turns each row's ids (conditions, a source) into
 * its initial state (and the memory a decoder with attention reads), the engine runs the generator from it and
 * returns their gradients, and those flow on into the encoder (the vector–Jacobian product of its outputs). The
 * gradients of both networks' variables, by name. An engine that computes its gradients itself runs inside the
 * encoder's gradient tape, on the outputs' values, so the encoder runs forward once; one that differentiates on the
 * tape runs apart (else the tape would hold its work until the end of the step), and the encoder runs forward twice.
 * @param ids `[batch.batchSize, ids per row]` encoder ids of the rows (conditions, or a padded source).
 * @param labelSmoothing the training loss's (see `Engine.lossAndGradients`).
 */
export function encoderDecoderLossAndGradients(
  engine: Engine,
  networks: EncoderDecoder,
  batch: Batch,
  ids: Int32Array,
  threads: number,
  labelSmoothing = 0,
): LossAndGradients {
  const { encoder, generator, layout } = networks;
  const rows = batch.batchSize;
  if (engine.differentiatesOnTape) {
    const start = trainingStart(networks, ids, rows);
    return withEncoderGradients(
      networks,
      ids,
      rows,
      engine.lossAndGradients(generator, batch, threads, start.state, start.memory, labelSmoothing),
      engine.name,
    );
  }
  checkIds(encoder, ids, rows);
  let result: LossAndGradients | undefined;
  try {
    const grads = encoderGradients(encoder, ids, rows, (encoded) => {
      const start = startOf(encoded, layout, rows);
      result = engine.lossAndGradients(generator, batch, threads, start.state, start.memory, labelSmoothing);
      Object.values(result.grads).forEach((grad) => tf.keep(grad)); // they outlive the tape's scope
      return startGradients(result, layout, rows, start.memory !== null, engine.name);
    });
    return { loss: result!.loss, grads: { ...result!.grads, ...grads } };
  } catch (error) {
    if (result !== undefined) tf.dispose(Object.values(result.grads));
    throw error;
  }
}

/** The values of an encoder's outputs as the engines take them. */
function startOf(encoded: EncodedRows, layout: StateLayout, rows: number): EncodedStart {
  const { memory } = encoded;
  return {
    state: rowsToState(encoded.states.dataSync() as Float32Array, layout, rows),
    memory:
      memory === null
        ? null
        : {
            values: memory.dataSync() as Float32Array,
            lengths: encoded.lengths,
            length: memory.shape[1],
            width: memory.shape[2],
          },
  };
}

/**
 * The gradients of the encoder's variables for the rows of `ids`: the vector–Jacobian product of its outputs with the
 * gradients `outputGrads` gives for them (called once, under the tape, with the output tensors).
 */
function encoderGradients(
  encoder: tf.LayersModel,
  ids: Int32Array,
  rows: number,
  outputGrads: (encoded: EncodedRows) => StartGradients,
): tf.NamedTensorMap {
  const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const encoded = encoderOf(encoder).encode(ids, rows, true);
        const { stateRows, memory } = outputGrads(encoded);
        const stateTerm = tf.sum(tf.mul(encoded.states, tf.tensor2d(stateRows, encoded.states.shape)));
        if (encoded.memory === null || memory === null) return stateTerm;
        return tf.add(stateTerm, tf.sum(tf.mul(encoded.memory, tf.tensor3d(memory, encoded.memory.shape))));
      }) as tf.Scalar,
    variables,
  );
  value.dispose();
  return grads;
}

/**
 * The gradients of an engine's `result` for the start it was given (with a memory: `withMemory`), as encoder outputs;
 * an error when one is missing.
 */
function startGradients(
  result: LossAndGradients,
  layout: StateLayout,
  rows: number,
  withMemory: boolean,
  computedBy: string,
): StartGradients {
  if (result.initialStateGrad === undefined || (withMemory && result.memoryGrad === undefined))
    throw new Error(
      `The ${computedBy} engine returned no gradient for the encoder's outputs, so the encoder cannot learn.`,
    );
  return { stateRows: stateToRows(result.initialStateGrad, layout, rows), memory: result.memoryGrad ?? null };
}

/**
 * Where the encoder starts the batch's `rows` from their ids (the initial state in the engines' layout, and the memory
 * of a decoder with attention), for generators run apart from the encoder's tape (engines that differentiate on the
 * tape, worker threads sharing the rows: they hand their result to {@link withEncoderGradients}) and for evaluation.
 */
export function encoderStart(networks: EncoderDecoder, ids: Int32Array, rows: number, training = false): EncodedStart {
  checkIds(networks.encoder, ids, rows);
  let start: EncodedStart | undefined;
  tf.tidy(() => {
    start = startOf(encoderOf(networks.encoder).encode(ids, rows, training), networks.layout, rows);
  });
  return start!;
}

/**
 * {@link encoderStart} of a training step, its encoder's dropout on: the dropout layers' counters are then set back,
 * so that the pass under the tape ({@link withEncoderGradients}) draws the same masks — the gradients are those of the
 * outputs the generator was given.
 */
export function trainingStart(networks: EncoderDecoder, ids: Int32Array, rows: number): EncodedStart {
  const dropouts = dropoutLayers(networks.encoder);
  const calls = dropouts.map((layer) => layer.calls);
  const start = encoderStart(networks, ids, rows, true);
  dropouts.forEach((layer, k) => (layer.calls = calls[k]));
  return start;
}

/**
 * Adds to the generator's `result` (run from {@link encoderStart}) the encoder's gradients, the gradients of its
 * outputs carried through the encoder (a second forward pass, under the tape). Takes ownership of `result`'s tensors.
 * @param computedBy names who ran the generator, for the error when no gradient for the encoder came back.
 */
export function withEncoderGradients(
  networks: EncoderDecoder,
  ids: Int32Array,
  rows: number,
  result: LossAndGradients,
  computedBy: string,
): LossAndGradients {
  try {
    const hasMemory = encoderOf(networks.encoder).hasMemory;
    const outputGrads = startGradients(result, networks.layout, rows, hasMemory, computedBy);
    return {
      loss: result.loss,
      grads: { ...result.grads, ...encoderGradients(networks.encoder, ids, rows, () => outputGrads) },
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
  const start = encoderStart(networks, ids, batch.batchSize);
  return engine.loss(networks.generator, batch, start.state, undefined, start.memory);
}

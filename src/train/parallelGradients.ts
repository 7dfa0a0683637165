import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend';
import { Batch, realTokens } from '../data';
import type { Engine, LossAndGradients } from '../engines';
import { concatStateRows, type EncoderMemory, selectMemoryRows, selectStateRows, type StateLayout } from '../model';
import { dropoutLayers } from './runState';

/** Loss and gradients of one part of a batch, the gradients as plain arrays in `model.trainableWeights` order. */
export interface PartGradients {
  /** Mean loss per real target token of the part (nats). */
  loss: number;
  /** Real target tokens of the part. */
  tokens: number;
  grads: Float32Array[];
  /** The gradient of the part's initial state, when it started from one. */
  initialStateGrad?: Float32Array;
  /** The gradient of the part's encoder memory, when its decoder attends to one. */
  memoryGrad?: Float32Array;
}

/**
 * Computes the loss and gradients of `batch` on this thread with `engine`, with the model's current weights, from
 * `initialState` (the part's rows; null: zeros), attending to `memory` (its rows the part's) when the model has
 * attention, with the training loss's `labelSmoothing`.
 */
export function partGradients(
  model: tf.LayersModel,
  batch: Batch,
  engine: Engine,
  initialState: Float32Array | null = null,
  memory: EncoderMemory | null = null,
  labelSmoothing = 0,
): PartGradients {
  const { loss, grads, initialStateGrad, memoryGrad } = engine.lossAndGradients(
    model,
    batch,
    1,
    initialState,
    memory,
    labelSmoothing,
  );
  // Disposed right below, so the arrays dataSync returns (copies, or on cpu the tensors' own) are ours.
  const result = {
    loss,
    tokens: realTokens(batch),
    grads: model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name].dataSync() as Float32Array),
  };
  tf.dispose(Object.values(grads));
  return { ...result, ...(initialStateGrad && { initialStateGrad }), ...(memoryGrad && { memoryGrad }) };
}

/** Splits a batch into at most `parts` batches of consecutive rows whose sizes differ by at most one (none empty). */
export function splitBatch(batch: Batch, parts: number): Batch[] {
  const count = Math.max(1, Math.min(parts, batch.batchSize));
  const { seqLen } = batch;
  const out: Batch[] = [];
  let row = 0;
  for (let k = 0; k < count; k++) {
    const rows = Math.floor(batch.batchSize / count) + (k < batch.batchSize % count ? 1 : 0);
    const cut = <T extends Int32Array | Float32Array>(values: T) =>
      values.slice(row * seqLen, (row + rows) * seqLen) as T;
    const part: Batch = {
      inputs: cut(batch.inputs),
      targets: cut(batch.targets),
      mask: batch.mask === null ? null : cut(batch.mask),
      batchSize: rows,
      seqLen,
    };
    if (batch.documents !== undefined) part.documents = batch.documents.slice(row, row + rows);
    out.push(part);
    row += rows;
  }
  return out;
}

/** Messages between the main thread and a gradient worker (see `gradientWorker.ts`). */
export type WorkerRequest =
  | { type: 'init'; backend: BackendName; topology: unknown; dropoutCalls: number[]; labelSmoothing: number }
  | {
      type: 'step';
      weights: Float32Array[];
      batch: Batch;
      engine: string;
      initialState: Float32Array | null;
      memory: EncoderMemory | null;
    };
/** A gradient worker's answer to one request. */
export type WorkerReply =
  { type: 'ready' } | ({ type: 'gradients' } & PartGradients) | { type: 'error'; message: string };

/** One worker thread with its own copy of the network, answering one request at a time. */
class GradientWorker {
  private readonly worker = new Worker(path.join(__dirname, 'gradientWorker.js'));
  private pending: { resolve(reply: WorkerReply): void; reject(error: Error): void } | null = null;

  constructor() {
    this.worker.on('message', (reply: WorkerReply) => this.settle((p) => p.resolve(reply)));
    this.worker.on('error', (error) => this.settle((p) => p.reject(error)));
    this.worker.on('exit', (code) =>
      this.settle((p) => p.reject(new Error(`A gradient worker thread stopped (exit code ${code}).`))),
    );
  }

  private settle(action: (pending: NonNullable<GradientWorker['pending']>) => void): void {
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) action(pending);
  }

  async request(message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message, transfer);
    });
    if (reply.type === 'error') throw new Error(`Gradient worker: ${reply.message}`);
    return reply;
  }

  async terminate(): Promise<void> {
    this.pending = null;
    await this.worker.terminate();
  }
}

/**
 * Data-parallel gradients on several cores: each batch is split by rows; worker threads (each with its own
 * TensorFlow.js backend and a copy of the network, sent the current weights every step) compute their parts while
 * the main thread computes the first. The parts' gradients are summed weighted by their real tokens, which equals the
 * whole batch's mean-loss gradient up to float rounding.
 */
export class GradientWorkers {
  private constructor(
    private readonly workers: GradientWorker[],
    private readonly labelSmoothing: number,
  ) {}

  /** Starts `count` workers running `model`'s network on the current backend, the training loss's `labelSmoothing`. */
  static async start(model: tf.LayersModel, count: number, labelSmoothing = 0): Promise<GradientWorkers> {
    const workers = Array.from({ length: count }, () => new GradientWorker());
    const init: WorkerRequest = {
      type: 'init',
      backend: tf.getBackend() as BackendName,
      topology: model.toJSON(null, false),
      dropoutCalls: dropoutLayers(model).map((layer) => layer.calls), // a resumed run's masks go on where they were
      labelSmoothing,
    };
    try {
      await Promise.all(workers.map((w) => w.request(init)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new GradientWorkers(workers, labelSmoothing);
  }

  /**
   * Mean loss over the batch's real tokens and its gradients (named as `model`'s variables; the caller disposes them);
   * with `start`, every row begins from its row of `start.state` (attending to its row of `start.memory`, a decoder
   * with attention) and the result holds their gradients too.
   */
  async lossAndGradients(
    model: tf.LayersModel,
    batch: Batch,
    engine: Engine,
    start?: { state: Float32Array; layout: StateLayout; memory?: EncoderMemory | null },
  ): Promise<LossAndGradients> {
    const [own, ...others] = splitBatch(batch, this.workers.length + 1);
    let firstRow = 0;
    const partStarts = [own, ...others].map((part) => {
      const rows = Array.from({ length: part.batchSize }, (_, r) => firstRow + r);
      firstRow += part.batchSize;
      return {
        state: start === undefined ? null : selectStateRows(start.state, start.layout, rows),
        memory: start?.memory == null ? null : selectMemoryRows(start.memory, rows),
      };
    });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // on cpu the variables' own arrays: copy before transfer
    const current = variables.map((v) => v.dataSync() as Float32Array);
    const replies = others.map((part, k) => {
      const weights = current.map((values) => values.slice());
      return this.workers[k].request(
        {
          type: 'step',
          weights,
          batch: part,
          engine: engine.name,
          initialState: partStarts[k + 1].state,
          memory: partStarts[k + 1].memory,
        },
        weights.map((w) => w.buffer),
      );
    });
    let mine: PartGradients;
    try {
      mine = partGradients(model, own, engine, partStarts[0].state, partStarts[0].memory, this.labelSmoothing);
    } catch (error) {
      await Promise.allSettled(replies); // no worker's answer is left to reject unobserved
      throw error;
    }
    const parts = [mine, ...((await Promise.all(replies)) as PartGradients[])];
    const tokens = parts.reduce((sum, part) => sum + part.tokens, 0);
    const share = (part: PartGradients) => (tokens === 0 ? 0 : part.tokens / tokens);
    const grads: tf.NamedTensorMap = {};
    variables.forEach((v, i) => {
      const sum = new Float32Array(parts[0].grads[i].length);
      for (const part of parts) {
        const w = share(part);
        part.grads[i].forEach((g, k) => (sum[k] += w * g));
      }
      grads[v.name] = tf.tensor(sum, v.shape);
    });
    const loss = parts.reduce((sum, part) => sum + share(part) * part.loss, 0);
    if (start === undefined) return { loss, grads };
    // Each part's loss counts with its share of the tokens, so do its rows' state and memory gradients.
    const initialStateGrad = concatStateRows(
      parts.map((part) => part.initialStateGrad!.map((g) => share(part) * g)),
      start.layout,
    );
    if (start.memory == null) return { loss, grads, initialStateGrad };
    const memoryGrad = new Float32Array(start.memory.values.length);
    let offset = 0;
    for (const part of parts) {
      memoryGrad.set(
        part.memoryGrad!.map((g) => share(part) * g),
        offset,
      );
      offset += part.memoryGrad!.length;
    }
    return { loss, grads, initialStateGrad, memoryGrad };
  }

  /** Stops the worker threads. */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

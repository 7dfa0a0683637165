/**
 * Entry point of a gradient worker thread (see `GradientWorkers` in parallelGradients.ts): builds its copy of the
 * network from the topology it is sent, then for every step loads the weights it is sent and answers with the loss and
 * gradients of its part of the batch.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { engineNamed } from '../engines';
import '../model/layers'; // registers the custom layers the topology names
import '../families'; // and those of every family
import { partGradients, WorkerReply, WorkerRequest } from './parallelGradients';
import { dropoutLayers } from './runState';

/**
 * Replaces every initializer of a Keras topology by zeros: the weights arrive with each step, random init is wasted.
 */
function withZeroInitializers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withZeroInitializers);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      /initializer$/i.test(key) && item !== null ? { class_name: 'Zeros', config: {} } : withZeroInitializers(item),
    ]),
  );
}

let model: tf.LayersModel | null = null;
let labelSmoothing = 0;

async function answer(request: WorkerRequest): Promise<WorkerReply> {
  if (request.type === 'init') {
    await initBackend(request.backend);
    model = await tf.models.modelFromJSON({
      modelTopology: withZeroInitializers(request.topology) as tf.io.ModelJSON['modelTopology'],
    });
    dropoutLayers(model).forEach((layer, k) => (layer.calls = request.dropoutCalls[k]));
    labelSmoothing = request.labelSmoothing;
    return { type: 'ready' };
  }
  const network = model!;
  network.trainableWeights.forEach((w, i) => {
    const value = tf.tensor(request.weights[i], w.shape as number[]);
    w.write(value);
    value.dispose();
  });
  return {
    type: 'gradients',
    ...partGradients(
      network,
      request.batch,
      engineNamed(request.engine),
      request.initialState,
      request.memory,
      labelSmoothing,
    ),
  };
}

parentPort!.on('message', (request: WorkerRequest) => {
  answer(request).then(
    (reply) =>
      parentPort!.postMessage(reply, reply.type === 'gradients' ? reply.grads.map((g) => g.buffer as ArrayBuffer) : []),
    (error: unknown) =>
      parentPort!.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

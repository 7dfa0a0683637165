import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data';
import { fastBatchLoss } from '../model/fast';
import { sequenceLoss } from './loss';

/**
 * How a training step runs the network: `fast` (our recurrent kernels, time-major, explicit transposes, fused
 * gate math and loss) or `layers` (tfjs-layers' own cells: the reference the fast path is tested against).
 * Both train the same weights and save the same artifact.
 */
export const ENGINES = ['fast', 'layers'] as const;
/** A training engine. */
export type TrainingEngine = (typeof ENGINES)[number];

/** Real (unpadded) target tokens of a batch. */
export function realTokens(batch: Batch): number {
  if (batch.mask === null) return batch.targets.length;
  let count = 0;
  for (const m of batch.mask) count += m;
  return count;
}

/** Mean loss per real target token (nats) of one batch, computed by `engine`. */
export function batchLoss(model: tf.LayersModel, batch: Batch, engine: TrainingEngine, training: boolean): tf.Scalar {
  if (engine === 'fast') return fastBatchLoss(model, batch, training);
  return tf.tidy(() => {
    const shape: [number, number] = [batch.batchSize, batch.seqLen];
    const inputs = tf.tensor2d(batch.inputs, shape, 'int32');
    const mask = batch.mask === null ? null : tf.tensor2d(batch.mask, shape, 'float32');
    return sequenceLoss(model.apply(inputs, { training }) as tf.Tensor, tf.tensor2d(batch.targets, shape, 'int32'), mask);
  });
}

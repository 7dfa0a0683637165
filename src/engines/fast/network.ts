import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../data';
import { groupByLayer, linear, lookupRows, type BoundAttention, type MemoryTensors, SequenceShape } from '../../model';
import { softmaxCrossEntropy } from './crossEntropy';
import { networkParts } from '../networkParts';

/**
 * The generator's logits for time-major token ids (`ids[t·batch + b]` = token t of sequence b), computed by the fast
 * engine from the model's own weights (the same tf.Variables: gradients reach them). Equals `model.apply` up to
 * float rounding, laid out time-major `[steps·batch, vocabSize]`.
 * @param training applies the dropout layers' masks (same rates and seeds as tf.layers, but drawn over the time-major
 * layout, so not the same units).
 * @param initialState the recurrent layers' starting states in order (per layer h, then c for LSTM, `[batch, units]`);
 * null: zeros.
 * @param memory the encoder memory a decoder with attention reads (its rows the batch's).
 */
export function fastLogits(
  model: tf.LayersModel,
  ids: Int32Array,
  shape: SequenceShape,
  training: boolean,
  initialState: tf.Tensor2D[] | null = null,
  memory: MemoryTensors | null = null,
): tf.Tensor2D {
  const parts = networkParts(model, 'fast');
  const tokens = tf.tensor1d(ids, 'int32');
  let x: tf.Tensor2D | null =
    parts.embedding === null ? null : (lookupRows(parts.embedding.read(), tokens) as tf.Tensor2D);
  const starts =
    initialState === null
      ? null
      : groupByLayer(
          initialState,
          parts.recurrent.map((part) => part.cell.states),
        );
  for (const [layer, part] of parts.recurrent.entries()) {
    const kernel = part.kernel.read() as tf.Tensor2D;
    // One-hot inputs times the kernel are rows of the kernel.
    const projected = x === null ? (lookupRows(kernel, tokens) as tf.Tensor2D) : linear(x, kernel);
    x = part.cell.sequence(
      tf.add(projected, part.bias.read()),
      part.recurrentKernel.read() as tf.Tensor2D,
      shape,
      part.gate,
      starts?.[layer] ?? [],
    );
    if (training && part.dropout !== null) x = part.dropout.drop(x) as tf.Tensor2D;
  }
  if (parts.attention !== null) x = attendTimeMajor(x!, shape, memory, parts.attention.bind(false));
  return tf.add(linear(x!, parts.output.kernel.read() as tf.Tensor2D), parts.output.bias.read());
}

/** Attention over time-major top-layer states `[steps·batch, units]` → attentional states, time-major. */
function attendTimeMajor(
  states: tf.Tensor2D,
  shape: SequenceShape,
  memory: MemoryTensors | null,
  attention: BoundAttention,
): tf.Tensor2D {
  if (memory === null)
    throw new Error('A decoder with attention needs its encoder memory: it runs from its source, not alone.');
  const units = states.shape[1];
  const batchMajor = tf.transpose<tf.Tensor3D>(tf.reshape(states, [shape.steps, shape.batch, units]), [1, 0, 2]);
  const { output, weights } = attention.attend(batchMajor, memory);
  weights.dispose();
  return tf.reshape(tf.transpose(output, [1, 0, 2]), [shape.steps * shape.batch, units]);
}

/** Rearranges a row-major `[rows, columns]` array into column-major (batch-major windows → time-major steps). */
function transposed<T extends Int32Array | Float32Array>(values: T, rows: number, columns: number): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  return out;
}

/**
 * Mean loss per real target token (nats) of a batch, computed by the fast engine (time-major recurrent kernels and a
 * fused softmax cross-entropy), from `initialState` (see {@link fastLogits}) or zeros, against targets smoothed by
 * `labelSmoothing`; the same value as the layers engine's.
 */
export function fastBatchLoss(
  model: tf.LayersModel,
  batch: Batch,
  training: boolean,
  initialState: tf.Tensor2D[] | null = null,
  memory: MemoryTensors | null = null,
  labelSmoothing = 0,
): tf.Scalar {
  const { batchSize, seqLen } = batch;
  return tf.tidy(() => {
    const logits = fastLogits(
      model,
      transposed(batch.inputs, batchSize, seqLen),
      { steps: seqLen, batch: batchSize },
      training,
      initialState,
      memory,
    );
    const weights = batch.mask === null ? null : transposed(batch.mask, batchSize, seqLen);
    return softmaxCrossEntropy(logits, transposed(batch.targets, batchSize, seqLen), weights, labelSmoothing);
  });
}

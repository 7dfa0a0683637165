import type * as tf from '@tensorflow/tfjs';

/**
 * `compute` remembered per tensor data: a tensor's data never changes (a variable that is written gets new data), so
 * the same data gives the same value; a value is dropped with its data. For what costs more than it is worth to do
 * again at every generation (reading weights, repacking them).
 */
export function perTensorData<T>(compute: (tensor: tf.Tensor) => T): (tensor: tf.Tensor) => T {
  const cache = new WeakMap<object, T>();
  return (tensor) => {
    let value = cache.get(tensor.dataId);
    if (value === undefined) {
      value = compute(tensor);
      cache.set(tensor.dataId, value);
    }
    return value;
  };
}

/**
 * A tensor's values as a float32 array, read once per data and shared by every caller: read them, never change them.
 * Reading the weights of a network again costs far more than a generation of a few hundred tokens on wasm.
 */
export const sharedValues = perTensorData((tensor) => tensor.dataSync() as Float32Array);

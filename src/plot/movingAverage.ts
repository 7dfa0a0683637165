/**
 * Trailing moving average: element `i` is the mean of `values[max(0, i - window + 1) ..= i]`,
 * so the first elements average over the (shorter) prefix. `window` must be a positive integer.
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) {
    throw new Error(`Moving-average window must be a positive integer, got ${window}; pass 1 or more batches.`);
  }
  const averages: number[] = [];
  let sum = 0;
  values.forEach((value, i) => {
    sum += value;
    if (i >= window) sum -= values[i - window];
    averages.push(sum / Math.min(i + 1, window));
  });
  return averages;
}

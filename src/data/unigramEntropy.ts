/**
 * Entropy in nats of the token frequencies of `ids`: the loss per token of a model that ignores context
 * and always predicts the corpus frequencies. A trained model's cross-entropy must get below it.
 * Throws when `ids` is empty or holds an id outside `0 .. vocabSize-1`.
 */
export function unigramEntropy(ids: ArrayLike<number>, vocabSize: number): number {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new Error(`vocabSize must be a whole number >= 1, got ${vocabSize}. Pass vocab.size.`);
  }
  if (ids.length === 0) {
    throw new Error('Cannot compute the entropy of no tokens. Pass a non-empty id stream (check the split).');
  }
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(
        `Id ${id} at position ${i} is outside the vocabulary (ids 0..${vocabSize - 1}). Encode the ids with ` +
          'the vocabulary whose size you pass.',
      );
    }
    counts[id]++;
  }
  let entropy = 0;
  for (const count of counts) {
    if (count > 0) {
      const p = count / ids.length;
      entropy -= p * Math.log(p);
    }
  }
  return entropy;
}

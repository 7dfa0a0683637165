import type * as tf from '@tensorflow/tfjs';
import { type Conditioning, conditioningName, type Stepper } from '../../model';
import { GPT_LAYERS, type GptConfig, LAYER_NORM_EPSILON } from './network';
import { DenseWeights } from './denseWeights';
import { addInPlace, geluInPlace, layerNorm, timesTransposed } from './rowMath';

/** One block's weights: LayerNorms' gamma and beta, the dense layers' kernels and biases. */
interface BlockWeights {
  norm1: [Float32Array, Float32Array];
  qkv: DenseWeights;
  out: DenseWeights;
  norm2: [Float32Array, Float32Array];
  mlpIn: DenseWeights;
  mlpOut: DenseWeights;
}

/** A snapshot of a GPT's weights (see `buildGpt`). */
interface GptWeights {
  tokens: Float32Array;
  positions: Float32Array;
  blocks: BlockWeights[];
  finalNorm: [Float32Array, Float32Array];
  /** The output layer; null when tied to the token table. */
  logits: DenseWeights | null;
}

/** The weights of the layer `name`, copied out of the network. */
function weightsOf(network: tf.LayersModel, name: string): Float32Array[] {
  return network
    .getLayer(name)
    .getWeights()
    .map((w) => w.dataSync() as Float32Array);
}

/** A pair of weights of the layer `name` (LayerNorm's gamma and beta). */
function pairOf(network: tf.LayersModel, name: string): [Float32Array, Float32Array] {
  const [a, b] = weightsOf(network, name);
  return [a, b];
}

/** The kernel and bias of the dense layer `name`. */
function denseOf(network: tf.LayersModel, name: string): DenseWeights {
  const [kernel, bias] = weightsOf(network, name);
  return new DenseWeights(kernel, bias);
}

function snapshot(network: tf.LayersModel, config: GptConfig): GptWeights {
  const blocks = Array.from({ length: config.layers }, (_, b) => {
    const [qkvKernel, qkvBias, outKernel, outBias] = weightsOf(network, GPT_LAYERS.attention(b));
    return {
      norm1: pairOf(network, GPT_LAYERS.attentionNorm(b)),
      qkv: new DenseWeights(qkvKernel, qkvBias),
      out: new DenseWeights(outKernel, outBias),
      norm2: pairOf(network, GPT_LAYERS.mlpNorm(b)),
      mlpIn: denseOf(network, GPT_LAYERS.mlpIn(b)),
      mlpOut: denseOf(network, GPT_LAYERS.mlpOut(b)),
    };
  });
  return {
    tokens: weightsOf(network, GPT_LAYERS.tokens)[0],
    positions: weightsOf(network, GPT_LAYERS.positions)[0],
    blocks,
    finalNorm: pairOf(network, GPT_LAYERS.finalNorm),
    logits: config.tied ? null : denseOf(network, GPT_LAYERS.logits),
  };
}

/**
 * Generation steps of a GPT with a key–value cache: each row keeps every block's keys and values of the positions
 * fed so far, so a step computes its new positions only, attending to the cached ones — n tokens cost n steps, never a
 * re-run of the prefix. Rows move in step (every feed gives each row the same number of tokens). When a feed would
 * pass the context, the stepper keeps each row's last ⌈context/2⌉ tokens (or all new ones, up to the context, when a
 * feed brings more), encodes them afresh at positions 0… in one pass, and goes on: past the context, every prediction
 * sees at least the last half-context of tokens, and the re-encoding costs about one cached step per token. It
 * snapshots the weights when created.
 */
export class GptStepper implements Stepper {
  private readonly weights: GptWeights;
  private readonly width: number;
  private readonly context: number;
  private readonly heads: number;
  /** Per block, each row's keys and values: `[batchSize, context, width]` (heads side by side). */
  private keys: Float32Array[];
  private values: Float32Array[];
  /** Each row's tokens at the cached positions, `[batchSize, context]`, for re-encoding past the context. */
  private history: Int32Array;
  /** Positions cached (the same for every row). */
  private length = 0;

  constructor(
    network: tf.LayersModel,
    config: GptConfig,
    readonly batchSize: number,
  ) {
    this.weights = snapshot(network, config);
    ({ width: this.width, context: this.context, heads: this.heads } = config);
    const cache = () => Array.from({ length: config.layers }, () => new Float32Array(batchSize * this.rowCache));
    this.keys = cache();
    this.values = cache();
    this.history = new Int32Array(batchSize * this.context);
  }

  /** Floats of one row's cache of one block. */
  private get rowCache(): number {
    return this.context * this.width;
  }

  reset(): void {
    this.length = 0;
  }

  start(rows: readonly (Conditioning | null | undefined)[]): void {
    const given = rows.find((row) => row != null);
    if (given != null) throw new Error(`A GPT cannot start from ${conditioningName(given)}.`);
    this.reset();
  }

  feed(tokens: Int32Array, steps: number): Float32Array {
    const { batchSize, context } = this;
    if (!(steps >= 1) || tokens.length !== batchSize * steps)
      throw new Error(`Stepper.feed expected ${batchSize}×${steps} tokens (steps ≥ 1), got ${tokens.length}.`);
    if (this.length + steps <= context) return this.encode(tokens, steps);
    const keep = Math.min(context, Math.max(Math.ceil(context / 2), steps));
    const kept = new Int32Array(batchSize * keep);
    for (let r = 0; r < batchSize; r++) {
      const row = [
        ...this.history.subarray(r * context, r * context + this.length),
        ...tokens.subarray(r * steps, (r + 1) * steps),
      ];
      kept.set(row.slice(-keep), r * keep);
    }
    this.length = 0;
    return this.encode(kept, keep);
  }

  /** Feeds `steps` tokens per row at the positions after the cached ones (they fit); the logits after the last. */
  private encode(tokens: Int32Array, steps: number): Float32Array {
    const { batchSize, width, weights, context } = this;
    const rows = batchSize * steps;
    let x: Float32Array = new Float32Array(rows * width);
    for (let r = 0; r < batchSize; r++) {
      for (let s = 0; s < steps; s++) {
        const id = tokens[r * steps + s];
        if (!(id >= 0 && id * width < weights.tokens.length))
          throw new Error(`Token id ${id} is outside the GPT's vocabulary; the ids and the vocabulary do not match.`);
        const at = (r * steps + s) * width;
        const position = (this.length + s) * width;
        for (let k = 0; k < width; k++) x[at + k] = weights.tokens[id * width + k] + weights.positions[position + k];
        this.history[r * context + this.length + s] = id;
      }
    }
    weights.blocks.forEach((block, b) => {
      const qkv = block.qkv.apply(layerNorm(x, rows, ...block.norm1, LAYER_NORM_EPSILON), rows);
      const mixed = this.attend(b, qkv, steps);
      addInPlace(x, block.out.apply(mixed, rows));
      const hidden = geluInPlace(block.mlpIn.apply(layerNorm(x, rows, ...block.norm2, LAYER_NORM_EPSILON), rows));
      addInPlace(x, block.mlpOut.apply(hidden, rows));
    });
    this.length += steps;
    x = lastOfEachRow(x, batchSize, steps, width);
    const normed = layerNorm(x, batchSize, ...weights.finalNorm, LAYER_NORM_EPSILON);
    return weights.logits === null
      ? timesTransposed(normed, batchSize, weights.tokens, width)
      : weights.logits.apply(normed, batchSize);
  }

  /**
   * Block `b`'s attention for the new positions: stores their keys and values (from `qkv`, `[batchSize·steps,
   * 3·width]`) in the cache after the `length` cached ones, and returns each new position's mixture of the values of
   * the positions up to it, heads side by side, `[batchSize·steps, width]`.
   */
  private attend(b: number, qkv: Float32Array, steps: number): Float32Array {
    const { batchSize, width, heads, length } = this;
    const size = width / heads;
    const scale = 1 / Math.sqrt(size);
    const keys = this.keys[b];
    const values = this.values[b];
    const mixed = new Float32Array(batchSize * steps * width);
    const scores = new Float32Array(length + steps);
    for (let r = 0; r < batchSize; r++) {
      const cache = r * this.rowCache;
      for (let s = 0; s < steps; s++) {
        const at = (r * steps + s) * 3 * width;
        keys.set(qkv.subarray(at + width, at + 2 * width), cache + (length + s) * width);
        values.set(qkv.subarray(at + 2 * width, at + 3 * width), cache + (length + s) * width);
      }
      for (let s = 0; s < steps; s++) {
        const query = (r * steps + s) * 3 * width;
        const seen = length + s + 1;
        for (let h = 0; h < heads; h++) {
          let max = -Infinity;
          for (let j = 0; j < seen; j++) {
            let dot = 0;
            for (let k = 0; k < size; k++) dot += qkv[query + h * size + k] * keys[cache + j * width + h * size + k];
            scores[j] = dot * scale;
            if (scores[j] > max) max = scores[j];
          }
          let sum = 0;
          for (let j = 0; j < seen; j++) sum += scores[j] = Math.exp(scores[j] - max);
          const out = (r * steps + s) * width + h * size;
          for (let j = 0; j < seen; j++) {
            const weight = scores[j] / sum;
            for (let k = 0; k < size; k++) mixed[out + k] += weight * values[cache + j * width + h * size + k];
          }
        }
      }
    }
    return mixed;
  }

  reorder(rows: ArrayLike<number>): void {
    const { batchSize, context, rowCache } = this;
    if (rows.length !== batchSize)
      throw new Error(`reorder takes one source row for each of the ${batchSize} rows, got ${rows.length}.`);
    const bad = Array.from(rows).find((row) => !(Number.isInteger(row) && row >= 0 && row < batchSize));
    if (bad !== undefined) throw new Error(`reorder got the source row ${bad}; the rows are 0–${batchSize - 1}.`);
    const pick = (from: Float32Array | Int32Array, size: number) => {
      const to = from.slice();
      for (let r = 0; r < batchSize; r++) to.set(from.subarray(rows[r] * size, (rows[r] + 1) * size), r * size);
      return to;
    };
    this.keys = this.keys.map((cache) => pick(cache, rowCache) as Float32Array);
    this.values = this.values.map((cache) => pick(cache, rowCache) as Float32Array);
    this.history = pick(this.history, context) as Int32Array;
  }

  dispose(): void {
    const { blocks, logits } = this.weights;
    blocks.forEach((block) => [block.qkv, block.out, block.mlpIn, block.mlpOut].forEach((dense) => dense.dispose()));
    logits?.dispose();
  }
}

/** The last of each row's `steps` vectors of `x` `[rows·steps, width]` → `[rows, width]`. */
function lastOfEachRow(x: Float32Array, rows: number, steps: number, width: number): Float32Array {
  if (steps === 1) return x;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(x.subarray(((r + 1) * steps - 1) * width, (r + 1) * steps * width), r * width);
  return out;
}

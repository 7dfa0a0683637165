import * as tf from '@tensorflow/tfjs';
import { lookupRows } from './rowLookup';

/** Arguments of {@link OneHot}. */
export interface OneHotArgs {
  depth: number;
  name?: string;
}

/**
 * Turns integer token ids `[batch, time]` into one-hot vectors `[batch, time, depth]` inside the model,
 * so that one-hot and embedding models both take token ids as input.
 */
export class OneHot extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'OneHot';
  private readonly depth: number;

  constructor(args: OneHotArgs) {
    super({ name: args.name });
    this.depth = args.depth;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [...inputShape, this.depth];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.oneHot(tf.cast(ids, 'int32'), this.depth));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depth: this.depth };
  }
}

/** Arguments of {@link TokenEmbedding}. */
export interface TokenEmbeddingArgs {
  inputDim: number;
  outputDim: number;
  seed?: number;
  name?: string;
  /** Id 0 (`<pad>`) masks its position: recurrent layers after it skip the step, keeping their state. */
  maskZero?: boolean;
}

/**
 * A learned embedding `[inputDim, outputDim]` looked up by token id. Unlike `tf.layers.embedding`, whose gradient
 * needs the `UnsortedSegmentSum` kernel (missing on wasm, O(vocabulary × positions) on cpu), it trains on every
 * backend with the one-`scatterND` gradient of {@link lookupRows}.
 */
export class TokenEmbedding extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'TokenEmbedding';
  private readonly inputDim: number;
  private readonly outputDim: number;
  private readonly seed: number | undefined;
  private readonly maskZero: boolean;
  private embeddings!: tf.LayerVariable;

  constructor(args: TokenEmbeddingArgs) {
    super({ name: args.name });
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.seed = args.seed;
    this.maskZero = args.maskZero ?? false;
    this.supportsMasking = this.maskZero;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.maskZero ? tf.notEqual(Array.isArray(inputs) ? inputs[0] : inputs, 0) : super.computeMask(inputs, mask);
  }

  override build(): void {
    this.embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [...inputShape, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return lookupRows(this.embeddings.read(), Array.isArray(inputs) ? inputs[0] : inputs);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      seed: this.seed ?? null,
      ...(this.maskZero ? { maskZero: true } : {}),
    };
  }
}

/** Arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/**
 * Dropout whose mask is reproducible: call k of the layer in training uses seed `seed + k`, so two runs with the
 * same seed drop the same units, while successive batches still get fresh masks (tf.layers.dropout with a fixed
 * seed would reuse one mask for every batch). Does nothing at inference.
 */
export class SeededDropout extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'SeededDropout';
  /** The share of values each training call drops. */
  readonly rate: number;
  private readonly seed: number;
  /** Training calls so far (call k uses seed `seed + k`); set it to continue an interrupted run's masks. */
  calls = 0;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true; // a masked sequence (a source encoder's) keeps its mask
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return kwargs.training ? this.drop(x) : x;
  }

  /** Applies the next training mask to `x` (any shape): call k of the layer uses seed `seed + k`. */
  drop(x: tf.Tensor): tf.Tensor {
    if (this.rate === 0) return x;
    return tf.dropout(x, this.rate, undefined, this.nextSeed());
  }

  /** Counts one more training call and returns its seed (`seed + calls`), for engines that draw the mask themselves. */
  nextSeed(): number {
    this.calls += 1;
    return this.seed + this.calls;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/**
 * Cuts padded token ids `[batch, time]` to the longest row's real length (ids after a row's last non-`<pad>` id are
 * all `<pad>`): a batch of short sources padded to a long maximum then costs the recurrent layers only its own
 * length. Exact when the layers after it mask `<pad>` (see `TokenEmbedding.maskZero`).
 */
export class TrimPadding extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'TrimPadding';

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
    const [rows, time] = ids.shape;
    const values = ids.dataSync();
    let length = 1;
    for (let r = 0; r < rows; r++) {
      for (let t = time - 1; t >= length; t--) {
        if (values[r * time + t] !== 0) {
          length = t + 1;
          break;
        }
      }
    }
    return length === time ? ids.clone() : tf.slice(ids, [0, 0], [rows, length]);
  }
}

tf.serialization.registerClass(OneHot);
tf.serialization.registerClass(TrimPadding);
tf.serialization.registerClass(TokenEmbedding);
tf.serialization.registerClass(SeededDropout);

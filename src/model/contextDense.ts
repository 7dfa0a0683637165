import * as tf from '@tensorflow/tfjs';
import { linear } from './linear';

/** Arguments of {@link ContextDense}. */
export interface ContextDenseArgs {
  /** Positions read at each position: itself and the `context − 1` before it (1: a position-wise dense layer). */
  context: number;
  units: number;
  /** `gelu`: the exact one, `x·Φ(x)` with the normal CDF (PyTorch's `nn.GELU()`). */
  activation: 'tanh' | 'gelu' | 'linear';
  seed: number;
  /** The kernel's initial values: normal with this deviation (GPT's 0.02); absent: Glorot uniform. */
  stddev?: number;
  name?: string;
}

/** `y` through the activation. */
function activate(y: tf.Tensor, activation: ContextDenseArgs['activation']): tf.Tensor {
  if (activation === 'tanh') return tf.tanh(y);
  if (activation === 'gelu') return tf.mul(tf.mul(y, 0.5), tf.add(tf.erf(tf.mul(y, Math.SQRT1_2)), 1));
  return y;
}

/**
 * A dense layer over a window of positions, at every position of `[batch, time, width]` → `[batch, time, units]`: the
 * vectors of positions t − context + 1 … t side by side (oldest first; zeros before the sequence's start) times a
 * kernel `[context × width, units]`, plus a bias. With the embeddings as input this is Bengio's hidden layer over the
 * concatenated embeddings of the last `context` tokens, applied to every position of a training window at once (a
 * causal convolution). It is computed as a sum over the window's slots of `[batch·time, width]` products with the
 * kernel's rows of that slot, each with a gradient that transposes explicitly (`linear`): side-by-side vectors would
 * cost a split of the last axis in the backward pass, and tf.layers' dense layer batched transposed matMuls — both
 * many times slower on wasm.
 */
export class ContextDense extends tf.layers.Layer {
  /** Name under which the layer is serialised in `model.json`. */
  static readonly className = 'ContextDense';
  private readonly settings: Omit<ContextDenseArgs, 'name'>;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor({ name, ...settings }: ContextDenseArgs) {
    super({ name });
    this.settings = settings;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const width = (inputShape as tf.Shape).at(-1) as number;
    const { context, units, seed, stddev } = this.settings;
    const initializer =
      stddev === undefined
        ? tf.initializers.glorotUniform({ seed })
        : tf.initializers.randomNormal({ mean: 0, stddev, seed });
    this.kernel = this.addWeight('kernel', [context * width, units], 'float32', initializer);
    this.bias = this.addWeight('bias', [units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [...inputShape.slice(0, -1), this.settings.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D; // (B, T, E)
    const { context, units, activation } = this.settings;
    return tf.tidy(() => {
      const [batch, time, width] = x.shape;
      const padded =
        context === 1
          ? x
          : tf.pad(x, [
              [0, 0],
              [context - 1, 0],
              [0, 0],
            ]); // (B, context − 1 + T, E)
      const kernel = this.kernel.read() as tf.Tensor2D; // (context·E, units)
      // Slot k (oldest first) at position t holds position t − (context − 1 − k): a slice of the padded sequence.
      const slots = Array.from({ length: context }, (_, k) =>
        linear(
          tf.reshape(tf.slice(padded, [0, k, 0], [batch, time, width]), [batch * time, width]),
          tf.slice(kernel, [k * width, 0], [width, units]),
        ),
      ); // each (B·T, units)
      const y = tf.add(slots.length === 1 ? slots[0] : tf.addN(slots), this.bias.read());
      return tf.reshape(activate(y, activation), [batch, time, units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.settings };
  }
}
tf.serialization.registerClass(ContextDense);

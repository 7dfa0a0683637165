import * as tf from '@tensorflow/tfjs';
import { TokenWindowStepper } from '../../model';

/** The weights of an MLP generator (see `buildMlp`) that a stepper reads, by layer. */
function weightsOf(network: tf.LayersModel, layer: string): tf.Tensor[] {
  return network.getLayer(layer).getWeights();
}

/**
 * Generation steps of the MLP: each row's window holds its last `context` tokens, and each step computes the hidden
 * layer and the logits of the window's last position only — `context × embeddingDim` inputs, two matMuls — instead
 * of running the network over the window. It snapshots the weights when created.
 */
export class MlpStepper extends TokenWindowStepper {
  protected readonly modelName = 'An MLP';
  private readonly table: Float32Array;
  private readonly embeddingDim: number;
  private readonly weights: tf.Tensor[];

  constructor(network: tf.LayersModel, context: number, batchSize: number) {
    super(batchSize, context);
    const [table] = weightsOf(network, 'embedding');
    this.table = table.dataSync() as Float32Array;
    this.embeddingDim = table.shape[1]!;
    this.weights = [...weightsOf(network, 'hidden'), ...weightsOf(network, 'logits')].map((w) => tf.clone(w));
  }

  protected logitsAfter(windows: Int32Array): Float32Array {
    const { embeddingDim: width, batchSize } = this;
    const inputs = new Float32Array(windows.length * width); // (B, context·E), zeros before a row's start
    windows.forEach((id, i) => id >= 0 && inputs.set(this.table.subarray(id * width, (id + 1) * width), i * width));
    const [hiddenKernel, hiddenBias, outputKernel, outputBias] = this.weights;
    const logits = tf.tidy(() => {
      const hidden = tf.tanh(
        tf.add(tf.matMul(tf.tensor2d(inputs, [batchSize, this.width * width]), hiddenKernel), hiddenBias),
      ); // (B, H)
      return tf.add(tf.matMul(hidden, outputKernel), outputBias); // (B, V)
    });
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    return values;
  }

  dispose(): void {
    tf.dispose(this.weights);
  }
}

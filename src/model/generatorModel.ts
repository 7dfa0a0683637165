import type * as tf from '@tensorflow/tfjs';
import type { Vocabulary } from '../vocab';
import type { ModelConfig } from './generator';

/**
 * A generator network together with the vocabulary it reads and writes and the configuration that built it —
 * trained or not: what training, generation and saving take.
 */
export interface GeneratorModel {
  network: tf.LayersModel;
  vocab: Vocabulary;
  config: ModelConfig;
}

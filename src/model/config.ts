/**
 * A model's architecture, in one typed object with its defaults. It is stored
 * in every model file's metadata, so a file says what it contains.
 */
import type { DType } from '../core/arrays.js';
import type { Activation } from '../nn/activation.js';

export type InitScheme = 'seed' | 'scaled';

export interface ModelConfig {
  /** The recurrent cell. Only the seed's vanilla RNN so far. */
  cell: 'rnn';
  /** σ of Eq. 1.2: 'sigmoid' (the seed's) or 'tanh'. */
  activation: Activation;
  /** V: number of tokens in the vocabulary. */
  vocabSize: number;
  /** H (the seed's D_h): size of the hidden state. */
  hidden: number;
  /** d: embedding size; 0 feeds one-hot vectors (the seed's). */
  embed: number;
  /** Stacked recurrent layers. Only 1 so far. */
  layers: 1;
  dtype: DType;
  /**
   * 'seed': weights ~ N(0, 1) unscaled, biases 0 (the notebook's);
   * 'scaled': weights and biases ~ U(−1/√H, 1/√H) (PyTorch's nn.RNN/nn.Linear),
   * which keeps σ out of saturation at H = 256. Embeddings are N(0, 1) in both.
   */
  init: InitScheme;
}

export const DEFAULT_MODEL_CONFIG: Omit<ModelConfig, 'vocabSize'> = {
  cell: 'rnn',
  activation: 'sigmoid',
  hidden: 192,
  embed: 16,
  layers: 1,
  dtype: 'float32',
  init: 'scaled',
};

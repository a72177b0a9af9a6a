/**
 * A model's architecture, in one typed object with its defaults. It is stored
 * in every model file's metadata, so a file says what it contains.
 */
import type { DType } from '../core/arrays.js';
import type { Activation } from '../nn/activation.js';
import { CELL_TYPES, type Cell } from '../nn/cells.js';

export type { Cell } from '../nn/cells.js';
/**
 * How a model's weights start. The value 'seed' (what model files and --init-scheme store) names the
 * blog's notebook, not an RNG seed: code reads it as NOTEBOOK_INIT.
 */
export type InitScheme = 'seed' | 'scaled';
/** The notebook's initialisation: weights ~ N(0, 1) unscaled, biases 0. */
export const NOTEBOOK_INIT: InitScheme = 'seed';
/** Every Cell, for option parsers. */
export const CELLS = Object.keys(CELL_TYPES) as readonly Cell[];

/** Pre-activations per hidden unit: 1 for the vanilla RNN, 4 gates for the LSTM, 3 for the GRU. */
export function gatesPerUnit(cell: Cell): number {
  return CELL_TYPES[cell].gatesPerUnit;
}

/** Numbers a sequence carries from step to step, per hidden unit: h, or h and c. */
export function statesPerUnit(cell: Cell): number {
  return CELL_TYPES[cell].statesPerUnit;
}

/** A model's architecture: cell, sizes, layers, float type and initialization. */
export interface ModelConfig {
  /** The recurrent cell: the seed's vanilla RNN, an LSTM or a GRU (docs/derivations/). */
  cell: Cell;
  /** σ of Eq. 1.2 for the vanilla RNN: 'sigmoid' (the seed's), 'tanh' or 'relu'. The LSTM's gates are fixed. */
  activation: Activation;
  /** V: number of tokens in the vocabulary. */
  vocabSize: number;
  /** H (the seed's D_h): size of the hidden state. */
  hidden: number;
  /** d: embedding size; 0 feeds one-hot vectors (the seed's). */
  embed: number;
  /** Stacked recurrent layers: layer l > 0 reads layer l − 1's h at every step. */
  layers: number;
  dtype: DType;
  /**
   * 'seed': weights ~ N(0, 1) unscaled, biases 0 (the notebook's);
   * 'scaled': weights and biases ~ U(−1/√H, 1/√H) (PyTorch's nn.RNN/nn.Linear),
   * which keeps σ out of saturation at H = 256. Embeddings are N(0, 1) in both.
   */
  init: InitScheme;
  /**
   * LSTM only: start the forget gate's biases (b1's slice H..2H) at this value
   * instead of the init scheme's. 1 is a common choice: f ≈ σ(1) ≈ 0.73, so the
   * cell state, and its gradient κ, are carried through many steps from the start.
   */
  forgetBias?: number;
  /**
   * Dropout on every non-recurrent connection, during training only (Zaremba
   * et al.): each input of layer l > 0 and each h(t) of the top layer entering
   * the output layer (2.1) is zeroed with this probability and the rest scaled
   * by 1/(1 − p). The recurrence h(t−1) → h(t) is never dropped.
   */
  dropout?: number;
}

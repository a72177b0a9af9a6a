/**
 * The seed's RNN unit, one time step for a batch of B sequences.
 *
 *   (1.1) z(t) = Wh·h(t−1) + Wx·x(t) + b1        (1.2) h(t) = σ(z(t))
 *
 * Shapes (rows are sequences of the batch):
 *   B  batch rows       H  hidden size (the seed's D_h)
 *   D  input size: V for one-hot input, d for an embedding
 *   hPrev, h, gamma, dz:  (B×H)     x: (B×D) dense, or ids (B) for one-hot
 *   Wh: (H×H)   Wx: (H×D)   b1: (H)   — row-major (out, in), as in the seed
 *
 * Forward and backward sit side by side; the backward pass is the seed's
 * derivation applied to a batch (a sum over rows of the per-row formulas).
 * The per-element arithmetic is the activation's (activation.ts; kernels
 * sigmoid/tanh/relu and their *Backward in src/kernels/reference.ts).
 * The blog's own one-sequence version: src/model/blog-oracle.ts.
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { activationBackward, activationForward } from './activation.js';
import {
  cellInputGradient,
  inputWeightGradients,
  recurrentGradient,
  recurrentPreactivation,
  recurrentWeightGradient,
  type CellInput,
  type CellShape,
  type CellType,
  type LayerWeights,
} from './recurrent-cell.js';

export { inputPreactivation, packRecurrentBackward, packRecurrentForward, type CellInput } from './recurrent-cell.js';

export type RnnCellWeights = Pick<LayerWeights, 'Wh' | 'Wx' | 'b1'>;

/**
 * (1.1) z = Wh·h(t−1) + Wx·x(t) + b1,  (1.2) h = σ(z), for every row at once.
 * On entry h holds the input half Wx·x(t) + b1 (inputPreactivation); on return h(t).
 * z is never stored, because σ'(z) is recovered from h.
 */
export function rnnCellForward(k: Kernels, h: FloatArray, hPrev: FloatArray, WhPacked: FloatArray, s: CellShape): void {
  recurrentPreactivation(k, h, hPrev, WhPacked, s); // (1.1), in place of h
  activationForward(k, s.activation, h, s.rows * s.hidden); // (1.2)
}

/**
 * Backward through one step, for the sweep t = T..1. On entry gamma holds
 * ∂J/∂h(t) (B×H): the SUM of the γ's of every loss term J(t'), t' ≥ t (the
 * seed's "Trick 2": accumulated gammas). Writes
 *   dz        = γ(t) ∘ σ'(z(t))                      (B×H; may be gamma itself)
 *   gammaPrev = Whᵀ dz                               (B×H)   the recurrent term of Eq. 6.2
 * For a batch of rows, Whᵀ dz is dz·Wh: Wh packed once per batch
 * (packRecurrentBackward), the same kind of product as the forward pass.
 * gammaPrev is the part of ∂J/∂h(t−1) that flows through step t; the sweep adds
 * the local term γ_{t−1}(t−1) = Uᵀ dθ(t−1) at step t − 1 (Trick 2).
 * The weight gradients are left to rnnCellWeightGradients, which sums them
 * over all steps at once. Rows that read the zero state get no γ(t−1) (it is
 * not computed: nothing is upstream of a constant).
 */
export function rnnCellBackwardStep(
  k: Kernels,
  gammaPrev: FloatArray,
  dz: FloatArray,
  gamma: FloatArray,
  h: FloatArray,
  WhPacked: FloatArray,
  s: CellShape,
): void {
  activationBackward(k, s.activation, dz, gamma, h, s.rows * s.hidden); // dz = γ(t) ∘ σ'(z(t))   (5.1.1, 6.1.1)
  recurrentGradient(k, gammaPrev, dz, WhPacked, s, false); // (6.2) Whᵀ (γ(t) ∘ σ'(z(t)))
}

/**
 * The gradients of the tied weights. With the seed's dummy variables Wh(k),
 * ∂J/∂Wh = Σ_k ∂J/∂Wh(k) (Eq. 4.1) and each term is (5.2):
 *   ∂J/∂Wh(k) = (γ(k) ∘ σ'(z(k))) · h(k−1)ᵀ = dz(k) · h(k−1)ᵀ
 * Summed over the k steps AND the B rows of a batch, that is a single matrix
 * product dZᵀ·H_prev over all the T·B rows stacked (rows = T·B here; rows of
 * dZ are the dz(k)ᵀ, so the row form of dz·h(k−1)ᵀ is dZᵀ·H_prev):
 *   dWh += dZᵀ · H_prev      dWx += dZᵀ · X  (by analogy)      db1 += Σ_rows dZ
 * Rows of padded positions hold dz = 0 and add nothing.
 */
export function rnnCellWeightGradients(k: Kernels, grads: RnnCellWeights, dz: FloatArray, hPrev: FloatArray, input: CellInput, s: CellShape): void {
  recurrentWeightGradient(k, grads.Wh, dz, hPrev, s); // Σ_k (5.2)
  inputWeightGradients(k, grads, dz, input, s);
}

/** ∂J/∂x = Wxᵀ dz for dense (embedded) input, for all rows at once: dX = dZ · Wx. */
export const rnnCellInputGradient = cellInputGradient;

/** The seed's unit as a RecurrentCell: it caches nothing but h (z is computed in place of h, dz in place of γ). */
export const rnnCell: CellType = {
  name: 'rnn',
  gatesPerUnit: 1,
  statesPerUnit: 1,
  recurrentBias: false,
  create: () => ({
    shape() {},
    inputHalf: (h) => h,
    forwardStep(k, next, prev, _at, _w, WhPacked, s) {
      rnnCellForward(k, next[0], prev[0], WhPacked, s); // (1.1), (1.2): h(t) from h(t−1)
    },
    backwardStep(k, gradPrev, gamma, next, _prev, _at, WhPacked, s) {
      rnnCellBackwardStep(k, gradPrev[0], gamma, gamma, next[0], WhPacked, s); // dz(t) in place of γ(t); (6.2) into γ(t−1)
    },
    weightGradients(k, g, dz, hPrev, input, s) {
      rnnCellWeightGradients(k, g, dz, hPrev, input, s); // (5.2) summed, Eq. 4.1
    },
    inputGradientSource: (dz) => dz,
  }),
  derivation: (k, WhForward, WhBackward, s) => ({
    forward(z, h, hPrev) {
      recurrentPreactivation(k, z, hPrev, WhForward, s); // (1.1) z(t) += Wh·h(t−1)
      const values = { z: Float64Array.from(z) };
      activationForward(k, s.activation, z, s.hidden); // (1.2) in place: z → h(t)
      h.set(z);
      return values;
    },
    backward(gammaPrev, dz, gamma, h) {
      rnnCellBackwardStep(k, gammaPrev, dz, gamma, h, WhBackward, s); // dz(t) = γ(t) ∘ σ'(z(t)); (6.2) γ(t−1) = Whᵀ dz(t)
      return {};
    },
  }),
};

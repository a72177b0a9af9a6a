/**
 * The seed's RNN unit, one time step for a batch of B sequences.
 *
 * Shapes (rows are sequences of the batch):
 *   B  batch rows       H  hidden size (the seed's D_h)
 *   D  input size: V for one-hot input, d for an embedding
 *   hPrev, h, gamma, dz:  (B×H)     x: (B×D) dense, or ids (B) for one-hot
 *   Wh: (H×H)   Wx: (H×D)   b1: (H)   — row-major (out, in), as in the seed
 *
 * Forward and backward sit side by side; the backward pass is the seed's
 * derivation applied to a batch (a sum over rows of the per-row formulas).
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { activationBackward, activationForward, type Activation } from './activation.js';

/** x(t): either token ids (one-hot, the seed's) or dense vectors (an embedding's output). */
export type CellInput = { kind: 'one-hot'; ids: Int32Array } | { kind: 'dense'; x: FloatArray };

export interface RnnCellWeights {
  Wh: FloatArray;
  Wx: FloatArray;
  b1: FloatArray;
}

export interface RnnCellShape {
  rows: number; // B
  hidden: number; // H
  inputSize: number; // D
  activation: Activation;
}

/**
 * (1.1) z = Wh·h(t−1) + Wx·x(t) + b1, for every row at once: z = hPrev·Whᵀ + x·Wxᵀ + b1
 * (1.2) h = σ(z)
 * Writes h (B×H); z is never stored, because σ'(z) is recovered from h.
 */
export function rnnCellForward(k: Kernels, h: FloatArray, hPrev: FloatArray, input: CellInput, w: RnnCellWeights, s: RnnCellShape): void {
  const { rows: B, hidden: H, inputSize: D } = s;
  k.matmulABt(h, hPrev, w.Wh, B, H, H, false); // Wh·h(t−1)
  if (input.kind === 'one-hot') k.addWeightColumns(h, w.Wx, input.ids, B, H, D); // Wx·x = column ids of Wx
  else k.matmulABt(h, input.x, w.Wx, B, D, H, true); // + Wx·x
  k.addBias(h, w.b1, B, H); // + b1
  activationForward(k, s.activation, h, B * H); // (1.2)
}

/**
 * Backward through one step. On entry gamma = ∂J/∂h(t) (B×H): the SUM of the
 * γ's of every loss term J(t'), t' ≥ t (the seed's "Trick 2": accumulated
 * gammas). Accumulates into the weight gradients (the seed's dummy variables
 * Wh(k): each step adds its own ∂J/∂Wh(k), Eq. 4.1) and writes:
 *   gammaPrev = ∂J/∂h(t−1) through this step      (B×H)
 *   dx        = ∂J/∂x(t), only for dense input     (B×D)
 * dz (B×H) is scratch space.
 */
export function rnnCellBackward(
  k: Kernels,
  gammaPrev: FloatArray,
  dx: FloatArray | null,
  dz: FloatArray,
  gamma: FloatArray,
  h: FloatArray,
  hPrev: FloatArray,
  input: CellInput,
  w: RnnCellWeights,
  grads: RnnCellWeights,
  s: RnnCellShape,
): void {
  const { rows: B, hidden: H, inputSize: D } = s;
  activationBackward(k, s.activation, dz, gamma, h, B * H); // dz = γ(t) ∘ σ'(z(t))
  k.matmulAtBAccumulate(grads.Wh, dz, hPrev, H, B, H); // (5.2) dWh += (γ ∘ σ'(z)) · h(t−1)ᵀ
  if (input.kind === 'one-hot') k.addToWeightColumns(grads.Wx, dz, input.ids, B, H, D); // by analogy with (5.2): dWx += dz · x(t)ᵀ
  else k.matmulAtBAccumulate(grads.Wx, dz, input.x, H, B, D);
  k.sumRowsAccumulate(grads.b1, dz, B, H); // by analogy with (5.2): db1 += dz
  k.matmulAB(gammaPrev, dz, w.Wh, B, H, H, false); // (6.2) γ(t−1) = Whᵀ (γ(t) ∘ σ'(z(t)))
  if (dx && input.kind === 'dense') k.matmulAB(dx, dz, w.Wx, B, H, D, false); // ∂J/∂x(t) = Wxᵀ dz
}

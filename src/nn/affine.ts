/**
 * The affine layer of Eq. 2.1, for a batch of B rows.
 *   h: (B×H)   theta: (B×V)   U: (V×H)   b2: (V)
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';

export interface AffineWeights {
  U: FloatArray;
  b2: FloatArray;
}

/** (2.1) θ = U·h + b2, for every row: θ = h·Uᵀ + b2. */
export function affineForward(k: Kernels, theta: FloatArray, h: FloatArray, w: AffineWeights, rows: number, hidden: number, vocab: number): void {
  k.matmulABt(theta, h, w.U, rows, hidden, vocab, false);
  k.addBias(theta, w.b2, rows, vocab);
}

/**
 * From (2.1): given dθ = ∂J/∂θ (B×V),
 *   dU += dθᵀ·h      db2 += Σ_rows dθ      dh = dθ·U  (∂J(t)/∂h(t), the seed's γ_t(t))
 */
export function affineBackward(
  k: Kernels,
  dh: FloatArray,
  dTheta: FloatArray,
  h: FloatArray,
  w: AffineWeights,
  grads: AffineWeights,
  rows: number,
  hidden: number,
  vocab: number,
): void {
  k.matmulAtBAccumulate(grads.U, dTheta, h, vocab, rows, hidden);
  k.sumRowsAccumulate(grads.b2, dTheta, rows, vocab);
  k.matmulAB(dh, dTheta, w.U, rows, vocab, hidden, false);
}

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
  /** Rows of Wh, Wx and b1: H for this unit; 4H for the LSTM's four gates (lstm-cell.ts). */
  units: number;
  /**
   * The first zeroStateRows rows read h(t−1) = the zero state (rows starting from zeros, e.g. the
   * first step): their Wh·h(t−1) is zero, and no gradient flows back into that constant, so the
   * recurrent products skip them. Exact, and 1/T of those products for sequences of T steps.
   */
  zeroStateRows?: number;
}

/**
 * The recurrent weight matrix as the two products of every step read it, packed (Kernels.pack)
 * once per batch rather than once per step:
 *   forward   Whᵀ (H×units):   z += h(t−1)·Whᵀ                (1.1)
 *   backward  Wh  (units×H):   γ(t−1) = dz·Wh, i.e. Whᵀ dz    (6.2)
 */
export function packRecurrentForward(k: Kernels, packed: FloatArray, Wh: FloatArray, s: RnnCellShape): void {
  k.pack(packed, Wh, s.hidden, s.units, true); // B = Whᵀ, given as Wh
}

export function packRecurrentBackward(k: Kernels, packed: FloatArray, Wh: FloatArray, s: RnnCellShape): void {
  k.pack(packed, Wh, s.units, s.hidden, false);
}

/** out (+)= A·B (B packed) over rows [from, rows) of A and out; rows before `from` are left alone. */
export function matmulPackedRowsFrom(k: Kernels, out: FloatArray, a: FloatArray, packed: FloatArray, from: number, rows: number, inner: number, cols: number, accumulate: boolean): void {
  if (from >= rows) return;
  k.matmulPacked(from > 0 ? out.subarray(from * cols) : out, from > 0 ? a.subarray(from * inner) : a, packed, rows - from, inner, cols, accumulate);
}

/**
 * The input half of (1.1), z = Wx·x + b1, for every row of `input` at once (z: rows×units). It
 * does not depend on h(t−1), so the model computes it for all T steps of a batch in one product
 * before the recurrence (as the output layer runs after it); one-hot x picks columns of Wx.
 * The LSTM's (L.1) and the GRU's input part p (G.1) are the same product with more units.
 */
export function inputPreactivation(k: Kernels, z: FloatArray, input: CellInput, w: RnnCellWeights, s: RnnCellShape): void {
  const { rows, inputSize: D, units } = s;
  if (input.kind === 'one-hot') {
    z.fill(0, 0, rows * units);
    k.addWeightColumns(z, w.Wx, input.ids, rows, units, D); // Wx·x = column ids of Wx
  } else k.matmulABt(z, input.x, w.Wx, rows, D, units, false); // x·Wxᵀ
  k.addBias(z, w.b1, rows, units); // + b1
}

/**
 * The recurrent half of (1.1), step by step: z += Wh·h(t−1) = hPrev·Whᵀ (Whᵀ packed by
 * packRecurrentForward). Rows that read the zero state add nothing.
 */
export function recurrentPreactivation(k: Kernels, z: FloatArray, hPrev: FloatArray, WhPacked: FloatArray, s: RnnCellShape): void {
  matmulPackedRowsFrom(k, z, hPrev, WhPacked, s.zeroStateRows ?? 0, s.rows, s.hidden, s.units, true);
}

/**
 * (1.1) z = Wh·h(t−1) + Wx·x(t) + b1,  (1.2) h = σ(z), for every row at once.
 * On entry h holds the input half Wx·x(t) + b1 (inputPreactivation); on return h(t).
 * z is never stored, because σ'(z) is recovered from h.
 */
export function rnnCellForward(k: Kernels, h: FloatArray, hPrev: FloatArray, WhPacked: FloatArray, s: RnnCellShape): void {
  recurrentPreactivation(k, h, hPrev, WhPacked, s); // (1.1), in place of h
  activationForward(k, s.activation, h, s.rows * s.hidden); // (1.2)
}

/**
 * Backward through one step, for the sweep t = T..1. On entry gamma holds
 * ∂J/∂h(t) (B×H): the SUM of the γ's of every loss term J(t'), t' ≥ t (the
 * seed's "Trick 2": accumulated gammas). Writes
 *   dz        = γ(t) ∘ σ'(z(t))                      (B×H; may be gamma itself)
 *   gammaPrev = ∂J/∂h(t−1) = Whᵀ dz                 (B×H)   Eq. 6.2
 * For a batch of rows, Whᵀ dz is dz·Wh: Wh packed once per batch
 * (packRecurrentBackward), the same kind of product as the forward pass.
 * The weight gradients are left to rnnCellWeightGradients, which sums them
 * over all steps at once. Rows that read the zero state get no γ(t−1) (it is
 * not computed: nothing is upstream of a constant).
 */
export function rnnCellBackwardStep(k: Kernels, gammaPrev: FloatArray, dz: FloatArray, gamma: FloatArray, h: FloatArray, WhPacked: FloatArray, s: RnnCellShape): void {
  const { rows: B, hidden: H } = s;
  activationBackward(k, s.activation, dz, gamma, h, B * H); // dz = γ(t) ∘ σ'(z(t))   (5.1.1, 6.1.1)
  matmulPackedRowsFrom(k, gammaPrev, dz, WhPacked, s.zeroStateRows ?? 0, B, H, H, false); // (6.2) γ(t−1) = Whᵀ (γ(t) ∘ σ'(z(t)))
}

/**
 * The gradients of the tied weights. With the seed's dummy variables Wh(k),
 * ∂J/∂Wh = Σ_k ∂J/∂Wh(k) (Eq. 4.1) and each term is (5.2):
 *   ∂J/∂Wh(k) = (γ(k) ∘ σ'(z(k))) · h(k−1)ᵀ = dz(k) · h(k−1)ᵀ
 * Summed over the k steps AND the B rows of a batch, that is a single matrix
 * product dZᵀ·H_prev over all the T·B rows stacked (rows = T·B here):
 *   dWh += dZᵀ · H_prev      dWx += dZᵀ · X  (by analogy)      db1 += Σ_rows dZ
 * Rows of padded positions hold dz = 0 and add nothing.
 */
export function rnnCellWeightGradients(k: Kernels, grads: RnnCellWeights, dz: FloatArray, hPrev: FloatArray, input: CellInput, s: RnnCellShape): void {
  recurrentWeightGradient(k, grads.Wh, dz, hPrev, s); // Σ_k (5.2)
  inputWeightGradients(k, grads, dz, input, s);
}

/** dWh += dZᵀ·H_prev (dz: rows × units); rows that read the zero state add nothing and are skipped. */
export function recurrentWeightGradient(k: Kernels, gradWh: FloatArray, dz: FloatArray, hPrev: FloatArray, s: RnnCellShape): void {
  const { rows, hidden: H, units } = s;
  const zero = s.zeroStateRows ?? 0; // their h(k−1) = 0
  if (zero < rows) k.matmulAtBAccumulate(gradWh, dz.subarray(zero * units), hPrev.subarray(zero * H), units, rows - zero, H);
}

/** The backward of inputPreactivation: dWx += dZᵀ·X (one-hot x: dWx[:, x(k)] += dz(k)), db1 += Σ_rows dZ. */
export function inputWeightGradients(k: Kernels, grads: Pick<RnnCellWeights, 'Wx' | 'b1'>, dz: FloatArray, input: CellInput, s: RnnCellShape): void {
  const { rows, inputSize: D, units } = s;
  if (input.kind === 'one-hot') k.addToWeightColumns(grads.Wx, dz, input.ids, rows, units, D);
  else k.matmulAtBAccumulate(grads.Wx, dz, input.x, units, rows, D);
  k.sumRowsAccumulate(grads.b1, dz, rows, units);
}

/** ∂J/∂x = Wxᵀ dz for dense (embedded) input, for all rows at once: dX = dZ · Wx. */
export function rnnCellInputGradient(k: Kernels, dx: FloatArray, dz: FloatArray, w: RnnCellWeights, s: RnnCellShape): void {
  k.matmulAB(dx, dz, w.Wx, s.rows, s.units, s.inputSize, false);
}

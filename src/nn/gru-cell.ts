/**
 * PyTorch's GRU unit (nn.GRU: gates r, z, n, the reset gate applied after the
 * recurrent product), one time step for a batch. Derived in
 * docs/derivations/gru.md in the seed's notation (the update gate z is
 * called u there); G.1–G.10 below refer to it.
 *
 * Shapes (rows are sequences of the batch):
 *   gates, p, dq, dp: (B×3H), each row [r | u | n]   h, hPrev, qn, gamma: (B×H)
 *   Wh: (3H×H) with bias bh (3H) = PyTorch's weight_hh, bias_hh
 *   Wx: (3H×D) with bias b1 (3H) = PyTorch's weight_ih, bias_ih
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { inputWeightGradients, matmulPackedRowsFrom, recurrentPreactivation, recurrentWeightGradient, type CellInput, type RnnCellShape } from './rnn-cell.js';

export interface GruWeights {
  Wh: FloatArray;
  Wx: FloatArray;
  b1: FloatArray;
  bh: FloatArray;
}

/**
 * (G.1) q = Wh·h(t−1) + bh into gates; p holds the input part Wx·x(t) + b1 on entry
 * (inputPreactivation in rnn-cell.ts, for all steps at once); then (G.2)–(G.4):
 * the gate values r, u, n (in place of gates), qn and h.
 */
export function gruCellForward(k: Kernels, gates: FloatArray, p: FloatArray, qn: FloatArray, h: FloatArray, hPrev: FloatArray, bh: FloatArray, WhPacked: FloatArray, s: RnnCellShape): void {
  const { rows, hidden: H, units } = s;
  gates.fill(0, 0, rows * units);
  k.addBias(gates, bh, rows, units); // bh
  recurrentPreactivation(k, gates, hPrev, WhPacked, s); // + Wh·h(t−1), as the other cells
  k.gruGates(gates, p, qn, hPrev, h, rows, H);
}

/**
 * Backward through one step (G.5–G.8, G.10): from gamma = ∂J/∂h(t) (summed
 * over the loss terms, Trick 2) writes dq and dp, and
 *   gammaPrev = γ ∘ u + Whᵀ dq      (as dq·Wh, Wh (3H×H) packed)
 */
export function gruCellBackwardStep(k: Kernels, gammaPrev: FloatArray, dq: FloatArray, dp: FloatArray, gamma: FloatArray, gates: FloatArray, qn: FloatArray, hPrev: FloatArray, WhPacked: FloatArray, s: RnnCellShape): void {
  k.gruGatesBackward(dq, dp, gammaPrev, gamma, gates, qn, hPrev, s.rows, s.hidden);
  matmulPackedRowsFrom(k, gammaPrev, dq, WhPacked, s.zeroStateRows ?? 0, s.rows, s.units, s.hidden, true); // (G.10) + Whᵀ dq
}

/**
 * (G.9) summed over all steps (Eq. 4.1), as products over all the stacked positions:
 *   dWh += dQᵀ·H_prev   dbh += Σ dQ   dWx += dPᵀ·X   db1 += Σ dP
 */
export function gruWeightGradients(k: Kernels, grads: GruWeights, dq: FloatArray, dp: FloatArray, hPrev: FloatArray, input: CellInput, s: RnnCellShape): void {
  recurrentWeightGradient(k, grads.Wh, dq, hPrev, s);
  k.sumRowsAccumulate(grads.bh, dq, s.rows, s.units);
  inputWeightGradients(k, grads, dp, input, s);
}

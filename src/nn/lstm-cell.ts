/**
 * PyTorch's LSTM unit (nn.LSTM, gates in the order i, f, g, o), one time step
 * for a batch. Derived in docs/derivations/lstm.md in the seed's notation;
 * the equation numbers L.1–L.11 below refer to it.
 *
 * Shapes (rows are sequences of the batch):
 *   B rows, H hidden, D input size; the unit has 4H pre-activations
 *   gates: (B×4H), each row [i | f | g | o]   c, cPrev, h, hPrev, gamma, kappa: (B×H)
 *   Wh: (4H×H)   Wx: (4H×D)   b1: (4H)
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { matmulPackedRowsFrom, recurrentPreactivation, type RnnCellShape } from './rnn-cell.js';

/**
 * (L.1) z = Wh·h(t−1) + Wx·x(t) + b1 in gates, which hold the input half Wx·x(t) + b1 on entry
 * (inputPreactivation, for all steps at once); then in place
 * (L.2) the gate values i, f, g, o;  (L.3) c = f∘cPrev + i∘g;  (L.4) h = o∘tanh(c).
 */
export function lstmCellForward(k: Kernels, gates: FloatArray, c: FloatArray, h: FloatArray, hPrev: FloatArray, cPrev: FloatArray, WhPacked: FloatArray, s: RnnCellShape): void {
  recurrentPreactivation(k, gates, hPrev, WhPacked, s); // (L.1)
  k.lstmGates(gates, c, h, cPrev, s.rows, s.hidden); // (L.2)–(L.4)
}

/**
 * Backward through one step, for the sweep t = T..1. On entry gamma holds
 * ∂J/∂h(t) summed over every loss term (Trick 2) and kappa the part of
 * ∂J/∂c(t) that came back from step t + 1. Writes
 *   dGates = ∂J/∂z(t) (B×4H)                        (L.5)–(L.9)
 *   kappa  = κ(t) ∘ f(t), the part of ∂J/∂c(t−1) from this step   (L.11)
 *   gammaPrev = Whᵀ dz, as dz·Wh with Wh (4H×H) packed            (L.11)
 */
export function lstmCellBackwardStep(
  k: Kernels,
  gammaPrev: FloatArray,
  kappa: FloatArray,
  dGates: FloatArray,
  gamma: FloatArray,
  gates: FloatArray,
  c: FloatArray,
  cPrev: FloatArray,
  WhPacked: FloatArray,
  s: RnnCellShape,
): void {
  k.lstmGatesBackward(dGates, kappa, gamma, gates, c, cPrev, s.rows, s.hidden); // (L.5)–(L.9), κ(t−1)
  matmulPackedRowsFrom(k, gammaPrev, dGates, WhPacked, s.zeroStateRows ?? 0, s.rows, s.units, s.hidden, false); // γ(t−1) = Whᵀ dz
}

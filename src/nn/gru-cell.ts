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
 *
 * Per hidden unit j, what the kernels gruGates / gruGatesBackward compute (their
 * readable loops: src/kernels/reference.ts, which stays below src/nn in the layering):
 *
 *   forward (p = Wx·x + b1, q = Wh·h(t−1) + bh)     backward (γ = ∂J/∂h(t))
 *   r = σ(p_r + q_r)  u = σ(p_u + q_u)   (G.2)     dn = γ ∘ (1 − u) ∘ (1 − n²)          (G.5)
 *   n = tanh(p_n + r ∘ q_n)              (G.3)     du = γ ∘ (h(t−1) − n) ∘ u(1 − u)     (G.6)
 *   h = (1 − u) ∘ n + u ∘ h(t−1)         (G.4)     dr = dn ∘ q_n ∘ r(1 − r)             (G.7)
 *                                                  dp = [dr | du | dn], dq = [dr | du | dn ∘ r]  (G.8)
 *                                                  γ(t−1) = γ ∘ u + Whᵀ dq              (G.10)
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import {
  inputWeightGradients,
  recurrentGradient,
  recurrentPreactivation,
  recurrentWeightGradient,
  type CellInput,
  type CellShape,
  type CellType,
  type LayerWeights,
} from './recurrent-cell.js';

export type GruWeights = LayerWeights;

/**
 * (G.1) q = Wh·h(t−1) + bh into gates; p holds the input part Wx·x(t) + b1 on entry
 * (inputPreactivation in rnn-cell.ts, for all steps at once); then (G.2)–(G.4):
 * the gate values r, u, n (in place of gates), qn and h.
 */
export function gruCellForward(
  k: Kernels,
  gates: FloatArray,
  p: FloatArray,
  qn: FloatArray,
  h: FloatArray,
  hPrev: FloatArray,
  bh: FloatArray,
  WhPacked: FloatArray,
  s: CellShape,
): void {
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
export function gruCellBackwardStep(
  k: Kernels,
  gammaPrev: FloatArray,
  dq: FloatArray,
  dp: FloatArray,
  gamma: FloatArray,
  gates: FloatArray,
  qn: FloatArray,
  hPrev: FloatArray,
  WhPacked: FloatArray,
  s: CellShape,
): void {
  k.gruGatesBackward(dq, dp, gammaPrev, gamma, gates, qn, hPrev, s.rows, s.hidden);
  recurrentGradient(k, gammaPrev, dq, WhPacked, s, true); // (G.10) + Whᵀ dq
}

/**
 * (G.9) summed over all steps (Eq. 4.1), as products over all the stacked positions:
 *   dWh += dQᵀ·H_prev   dbh += Σ dQ   dWx += dPᵀ·X   db1 += Σ dP
 */
export function gruWeightGradients(k: Kernels, grads: GruWeights, dq: FloatArray, dp: FloatArray, hPrev: FloatArray, input: CellInput, s: CellShape): void {
  recurrentWeightGradient(k, grads.Wh, dq, hPrev, s);
  k.sumRowsAccumulate(grads.bh, dq, s.rows, s.units);
  inputWeightGradients(k, grads, dp, input, s);
}

/** The GRU as a RecurrentCell: it carries [h] and caches its gates, q_n, the input part p and the gradients dq, dp. */
export const gruCell: CellType = {
  name: 'gru',
  gatesPerUnit: 3,
  statesPerUnit: 1,
  recurrentBias: true,
  create() {
    let gates: FloatArray; // (P×3H) r | u | n of every position
    let p: FloatArray; // (P×3H) the input part Wx·x + b1
    let qn: FloatArray; // (P×H) the recurrent part of n's pre-activation
    let dq: FloatArray; // (P×3H) ∂J/∂q
    let dp: FloatArray; // (P×3H) ∂J/∂p
    const rowsOf = (buffer: FloatArray, at: number, rows: number, width: number) => buffer.subarray(at * width, (at + rows) * width);
    return {
      shape(view, P, H, units) {
        gates = view('gates', P * units);
        p = view('inputPart', P * units);
        qn = view('qn', P * H);
        dq = view('dGates', P * units);
        dp = view('dInput', P * units);
      },
      inputHalf: (_h, P, units) => p.subarray(0, P * units),
      forwardStep(k, next, prev, at, w, WhPacked, s) {
        const h = next[0];
        const hPrev = prev[0];
        const { rows, units, hidden } = s;
        gruCellForward(k, rowsOf(gates, at, rows, units), rowsOf(p, at, rows, units), rowsOf(qn, at, rows, hidden), h, hPrev, w.bh, WhPacked, s); // (G.1)–(G.4)
      },
      backwardStep(k, gradPrev, gamma, _next, prev, at, WhPacked, s) {
        const gammaPrev = gradPrev[0];
        const hPrev = prev[0];
        const { rows, units, hidden } = s;
        gruCellBackwardStep(
          k,
          gammaPrev,
          rowsOf(dq, at, rows, units),
          rowsOf(dp, at, rows, units),
          gamma,
          rowsOf(gates, at, rows, units),
          rowsOf(qn, at, rows, hidden),
          hPrev,
          WhPacked,
          s,
        ); // (G.5)–(G.10)
      },
      weightGradients(k, g, _gamma, hPrev, input, s) {
        gruWeightGradients(k, g, dq, dp, hPrev, input, s); // (G.9) summed over k, Eq. 4.1
      },
      inputGradientSource: () => dp,
    };
  },
};

/**
 * PyTorch's LSTM unit (nn.LSTM, gates in the order i, f, g, o), one time step
 * for a batch. Derived in docs/derivations/lstm.md in the seed's notation;
 * the equation numbers L.1–L.11 below refer to it. Per hidden unit j, what the
 * kernels lstmGates / lstmGatesBackward compute (their readable loops:
 * src/kernels/reference.ts, which stays below src/nn in the layering):
 *
 *   forward                                   backward (γ = ∂J/∂h(t), κ from t + 1)
 *   i = σ(z_i)  f = σ(z_f)  (L.2)             κ(t) = κ + γ ∘ o ∘ (1 − tanh²c)      (L.5)
 *   g = tanh(z_g)  o = σ(z_o)                 dz_o = γ ∘ tanh c ∘ o(1 − o)         (L.6)
 *   c = f ∘ c(t−1) + i ∘ g  (L.3)             dz_f = κ(t) ∘ c(t−1) ∘ f(1 − f)      (L.7)
 *   h = o ∘ tanh(c)         (L.4)             dz_i = κ(t) ∘ g ∘ i(1 − i)           (L.8)
 *                                             dz_g = κ(t) ∘ i ∘ (1 − g²)           (L.9)
 *                                             κ(t−1) = κ(t) ∘ f,  γ(t−1) = Whᵀ dz  (L.11)
 *
 * Shapes (rows are sequences of the batch):
 *   B rows, H hidden, D input size; the unit has 4H pre-activations
 *   gates: (B×4H), each row [i | f | g | o]   c, cPrev, h, hPrev, gamma, kappa: (B×H)
 *   Wh: (4H×H)   Wx: (4H×D)   b1: (4H)
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { rnnCellWeightGradients } from './rnn-cell.js';
import { recurrentGradient, recurrentPreactivation, type CellShape, type CellType } from './recurrent-cell.js';

/**
 * (L.1) z = Wh·h(t−1) + Wx·x(t) + b1 in gates, which hold the input half Wx·x(t) + b1 on entry
 * (inputPreactivation, for all steps at once); then in place
 * (L.2) the gate values i, f, g, o;  (L.3) c = f∘cPrev + i∘g;  (L.4) h = o∘tanh(c).
 */
export function lstmCellForward(
  k: Kernels,
  gates: FloatArray,
  c: FloatArray,
  h: FloatArray,
  hPrev: FloatArray,
  cPrev: FloatArray,
  WhPacked: FloatArray,
  s: CellShape,
): void {
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
  s: CellShape,
): void {
  k.lstmGatesBackward(dGates, kappa, gamma, gates, c, cPrev, s.rows, s.hidden); // (L.5)–(L.9), κ(t−1)
  recurrentGradient(k, gammaPrev, dGates, WhPacked, s, false); // γ(t−1) = Whᵀ dz (L.11)
}

/** The LSTM as a RecurrentCell: it carries [h, c] and caches its gates and their gradients. */
export const lstmCell: CellType = {
  name: 'lstm',
  gatesPerUnit: 4,
  statesPerUnit: 2,
  recurrentBias: false,
  forgetGate: 1,
  create() {
    let gates: FloatArray; // (P×4H) the gate values i, f, g, o of every position
    let dGates: FloatArray; // (P×4H) ∂J/∂z of the gates
    const rowsOf = (buffer: FloatArray, at: number, s: CellShape) => buffer.subarray(at * s.units, (at + s.rows) * s.units);
    return {
      shape(view, P, _H, units) {
        gates = view('gates', P * units);
        dGates = view('dGates', P * units);
      },
      inputHalf: (_h, P, units) => gates.subarray(0, P * units),
      // Carried state: [h, c]; its gradients: [γ, κ].
      forwardStep(k, next, prev, at, _w, WhPacked, s) {
        lstmCellForward(k, rowsOf(gates, at, s), next[1], next[0], prev[0], prev[1], WhPacked, s); // (L.1)–(L.4)
      },
      backwardStep(k, gradPrev, gamma, next, prev, at, WhPacked, s) {
        lstmCellBackwardStep(k, gradPrev[0], gradPrev[1], rowsOf(dGates, at, s), gamma, rowsOf(gates, at, s), next[1], prev[1], WhPacked, s); // (L.5)–(L.11)
      },
      weightGradients(k, g, _gamma, hPrev, input, s) {
        rnnCellWeightGradients(k, g, dGates, hPrev, input, s); // (L.10) summed over k, Eq. 4.1
      },
      inputGradientSource: () => dGates,
    };
  },
  derivation(k, WhForward, WhBackward, s, buffer) {
    const c = buffer(s.hidden);
    const cPrev = buffer(s.hidden); // c(0) = 0
    const kappa = buffer(s.hidden); // κ arriving from step t + 1 (L.11); zero after the last step
    const gates = buffer(s.units);
    const copy = (values: ArrayLike<number>) => Float64Array.from(values);
    return {
      forward(z, h, hPrev) {
        lstmCellForward(k, z, c, h, hPrev, cPrev, WhForward, s); // (L.1) z += Wh·h(t−1); (L.2) gates; (L.3) c(t); (L.4) h(t)
        const values = { z: new Float64Array(0), gates: copy(z), cPrev: copy(cPrev), c: copy(c) };
        cPrev.set(c);
        return values;
      },
      backward(gammaPrev, dz, gamma, _h, step) {
        const kappaIn = copy(kappa);
        gates.set(step.gates!);
        c.set(step.c!);
        cPrev.set(step.cPrev!);
        lstmCellBackwardStep(k, gammaPrev, kappa, dz, gamma, gates, c, cPrev, WhBackward, s); // (L.5)–(L.9) dz(t); (L.11) κ(t)∘f(t), γ(t−1) = Whᵀ dz(t)
        return { kappaIn, kappaOut: copy(kappa) };
      },
    };
  },
};

/**
 * One recurrent layer through time: the recurrence forward, t = 1..T, and backpropagation through
 * time, t = T..1, exactly as the seed derives it. The cell (src/nn/*-cell.ts) does the arithmetic
 * of one step; this file is the loop around it, and the packing of a batch (only real positions,
 * core/batch.ts), the zero initial state and document resets stay behind the named helpers of
 * state-layout.ts.
 *
 * The blog's own one-sequence version, without batches or kernels: blog-oracle.ts.
 *
 * Dimensions: T steps, B rows, P real positions, H hidden.
 */
import type { FloatArray } from '../core/arrays.js';
import type { PackedBatch } from '../core/batch.js';
import type { Kernels } from '../kernels/kernels.js';
import { packRecurrentBackward, packRecurrentForward, type CellInput, type CellShape, type LayerWeights } from '../nn/recurrent-cell.js';
import { nextState, previousState, rowsOf, stepPlace, stopAtDocumentBoundaries } from './state-layout.js';
import type { Workspace } from './workspace.js';

/** One layer of one batch, as the loops below see it. */
export interface LayerPass {
  k: Kernels;
  ws: Workspace;
  w: LayerWeights;
  packed: PackedBatch;
  /** B: rows of the batch. */
  rows: number;
  /** H: hidden size. */
  hidden: number;
  /** The cell's shape for `rows` rows of this layer, the first `zeroStateRows` of which read the zero state. */
  shape: (rows: number, zeroStateRows?: number) => CellShape;
  /** Rows of step t that read the zero state (a prefix): all of step 0's when there is no initial state. */
  zeroStateRowsAt: (t: number) => number;
}

/**
 * (1.1), (1.2) for every step t = 1..T, over the rows still real at each step. On entry the
 * input half Wx·x(t) + b1 of every position is where the cell wants it (inputHalf) and the
 * initial state in the state's first B rows.
 */
export function forwardThroughTime({ k, ws, w, packed, rows: B, hidden: H, shape, zeroStateRowsAt }: LayerPass): void {
  const T = packed.offsets.length - 1;
  packRecurrentForward(k, ws.WhForward, w.Wh, shape(B)); // once for all T steps
  for (let t = 0; t < T; t++) {
    const place = stepPlace(packed, B, t);
    if (place.rows === 0) continue;
    const prev = previousState(ws.state, ws.statePrevCopy, packed, place, t, H); // h(t−1) (and c(t−1))
    ws.cell.forwardStep(k, nextState(ws.state, place, H), prev, place.at, w, ws.WhForward, shape(place.rows, zeroStateRowsAt(t)));
  }
}

/**
 * Backpropagation through time for one layer. On entry ws.gamma holds, at every position,
 * γ_t(t) = ∂J/∂h(t) from above (the output layer's Uᵀ dθ(t), or the layer above's ∂J/∂x).
 * Leaves the layer's weight gradients in g, ∂J/∂(initial state) in ws.gradPrev, and the
 * gradient of every position's input half in cell.inputGradientSource (for the layer below).
 *
 * The blog: γ_t(k) = ∂J(t)/∂h(k). BPTT never forms them one by one; it carries their sum
 * γ(k) = Σ_{t ≥ k} γ_t(k) = ∂J/∂h(k) (Trick 2): since (6.2) is linear in γ, one sweep with the sum
 * gives what T sweeps, one per J(t), would.
 */
export function backThroughTime(pass: LayerPass, g: LayerWeights, input: CellInput): void {
  const { k, ws, w, packed, rows: B, hidden: H, shape, zeroStateRowsAt } = pass;
  const T = packed.offsets.length - 1;
  const P = packed.offsets[T];
  const cell = ws.cell;
  packRecurrentBackward(k, ws.WhBackward, w.Wh, shape(B)); // once for all T steps
  const [gammaPrev] = ws.gradPrev; // (B×H) γ(t−1), passed from step t to step t − 1
  for (const block of ws.gradPrev) block.fill(0); // the LSTM's κ(T) too: nothing comes from after the last step
  let rowsAfter = 0; // rows that were real at step t + 1 (none after the last step)
  for (let t = T - 1; t >= 0; t--) {
    const place = stepPlace(packed, B, t);
    if (place.rows === 0) continue;
    const gamma = rowsOf(ws.gamma, place.at, place.rows, H); // γ_t(t), the local term, in place: γ(t), then dz(t)
    // Trick 2: γ(t) = γ_t(t) + Σ_{t' > t} γ_t'(t): step t + 1 passed back that sum in gammaPrev.
    // Rows whose last real token is at step t receive nothing from later steps.
    k.add(gamma, gammaPrev, rowsAfter * H);
    for (let i = 1; i < ws.gradPrev.length; i++) ws.gradPrev[i].fill(0, rowsAfter * H, place.rows * H); // nor κ
    const prev = previousState(ws.state, ws.statePrevCopy, packed, place, t, H);
    // (5.1.1) dz(t) = γ(t) ∘ σ'(z(t)), then (6.2) γ(t−1) = Whᵀ dz(t) (plus what a gated cell passes directly).
    cell.backwardStep(k, ws.gradPrev, gamma, nextState(ws.state, place, H), prev, place.at, ws.WhBackward, shape(place.rows, zeroStateRowsAt(t)));
    stopAtDocumentBoundaries(ws.gradPrev, packed, place, t, H);
    rowsAfter = place.rows;
  }
  // γ(0) = ∂J/∂h0 (and κ(0) = ∂J/∂c0); rows with no real token at all get none.
  for (const block of ws.gradPrev) block.fill(0, rowsAfter * H, B * H);

  // Eq. 4.1: the tied weights' gradient is the sum over steps of the dummy variables' (5.2),
  // ∂J/∂Wh(k) = dz(k)·h(k−1)ᵀ: one product over the P real positions, with h(k−1) of each
  // position stacked in the same order. Step 0's positions come first: those that read the zero
  // state add nothing to dWh.
  cell.weightGradients(k, g, ws.gamma, stackedPreviousStates(pass), input, shape(P, zeroStateRowsAt(0)));
}

/**
 * h(t−1) for every packed position (P×H), stacked like ws.gamma. Without padding or resets these
 * are simply the first P rows of the h buffer (h0, then h(1), ...); otherwise the rows each step
 * reads (zeros where a row resets) are gathered into h's statePrevCopy.
 */
function stackedPreviousStates({ ws, packed, rows: B, hidden: H }: LayerPass): FloatArray {
  const T = packed.offsets.length - 1;
  const P = packed.offsets[T];
  if (P === T * B && !packed.resets) return ws.h.subarray(0, P * H);
  const [gathered] = ws.statePrevCopy;
  for (let t = 0; t < T; t++) {
    const place = stepPlace(packed, B, t);
    const [hPrev] = previousState([ws.h], [gathered], packed, place, t, H);
    gathered.set(hPrev, place.at * H); // (a copy onto itself at steps with resets)
  }
  return gathered;
}

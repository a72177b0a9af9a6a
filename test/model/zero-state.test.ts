/**
 * Starting from the zero state (forward() without h0, every training batch of
 * names) skips the products with h0 = 0: Wh·h0 forward, γ(0) = Whᵀ dz(1)
 * backward, and step 0's rows of dWh = Σ dz·h(t−1)ᵀ. The skipped terms are
 * exactly zero, so the loss and every gradient must equal those of the same
 * batch started from an explicit h0 of zeros (which computes them all, and
 * which the gradient checks cover) on every backend, to the last bit in
 * float64 and to float32 rounding otherwise.
 */
import { describe, expect, it } from 'vitest';
import { availableBackends, batchFromRows, loadKernels, Random, RnnModel, type Cell } from '../../src/index.js';

const cases = [
  ['rnn', 'sigmoid', 1, 0],
  ['rnn', 'tanh', 2, 3],
  ['lstm', 'tanh', 1, 0],
  ['lstm', 'tanh', 2, 3],
  ['gru', 'tanh', 1, 0],
  ['gru', 'tanh', 2, 3],
] as const;
const backends = await availableBackends();

describe.each(backends)('%s', (backend) => {
  it.each(cases)('%s (%s), %i layer(s), embed %i: same loss and gradients with and without an explicit zero h0', async (cell, activation, layers, embed) => {
    const kernels = await loadKernels(backend);
    const dtype = backend === 'reference' ? 'float64' : 'float32';
    const config = { cell: cell as Cell, activation, vocabSize: 9, hidden: 6, embed, layers, dtype, init: 'scaled', dropout: 0.3 } as const;
    const random = new Random(3);
    // Rows of different lengths: padding, and step 0's rows are not all of the batch's rows later.
    const rows = [7, 5, 5, 2, 1].map((length) => Array.from({ length }, () => random.integer(9)));
    const batch = batchFromRows(
      rows,
      rows.map((row) => row.map((id) => (id + 2) % 9)),
    );
    const implicit = RnnModel.initialized(config, 8, kernels);
    const explicit = RnnModel.initialized(config, 8, kernels);
    const lossImplicit = implicit.forward(batch, undefined, 11);
    const lossExplicit = explicit.forward(batch, new (dtype === 'float64' ? Float64Array : Float32Array)(batch.rows * explicit.stateSize), 11);
    const tolerance = dtype === 'float64' ? 0 : 1e-6;
    expect(Math.abs(lossImplicit - lossExplicit)).toBeLessThanOrEqual(tolerance * Math.abs(lossExplicit));
    implicit.backward({ scale: 1 / 5, clip: Infinity });
    explicit.backward({ scale: 1 / 5, clip: Infinity });
    let worst = 0;
    let largest = 0;
    for (let i = 0; i < implicit.grads.length; i++) {
      worst = Math.max(worst, Math.abs(implicit.grads[i] - explicit.grads[i]));
      largest = Math.max(largest, Math.abs(explicit.grads[i]));
    }
    expect(largest).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(tolerance * largest);
    // From zeros the initial state is a constant: its gradient is not computed, and asking says so.
    expect(() => implicit.initialStateGradient()).toThrow(/initial state/);
    expect(explicit.initialStateGradient().length).toBe(batch.rows * explicit.stateSize);
  });
});

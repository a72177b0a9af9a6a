/**
 * The derivation walk (src/model/derivation.ts) against the model's own
 * forward and backward passes, the Trick 2 table, and central differences
 * of J in float64.
 */
import { describe, expect, it } from 'vitest';
import { BpttError, derive, gradientFlow, RnnModel, type Activation, type Cell } from '../../src/index.js';
import { batchFromRows } from '../../src/core/batch.js';
import { numericalDerivative } from '../../src/testing/gradcheck.js';

const input = [0, 3, 1, 2, 2, 4];
const target = [3, 1, 2, 2, 4, 0];

function modelOf(cell: Cell, embed: number, activation: Activation = 'sigmoid'): RnnModel {
  return RnnModel.initialized({ cell, activation, vocabSize: 5, hidden: 4, embed, layers: 1, dtype: 'float64', init: 'scaled' }, 7);
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));

describe.each([
  ['sigmoid RNN, one-hot', 'rnn', 0, 'sigmoid'],
  ['sigmoid RNN, embedding', 'rnn', 3, 'sigmoid'],
  ['tanh RNN, embedding', 'rnn', 3, 'tanh'],
  ['LSTM, one-hot', 'lstm', 0, 'sigmoid'],
  ['LSTM, embedding', 'lstm', 3, 'sigmoid'],
] as const)('derive (%s)', (_, cell, embed, activation) => {
  const model = modelOf(cell, embed, activation);
  const derivation = derive(model, input, target);
  const G = cell === 'lstm' ? 16 : 4;

  it("h(t), θ(t) and J(t) are the model's own, step by step", () => {
    let state = new Float64Array(model.stateSize); // h, then (LSTM) c
    const next = new Float64Array(model.stateSize);
    const logits = new Float64Array(5);
    derivation.steps.forEach((step, t) => {
      expect(maxDifference(step.hPrev, state.subarray(0, 4))).toBe(0);
      model.step(Int32Array.of(input[t]), state, next, logits);
      expect(maxDifference(step.h, next.subarray(0, 4))).toBeLessThan(1e-15);
      expect(maxDifference(step.theta, logits)).toBeLessThan(1e-14);
      expect(step.loss).toBeCloseTo(-Math.log(step.yHat[target[t]]), 14);
      const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
      if (cell === 'rnn') {
        // (1.1) splits into its two halves; (1.2) is σ of it.
        expect(maxDifference(step.h, step.z.map(activation === 'sigmoid' ? sigmoid : Math.tanh))).toBeLessThan(1e-14);
      } else {
        // (L.3) c = f∘c(t−1) + i∘g, (L.4) h = o∘tanh(c), from the gate values [i | f | g | o].
        const g = step.gates!;
        expect(maxDifference(step.c!, next.subarray(4, 8))).toBeLessThan(1e-15);
        expect(
          maxDifference(
            step.c!,
            step.c!.map((_, j) => g[4 + j] * step.cPrev![j] + g[j] * g[8 + j]),
          ),
        ).toBeLessThan(1e-14);
        expect(
          maxDifference(
            step.h,
            step.c!.map((cj, j) => g[12 + j] * Math.tanh(cj)),
          ),
        ).toBeLessThan(1e-14);
      }
      state = Float64Array.from(next);
    });
  });

  if (cell === 'lstm') {
    it('κ carried back is κ(t)∘f(t) and reaches step t − 1 (L.11); (L.7) dz_f = κ(t)∘c(t−1)∘f(1−f)', () => {
      derivation.steps.forEach((step, t) => {
        const carriedIn = t + 1 < input.length ? derivation.steps[t + 1].kappaOut! : new Float64Array(4);
        expect(maxDifference(step.kappaIn!, carriedIn)).toBe(0);
        const f = step.gates!.subarray(4, 8);
        const kappa = step.kappaOut!.map((v, j) => v / f[j]); // κ(t)
        expect(
          maxDifference(
            step.dz.subarray(4, 8),
            kappa.map((v, j) => v * step.cPrev![j] * f[j] * (1 - f[j])),
          ),
        ).toBeLessThan(1e-14);
      });
    });
  }

  it("the summed (5.2) terms and the other gradients equal backward()'s; (3.3) J equals forward()'s", () => {
    const batch = batchFromRows([input], [target]);
    const loss = model.forward(batch);
    model.backward({ scale: 1, clip: Infinity });
    expect(derivation.loss).toBeCloseTo(loss, 12);
    const g = model.gradients;
    expect(maxDifference(derivation.gradients.Wh, g.Wh)).toBeLessThan(1e-12);
    expect(maxDifference(derivation.gradients.Wx, g.Wx)).toBeLessThan(1e-12);
    expect(maxDifference(derivation.gradients.b1, g.b1)).toBeLessThan(1e-12);
    expect(maxDifference(derivation.gradients.U, g.U)).toBeLessThan(1e-12);
    expect(maxDifference(derivation.gradients.b2, g.b2)).toBeLessThan(1e-12);
    if (embed > 0) expect(maxDifference(derivation.gradients.embedding, g.embedding)).toBeLessThan(1e-12);
    const summed = new Float64Array(G * 4);
    for (const step of derivation.steps) step.dWh.forEach((v, i) => (summed[i] += v));
    expect(maxDifference(summed, g.Wh)).toBeLessThan(1e-12);
  });

  it('‖γ(t)‖ and J(t) agree with the Trick 2 table; γ(t) = γ_t(t) + (6.2) of step t + 1', () => {
    const flow = gradientFlow(model, input, target);
    derivation.steps.forEach((step, t) => {
      expect(Math.hypot(...step.gamma)).toBeCloseTo(flow.total[t], 12);
      expect(Math.hypot(...step.local)).toBeCloseTo(flow.byLossTerm[t * input.length + t], 12);
      expect(step.loss).toBeCloseTo(flow.losses[t], 12);
      const carried = t + 1 < input.length ? derivation.steps[t + 1].gammaPrev : new Float64Array(4);
      expect(
        maxDifference(
          step.gamma,
          step.local.map((v, j) => v + carried[j]),
        ),
      ).toBeLessThan(1e-15);
    });
  });

  it('∂J/∂Wh from the (5.2) terms matches central differences (float64, relative error < 1e-6)', () => {
    const batch = batchFromRows([input], [target]);
    const Wh = model.weights.Wh as Float64Array;
    const summed = new Float64Array(G * 4);
    for (const step of derivation.steps) step.dWh.forEach((v, i) => (summed[i] += v));
    for (let i = 0; i < Wh.length; i++) {
      const numeric = numericalDerivative(() => model.forward(batch), Wh, i);
      expect(Math.abs(summed[i] - numeric) / Math.max(1e-8, Math.abs(numeric) + Math.abs(summed[i]))).toBeLessThan(1e-6);
    }
  });
});

describe('derive refuses what it does not walk', () => {
  it('a GRU, or two layers: one line naming the way out', () => {
    const gru = RnnModel.initialized({ cell: 'gru', activation: 'sigmoid', vocabSize: 5, hidden: 4, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' }, 1);
    expect(() => derive(gru, input, target)).toThrow(BpttError);
    expect(() => derive(gru, input, target)).toThrow(/choose cell RNN or LSTM and 1 layer/);
    const stacked = RnnModel.initialized(
      { cell: 'rnn', activation: 'sigmoid', vocabSize: 5, hidden: 4, embed: 0, layers: 2, dtype: 'float64', init: 'scaled' },
      1,
    );
    expect(() => derive(stacked, input, target)).toThrow(/2 layers of rnn/);
  });
});

/**
 * The Trick 2 table (src/model/gradient-flow.ts) against brute force: every
 * ‖∂J(t)/∂h(k)‖ and every ‖γ(k)‖ = ‖Σ_t ∂J(t)/∂h(k)‖ from central differences
 * of J(t) in float64, perturbing h(k) and re-running the sequence step by step
 * with model.step (no backward pass involved).
 */
import { describe, expect, it } from 'vitest';
import { BpttError, gradientFlow, RnnModel, type Cell } from '../../src/index.js';
import { statesPerUnit } from '../../src/model/config.js';

/** J(t) (0-based t) when the state after step k + 1 (0-based k) is `state`, by stepping on to t. */
function lossFrom(model: RnnModel, state: Float64Array, input: number[], target: number[], k: number, t: number): number {
  let h = Float64Array.from(state);
  let next = new Float64Array(h.length);
  const logits = new Float64Array(model.config.vocabSize);
  for (let s = k + 1; s <= t; s++) {
    model.step(Int32Array.of(input[s]), h, next, logits);
    [h, next] = [next, h];
  }
  if (k === t) {
    // No step left: J(t) straight from this state's output, θ = U·h + b2.
    const { U, b2 } = model.weights;
    const H = model.config.hidden;
    const top = (model.config.layers - 1) * statesPerUnit(model.config.cell) * H;
    for (let i = 0; i < logits.length; i++) {
      logits[i] = b2[i];
      for (let j = 0; j < H; j++) logits[i] += U[i * H + j] * h[top + j];
    }
  }
  const max = Math.max(...logits);
  const logSum = Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0)) + max;
  return logSum - logits[target[t]];
}

/** States after each step 1..T (0-based index k = after step k + 1). */
function statesOf(model: RnnModel, input: number[]): Float64Array[] {
  const states: Float64Array[] = [];
  let h = new Float64Array(model.stateSize);
  const logits = new Float64Array(model.config.vocabSize);
  for (const id of input) {
    const next = new Float64Array(h.length);
    model.step(Int32Array.of(id), h, next, logits);
    states.push(next);
    h = next;
  }
  return states;
}

const norm = (v: number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
const relativeError = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(a) + Math.abs(b));

describe.each([
  ['rnn', 'sigmoid', 1],
  ['rnn', 'tanh', 2],
  ['lstm', 'tanh', 1],
  ['lstm', 'tanh', 2],
  ['gru', 'tanh', 1],
  ['gru', 'tanh', 2],
] as const)('gradientFlow, %s (%s), %i layer(s)', (cell: Cell, activation, layers) => {
  const H = 5;
  const model = RnnModel.initialized({ cell, activation, vocabSize: 6, hidden: H, embed: 3, layers, dtype: 'float64', init: 'scaled' }, 7);
  const input = [0, 3, 1, 4, 2, 5];
  const target = [3, 1, 4, 2, 5, 0];
  const T = input.length;
  const flow = gradientFlow(model, input, target);
  const states = statesOf(model, input);
  const top = (layers - 1) * statesPerUnit(cell) * H;
  const epsilon = 1e-5;

  /** ∂J(t)/∂h(k) by central differences on the top layer's h in the state after step k. */
  const numericalGamma = (k: number, t: number) =>
    Array.from({ length: H }, (_, j) => {
      const plus = Float64Array.from(states[k]);
      const minus = Float64Array.from(states[k]);
      plus[top + j] += epsilon;
      minus[top + j] -= epsilon;
      return (lossFrom(model, plus, input, target, k, t) - lossFrom(model, minus, input, target, k, t)) / (2 * epsilon);
    });

  it('every ‖∂J(t)/∂h(k)‖ matches finite differences (1e-6 relative), and is zero for k > t', () => {
    let worst = 0;
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < T; k++) {
        const value = flow.byLossTerm[t * T + k];
        if (k > t) {
          expect(value).toBe(0);
          continue;
        }
        expect(value).toBeGreaterThan(0);
        worst = Math.max(worst, relativeError(value, norm(numericalGamma(k, t))));
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('every ‖γ(k)‖ = ‖Σ_t ∂J(t)/∂h(k)‖ matches finite differences of the whole loss', () => {
    for (let k = 0; k < T; k++) {
      const sum = new Array<number>(H).fill(0);
      for (let t = k; t < T; t++) numericalGamma(k, t).forEach((g, j) => (sum[j] += g));
      expect(relativeError(flow.total[k], norm(sum)), `k = ${k + 1}`).toBeLessThan(1e-6);
    }
  });

  it('reports J(t) of every step', () => {
    for (let t = 0; t < T; t++) expect(flow.losses[t]).toBeCloseTo(lossFrom(model, states[t], input, target, t, t), 12);
  });
});

describe('gradientFlow', () => {
  it("shows vanishing gradients: with the seed's sigmoid, ‖∂J(T)/∂h(k)‖ falls by orders of magnitude over 20 steps", () => {
    const model = RnnModel.initialized(
      { cell: 'rnn', activation: 'sigmoid', vocabSize: 5, hidden: 16, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' },
      3,
    );
    const input = Array.from({ length: 20 }, (_, i) => i % 5);
    const target = input.map((x) => (x + 1) % 5);
    const flow = gradientFlow(model, input, target);
    const T = 20;
    const last = flow.byLossTerm.subarray((T - 1) * T, T * T);
    expect(last[0] / last[T - 1]).toBeLessThan(1e-6);
  });

  it('rejects an empty or mismatched sequence', () => {
    const model = RnnModel.initialized({ cell: 'rnn', activation: 'tanh', vocabSize: 4, hidden: 3, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' }, 1);
    expect(() => gradientFlow(model, [], [])).toThrow(BpttError);
    expect(() => gradientFlow(model, [1, 2], [2])).toThrow(BpttError);
  });
});

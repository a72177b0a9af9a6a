/**
 * Gradient checks of each layer on its own (float64, five-point central
 * differences): the layer's output is projected onto a random upstream
 * gradient G, so the scalar L = Σ G ∘ output has ∂L/∂output = G, and the
 * layer's backward must turn G into the gradients of every input and weight.
 */
import { describe, expect, it } from 'vitest';
import { numericalDerivative, Random, referenceKernels as k } from '../../src/index.js';
import { affineBackward, affineForward } from '../../src/nn/affine.js';
import { embeddingBackward, embeddingForward } from '../../src/nn/embedding.js';
import {
  inputPreactivation,
  packRecurrentBackward,
  packRecurrentForward,
  rnnCellBackwardStep,
  rnnCellForward,
  rnnCellInputGradient,
  rnnCellWeightGradients,
  type CellInput,
} from '../../src/nn/rnn-cell.js';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from '../../src/nn/softmax-cross-entropy.js';

const random = new Random(42);
const randomArray = (n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * random.normal());
const dot = (a: Float64Array, b: Float64Array) => a.reduce((sum, v, i) => sum + v * b[i], 0);

/** Max relative error between analytic and five-point numeric gradients of f w.r.t. every entry of `values`. */
function maxRelativeError(f: () => number, values: Float64Array, analytic: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const numeric = numericalDerivative(f, values, i);
    const magnitude = Math.max(Math.abs(numeric), Math.abs(analytic[i]));
    if (magnitude > 1e-7) worst = Math.max(worst, Math.abs(numeric - analytic[i]) / magnitude);
    else expect(Math.abs(numeric - analytic[i])).toBeLessThan(1e-9);
  }
  return worst;
}

const B = 3;
const H = 5;
const V = 4;
const D = 3;

describe('affine layer (2.1)', () => {
  it('backward gives dU, db2 and dh', () => {
    const h = randomArray(B * H);
    const w = { U: randomArray(V * H), b2: randomArray(V) };
    const upstream = randomArray(B * V);
    const theta = new Float64Array(B * V);
    const loss = () => {
      affineForward(k, theta, h, w, B, H, V);
      return dot(theta, upstream);
    };
    const grads = { U: new Float64Array(V * H), b2: new Float64Array(V) };
    const dh = new Float64Array(B * H);
    affineBackward(k, dh, upstream, h, w, grads, B, H, V);
    expect(maxRelativeError(loss, w.U, grads.U)).toBeLessThan(1e-6);
    expect(maxRelativeError(loss, w.b2, grads.b2)).toBeLessThan(1e-6);
    expect(maxRelativeError(loss, h, dh)).toBeLessThan(1e-6);
  });
});

describe('softmax + cross-entropy (3.1–3.3)', () => {
  it('backward gives (ŷ − y)·mask·scale, and masked rows get nothing', () => {
    const rows = 4;
    const logits = randomArray(rows * V, 2);
    const targets = Int32Array.from([1, 3, 0, 2]);
    const mask = Float32Array.from([1, 1, 0, 1]);
    const scale = 0.25;
    const work = new Float64Array(rows * V);
    const loss = () => {
      work.set(logits);
      return softmaxCrossEntropyForward(k, work, targets, mask, rows, V) * scale;
    };
    loss();
    softmaxCrossEntropyBackward(k, work, targets, mask, scale, rows, V);
    const analytic = Float64Array.from(work);
    expect(maxRelativeError(loss, logits, analytic)).toBeLessThan(1e-6);
    expect(Array.from(analytic.subarray(2 * V, 3 * V))).toEqual([0, 0, 0, 0]);
  });

  it('the loss stays finite for extreme logits', () => {
    const logits = Float64Array.from([1000, -1000, 0, 0]);
    const loss = softmaxCrossEntropyForward(k, logits, Int32Array.from([1]), Float32Array.from([1]), 1, V);
    expect(loss).toBeCloseTo(2000, 6);
  });
});

describe('embedding', () => {
  it('backward scatters dx into the rows of the tokens, summing repeats', () => {
    const E = randomArray(V * D);
    const ids = Int32Array.from([2, 0, 2]);
    const upstream = randomArray(B * D);
    const x = new Float64Array(B * D);
    const loss = () => {
      embeddingForward(k, x, E, ids, B, D);
      return dot(x, upstream);
    };
    const gradE = new Float64Array(V * D);
    embeddingBackward(k, gradE, upstream, ids, B, D);
    expect(maxRelativeError(loss, E, gradE)).toBeLessThan(1e-6);
  });
});

describe.each(['sigmoid', 'tanh', 'relu'] as const)('RNN cell, %s (1.1, 1.2, 5.2, 6.2)', (activation) => {
  it.each(['one-hot', 'dense'] as const)('backward with %s input gives γ(t−1), dWh, dWx, db1 and dx', (kind) => {
    const inputSize = kind === 'one-hot' ? V : D;
    const w = { Wh: randomArray(H * H, 0.5), Wx: randomArray(H * inputSize, 0.5), b1: randomArray(H, 0.5) };
    const hPrev = randomArray(B * H, 0.5);
    const x = randomArray(B * D);
    const ids = Int32Array.from([3, 1, 3]);
    const input: CellInput = kind === 'one-hot' ? { kind, ids } : { kind, x };
    const shape = { rows: B, hidden: H, inputSize, activation, units: H };
    const upstream = randomArray(B * H);
    const h = new Float64Array(B * H);
    const loss = () => {
      const WhPacked = new Float64Array(k.packedSize('float64', H, H));
      packRecurrentForward(k, WhPacked, w.Wh, shape); // inside the loss: the check perturbs Wh
      inputPreactivation(k, h, input, w, shape); // the input half, then the step
      rnnCellForward(k, h, hPrev, WhPacked, shape);
      return dot(h, upstream);
    };
    loss();
    const grads = { Wh: new Float64Array(H * H), Wx: new Float64Array(H * inputSize), b1: new Float64Array(H) };
    const gammaPrev = new Float64Array(B * H);
    const dx = new Float64Array(B * D);
    const dz = new Float64Array(B * H);
    const WhPacked = new Float64Array(k.packedSize('float64', H, H));
    packRecurrentBackward(k, WhPacked, w.Wh, shape);
    rnnCellBackwardStep(k, gammaPrev, dz, upstream, h, WhPacked, shape);
    rnnCellWeightGradients(k, grads, dz, hPrev, input, shape);
    if (kind === 'dense') rnnCellInputGradient(k, dx, dz, w, shape);
    expect(maxRelativeError(loss, w.Wh, grads.Wh)).toBeLessThan(1e-6);
    expect(maxRelativeError(loss, w.Wx, grads.Wx)).toBeLessThan(1e-6);
    expect(maxRelativeError(loss, w.b1, grads.b1)).toBeLessThan(1e-6);
    expect(maxRelativeError(loss, hPrev, gammaPrev)).toBeLessThan(1e-6);
    if (kind === 'dense') expect(maxRelativeError(loss, x, dx)).toBeLessThan(1e-6);
  });
});

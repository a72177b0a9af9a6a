/** The reference kernels against textbook triple loops, on odd sizes. */
import { describe, expect, it } from 'vitest';
import { Random, referenceKernels as k } from '../../src/index.js';
import { expectClose } from '../helpers.js';

const random = new Random(9);
const randomArray = (n: number) => Float64Array.from({ length: n }, () => random.normal());

/** C(M×N) = A(M×K)·B(K×N), with A and B read through index functions. */
function naive(m: number, k: number, n: number, a: (i: number, p: number) => number, b: (p: number, j: number) => number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a(i, p) * b(p, j);
  return c;
}

describe.each([
  [1, 1, 1],
  [3, 5, 7],
  [17, 4, 9],
  [8, 33, 2],
])('matmuls of size m=%i k=%i n=%i', (m, kk, n) => {
  it('A·Bᵀ overwrites, then accumulates', () => {
    const a = randomArray(m * kk);
    const b = randomArray(n * kk);
    const expected = naive(
      m,
      kk,
      n,
      (i, p) => a[i * kk + p],
      (p, j) => b[j * kk + p],
    );
    const out = randomArray(m * n);
    k.matmulABt(out, a, b, m, kk, n, false);
    expectClose('A·Bᵀ', out, expected, 1e-12);
    k.matmulABt(out, a, b, m, kk, n, true);
    expectClose(
      'A·Bᵀ accumulated',
      out,
      expected.map((v) => 2 * v),
      1e-12,
    );
  });

  it('A·B overwrites, then accumulates', () => {
    const a = randomArray(m * kk);
    const b = randomArray(kk * n);
    const expected = naive(
      m,
      kk,
      n,
      (i, p) => a[i * kk + p],
      (p, j) => b[p * n + j],
    );
    const out = randomArray(m * n);
    k.matmulAB(out, a, b, m, kk, n, false);
    expectClose('A·B', out, expected, 1e-12);
    k.matmulAB(out, a, b, m, kk, n, true);
    expectClose(
      'A·B accumulated',
      out,
      expected.map((v) => 2 * v),
      1e-12,
    );
  });

  it('Aᵀ·B accumulates', () => {
    const a = randomArray(kk * m);
    const b = randomArray(kk * n);
    const start = randomArray(m * n);
    const expected = naive(
      m,
      kk,
      n,
      (i, p) => a[p * m + i],
      (p, j) => b[p * n + j],
    ).map((v, i) => v + start[i]);
    const out = Float64Array.from(start);
    k.matmulAtBAccumulate(out, a, b, m, kk, n);
    expectClose('Aᵀ·B', out, expected, 1e-12);
  });
});

describe('elementwise and gather kernels', () => {
  it('one-hot columns: addWeightColumns equals W·onehot, addToWeightColumns is its transpose', () => {
    const H = 3;
    const V = 4;
    const W = randomArray(H * V);
    const ids = Int32Array.from([2, 0, 2]);
    const out = new Float64Array(3 * H);
    k.addWeightColumns(out, W, ids, 3, H, V);
    for (let r = 0; r < 3; r++) for (let i = 0; i < H; i++) expect(out[r * H + i]).toBe(W[i * V + ids[r]]);
    const dz = randomArray(3 * H);
    const grad = new Float64Array(H * V);
    k.addToWeightColumns(grad, dz, ids, 3, H, V);
    for (let i = 0; i < H; i++) {
      expect(grad[i * V + 2]).toBeCloseTo(dz[i] + dz[2 * H + i], 14);
      expect(grad[i * V + 0]).toBe(dz[H + i]);
      expect(grad[i * V + 1]).toBe(0);
    }
  });

  it('activations and their derivatives from the output', () => {
    const z = Float64Array.from([-3, -0.5, 0, 0.5, 3]);
    const s = Float64Array.from(z);
    k.sigmoid(s, 5);
    const t = Float64Array.from(z);
    k.tanh(t, 5);
    const gamma = Float64Array.from([1, 2, 3, 4, 5]);
    const ds = new Float64Array(5);
    const dt = new Float64Array(5);
    k.sigmoidBackward(ds, gamma, s, 5);
    k.tanhBackward(dt, gamma, t, 5);
    z.forEach((v, i) => {
      const sig = 1 / (1 + Math.exp(-v));
      expect(s[i]).toBeCloseTo(sig, 15);
      expect(ds[i]).toBeCloseTo(gamma[i] * sig * (1 - sig), 14);
      expect(dt[i]).toBeCloseTo(gamma[i] / Math.cosh(v) ** 2, 14);
    });
  });

  it('clip limits every entry and counts the clipped ones', () => {
    const values = Float64Array.from([-7, -5, 0, 4.9, 5.1, 100]);
    expect(k.clip(values, values.length, 5)).toBe(3);
    expect(Array.from(values)).toEqual([-5, -5, 0, 4.9, 5, 5]);
  });

  it('float32 arrays work through the same kernels', () => {
    const a = Float32Array.from([1, 2, 3, 4]);
    const out = new Float32Array(4);
    k.matmulABt(out, a, a, 2, 2, 2, false);
    expect(Array.from(out)).toEqual([5, 11, 11, 25]);
  });
});

/**
 * Every kernel backend against the reference kernels, on float32 data of odd
 * sizes (so every SIMD block edge is hit), with arrays both inside the
 * backend's own memory (the model's zero-copy path) and outside it (staged).
 *
 * Tolerances: float32 sums of k products differ by rounding order only, so
 * matrix products must agree to 2e-5 relative to the largest |value| of the
 * result (about 170 float32 ulps); elementwise kernels to 1e-6.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  availableBackends,
  batchFromRows,
  gradcheck,
  gradcheckPasses,
  loadKernels,
  NativeKernels,
  nativeInstructionSets,
  Random,
  referenceKernels as reference,
  RnnModel,
  type Kernels,
} from '../../src/index.js';

const backends = (await availableBackends()).filter((b) => b !== 'reference');
/**
 * What the suite runs: every backend 'auto' could pick, and the native kernels of every other
 * instruction set this CPU runs (native-avx2 and native-portable on an AVX-512 machine).
 */
const subjects: [string, () => Promise<Kernels>][] = [
  ...backends.map((b): [string, () => Promise<Kernels>] => [b, () => loadKernels(b)]),
  ...nativeInstructionSets()
    .slice(1)
    .map((isa): [string, () => Promise<Kernels>] => [`native-${isa}`, async () => NativeKernels.create(isa)]),
];
const random = new Random(21);

function randomFloats(kernels: Kernels | null, n: number, scale = 1): Float32Array {
  const array = kernels ? (kernels.allocate('float32', n) as Float32Array) : new Float32Array(n);
  for (let i = 0; i < n; i++) array[i] = scale * random.normal();
  return array;
}

function expectMatch(name: string, actual: Float32Array, expected: Float32Array, relative: number): void {
  let scale = 1e-30;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / scale, `${name}: max |diff| ${worst} on values up to ${scale}`).toBeLessThanOrEqual(relative);
}

it('every WebAssembly backend runs on this engine (relaxed SIMD via the V8 flag the CLI sets)', () => {
  expect(backends.filter((b) => b.startsWith('wasm-'))).toEqual(['wasm-relaxed', 'wasm-simd', 'wasm-scalar']);
});

describe.each(subjects)('%s', (_name, load) => {
  let kernels: Kernels;
  beforeAll(async () => {
    kernels = await load();
  });

  const sizes = [
    [1, 1, 1],
    [2, 4, 4],
    [3, 5, 7],
    [9, 17, 13],
    [33, 64, 31],
    [64, 129, 40],
  ];
  describe.each([true, false])('arrays in the backend memory: %s', (owned) => {
    it.each(sizes)('matmuls m=%i k=%i n=%i', (m, k, n) => {
      const own = owned ? kernels : null;
      for (const accumulate of [false, true]) {
        const a = randomFloats(own, m * k);
        const bt = randomFloats(own, n * k);
        const b = randomFloats(own, k * n);
        const start = randomFloats(own, m * n);
        const out = own ? (own.allocate('float32', m * n) as Float32Array) : new Float32Array(m * n);
        const expected = Float32Array.from(start);

        out.set(start);
        kernels.matmulABt(out, a, bt, m, k, n, accumulate);
        reference.matmulABt(expected, a, bt, m, k, n, accumulate);
        expectMatch(`A·Bᵀ accumulate=${accumulate}`, out, expected, 2e-5);

        out.set(start);
        expected.set(start);
        kernels.matmulAB(out, a, b, m, k, n, accumulate);
        reference.matmulAB(expected, a, b, m, k, n, accumulate);
        expectMatch(`A·B accumulate=${accumulate}`, out, expected, 2e-5);

        // Packed B, given as B (k×n) or as Bᵀ (n×k): the same products as A·B and A·Bᵀ.
        for (const transposed of [false, true]) {
          const packed = own
            ? (own.allocate('float32', kernels.packedSize('float32', k, n)) as Float32Array)
            : new Float32Array(kernels.packedSize('float32', k, n));
          kernels.pack(packed, transposed ? bt : b, k, n, transposed);
          out.set(start);
          expected.set(start);
          kernels.matmulPacked(out, a, packed, m, k, n, accumulate);
          if (transposed) reference.matmulABt(expected, a, bt, m, k, n, accumulate);
          else reference.matmulAB(expected, a, b, m, k, n, accumulate);
          expectMatch(`A·packed(${transposed ? 'Bᵀ' : 'B'}) accumulate=${accumulate}`, out, expected, 2e-5);
        }
      }
      const aT = randomFloats(own, k * m);
      const b = randomFloats(own, k * n);
      const out = randomFloats(own, m * n);
      const expected = Float32Array.from(out);
      kernels.matmulAtBAccumulate(out, aT, b, m, k, n);
      reference.matmulAtBAccumulate(expected, aT, b, m, k, n);
      expectMatch('Aᵀ·B', out, expected, 2e-5);
    });
  });

  // 7 rows: the direct loops; 41 rows: the one-hot kernels go through a transposed copy of W.
  it.each([7, 41])('gathers, scatters, biases and sums (%i rows)', (rows) => {
    const H = 11;
    const V = 5;
    const ids = Int32Array.from({ length: rows }, (_, r) => [4, 0, 2, 2, 1, 4, 3][r % 7]);
    const W = randomFloats(null, H * V);
    const pairs: [string, (k: Kernels, out: Float32Array) => void, number][] = [
      ['addWeightColumns', (k, out) => k.addWeightColumns(out, W, ids, rows, H, V), rows * H],
      ['addToWeightColumns', (k, out) => k.addToWeightColumns(out, randomCopy.dz, ids, rows, H, V), H * V],
      ['gatherRows', (k, out) => k.gatherRows(out, W, ids, rows, H), rows * H],
      ['scatterAddRows', (k, out) => k.scatterAddRows(out, randomCopy.dz, ids, rows, H), V * H],
      ['addBias', (k, out) => k.addBias(out, randomCopy.bias, rows, H), rows * H],
      ['sumRowsAccumulate', (k, out) => k.sumRowsAccumulate(out, randomCopy.dz, rows, H), H],
      ['add', (k, out) => k.add(out, randomCopy.dz, rows * H), rows * H],
      ['transpose', (k, out) => k.transpose(out, randomCopy.dz, rows, H), rows * H],
    ];
    const randomCopy = { dz: randomFloats(null, rows * H), bias: randomFloats(null, H) };
    for (const [name, run, length] of pairs) {
      const start = randomFloats(null, length);
      const actual = Float32Array.from(start);
      const expected = Float32Array.from(start);
      run(kernels, actual);
      run(reference, expected);
      expectMatch(name, actual, expected, 1e-6);
    }
  });

  it('activations, softmax + cross-entropy, Adagrad and clipping', () => {
    const n = 37;
    for (const [forward, backward] of [
      ['sigmoid', 'sigmoidBackward'],
      ['tanh', 'tanhBackward'],
      ['relu', 'reluBackward'],
    ] as const) {
      const z = randomFloats(null, n, 3);
      const h = Float32Array.from(z);
      const hRef = Float32Array.from(z);
      kernels[forward](h, n);
      reference[forward](hRef, n);
      expectMatch(forward, h, hRef, 1e-6);
      const gamma = randomFloats(null, n);
      const dz = new Float32Array(n);
      const dzRef = new Float32Array(n);
      kernels[backward](dz, gamma, hRef, n);
      reference[backward](dzRef, gamma, hRef, n);
      expectMatch(backward, dz, dzRef, 1e-6);
    }
    // V = 9, 10, 11, 12: a tail of 1, 2, 3 and 0 logits after the vectors; V = 3: no vector at all.
    for (const V of [9, 10, 11, 12, 3, 27]) {
      const rows = 6;
      const logits = randomFloats(null, rows * V, 4);
      const targets = Int32Array.from([0, V - 1, 2, 2, 1, V - 2]);
      const mask = Float32Array.from([1, 1, 0, 1, 1, 0]);
      const probs = Float32Array.from(logits);
      const probsRef = Float32Array.from(logits);
      const loss = kernels.softmaxCrossEntropy(probs, targets, mask, rows, V);
      const lossRef = reference.softmaxCrossEntropy(probsRef, targets, mask, rows, V);
      expect(Math.abs(loss - lossRef), `V ${V}`).toBeLessThan(1e-5 * Math.abs(lossRef));
      expectMatch(`softmax V ${V}`, probs, probsRef, 1e-6);
      kernels.softmaxCrossEntropyBackward(probs, targets, mask, 0.5, rows, V);
      reference.softmaxCrossEntropyBackward(probsRef, targets, mask, 0.5, rows, V);
      expectMatch(`softmax backward V ${V}`, probs, probsRef, 1e-6);
    }

    const params = randomFloats(null, 41);
    const grads = randomFloats(null, 41);
    const memory = randomFloats(null, 41).map(Math.abs);
    const [p1, m1, p2, m2] = [Float32Array.from(params), Float32Array.from(memory), Float32Array.from(params), Float32Array.from(memory)];
    kernels.adagradStep(p1, grads, m1, 0.1, 1e-8, 41);
    reference.adagradStep(p2, grads, m2, 0.1, 1e-8, 41);
    expectMatch('adagrad params', p1, p2, 1e-6);
    expectMatch('adagrad memory', m1, m2, 1e-6);

    // Adam at step 3, with AdamW's shrink factor: first and second moments, then the weights.
    const [q1, f1, s1, q2, f2, s2] = [params, grads, memory, params, grads, memory].map((a) => Float32Array.from(a));
    const adam = [41, 0.9, 0.999, 1e-8, 0.01 / (1 - 0.9 ** 3), Math.sqrt(1 - 0.999 ** 3), 0.999] as const;
    kernels.adamStep(q1, grads, f1, s1, ...adam);
    reference.adamStep(q2, grads, f2, s2, ...adam);
    expectMatch('adam params', q1, q2, 1e-6);
    expectMatch('adam first moment', f1, f2, 1e-6);
    expectMatch('adam second moment', s1, s2, 1e-6);
    expect(Math.abs(kernels.sumOfSquares(params, 41) / reference.sumOfSquares(params, 41) - 1)).toBeLessThan(1e-12);

    // RMSprop with and without momentum.
    for (const momentum of [0, 0.9]) {
      const [r1, a1, b1, r2, a2, b2] = [params, memory, grads, params, memory, grads].map((a) => Float32Array.from(a));
      kernels.rmspropStep(r1, grads, a1, momentum ? b1 : null, 41, 0.01, 0.99, 1e-8, momentum);
      reference.rmspropStep(r2, grads, a2, momentum ? b2 : null, 41, 0.01, 0.99, 1e-8, momentum);
      expectMatch(`rmsprop params (momentum ${momentum})`, r1, r2, 1e-6);
      expectMatch(`rmsprop square average (momentum ${momentum})`, a1, a2, 1e-6);
      expectMatch(`rmsprop momentum buffer (momentum ${momentum})`, b1, b2, 1e-6);
    }

    const values = randomFloats(null, 50, 3);
    const valuesRef = Float32Array.from(values);
    expect(kernels.clip(values, 50, 2)).toBe(reference.clip(valuesRef, 50, 2));
    expect(Array.from(values)).toEqual(Array.from(valuesRef));
  });

  it('the LSTM and GRU gate kernels, forward and backward, and multiply (H = 37: vectors and a tail)', () => {
    const rows = 5;
    const H = 37;
    const n = rows * H;
    const run = (name: string, length: number[], call: (k: Kernels, arrays: Float32Array[]) => void, outputs: number[]) => {
      const inputs = length.map((l) => randomFloats(null, l, 2));
      const mine = inputs.map((a) => Float32Array.from(a));
      const theirs = inputs.map((a) => Float32Array.from(a));
      call(kernels, mine);
      call(reference, theirs);
      for (const o of outputs) expectMatch(`${name} output ${o}`, mine[o], theirs[o], 1e-6);
    };
    // LSTM: gates (4H per row) in, gate values out; c and h out; cPrev in.
    run('lstmGates', [4 * n, n, n, n], (k, [gates, c, h, cPrev]) => k.lstmGates(gates, c, h, cPrev, rows, H), [0, 1, 2]);
    // Backward reads gate values in (0, 1): squash random numbers into that range first.
    run(
      'lstmGatesBackward',
      [4 * n, n, n, 4 * n, n, n],
      (k, [dGates, kappa, gamma, gates, c, cPrev]) => {
        reference.sigmoid(gates, 4 * n);
        k.lstmGatesBackward(dGates, kappa, gamma, gates, c, cPrev, rows, H);
      },
      [0, 1],
    );
    run('gruGates', [3 * n, 3 * n, n, n, n], (k, [gates, p, qn, hPrev, h]) => k.gruGates(gates, p, qn, hPrev, h, rows, H), [0, 2, 4]);
    run(
      'gruGatesBackward',
      [3 * n, 3 * n, n, n, 3 * n, n, n],
      (k, [dq, dp, gammaPrev, gamma, gates, qn, hPrev]) => {
        reference.sigmoid(gates, 3 * n);
        k.gruGatesBackward(dq, dp, gammaPrev, gamma, gates, qn, hPrev, rows, H);
      },
      [0, 1, 2],
    );
    run('multiply', [n, n], (k, [out, a]) => k.multiply(out, a, n), [0]);
  });

  it('activations and clipping at the edges: huge inputs saturate, NaN passes through (divergence stays visible)', () => {
    const edges = [0, -0, 1e-30, -1e-30, 20, -20, 87, -87, 88.5, -88.5, 100, -100, 1e6, -1e6, Infinity, -Infinity, NaN];
    // Long enough that every value also goes through the 4-vector loop, not only the tails.
    const z = Float32Array.from({ length: 4 * edges.length }, (_, i) => edges[i % edges.length]);
    for (const kernel of ['sigmoid', 'tanh', 'relu'] as const) {
      const h = Float32Array.from(z);
      const hRef = Float32Array.from(z);
      kernels[kernel](h, h.length);
      reference[kernel](hRef, hRef.length);
      for (let i = 0; i < z.length; i++) {
        if (Number.isNaN(hRef[i])) expect(h[i], `${kernel}(${z[i]})`).toBeNaN();
        else if (h[i] !== hRef[i]) expect(Math.abs(h[i] - hRef[i]), `${kernel}(${z[i]}) = ${h[i]}, reference ${hRef[i]}`).toBeLessThanOrEqual(1e-6);
      }
    }
    // Σ z² is non-finite here (±Infinity and NaN among the values); without them it matches the reference.
    expect(Number.isFinite(kernels.sumOfSquares(z, z.length))).toBe(false);
    const finite = z.filter(Number.isFinite);
    expect(Math.abs(kernels.sumOfSquares(finite, finite.length) / reference.sumOfSquares(finite, finite.length) - 1)).toBeLessThan(1e-12);
    const values = Float32Array.from(z);
    const clipped = kernels.clip(values, values.length, 5);
    expect(clipped).toBe(reference.clip(Float32Array.from(z), z.length, 5));
    for (let i = 0; i < z.length; i++) {
      if (Number.isNaN(z[i])) expect(values[i]).toBeNaN();
      else expect(values[i]).toBe(Math.max(-5, Math.min(5, z[i])));
    }
  });

  it.each([
    ['rnn', 'sigmoid', 0],
    ['rnn', 'tanh', 6],
    ['lstm', 'tanh', 0],
    ['lstm', 'tanh', 6],
    ['gru', 'tanh', 0],
    ['gru', 'tanh', 6],
  ] as const)('a whole model (%s %s, embed %i): loss and gradients match the reference', async (cell, activation, embed) => {
    const config = { cell, activation, vocabSize: 13, hidden: 37, embed, layers: 1, dtype: 'float32', init: 'scaled' } as const;
    const fast = RnnModel.initialized(config, 5, kernels);
    const slow = RnnModel.initialized(config, 5);
    expect(Array.from(fast.params)).toEqual(Array.from(slow.params));
    const rows = Array.from({ length: 9 }, (_, r) => Array.from({ length: 3 + r }, () => random.integer(13)));
    const batch = batchFromRows(
      rows,
      rows.map((row) => row.map((id) => (id + 1) % 13)),
    );
    const lossFast = fast.forward(batch);
    const lossSlow = slow.forward(batch);
    expect(Math.abs(lossFast - lossSlow) / lossSlow).toBeLessThan(1e-5);
    fast.backward({ scale: 1 / 9, clip: 5 });
    slow.backward({ scale: 1 / 9, clip: 5 });
    for (const name of fast.layout.slots.map((s) => s.name) as (keyof typeof fast.gradients)[]) {
      expectMatch(`grad ${name}`, fast.gradients[name] as Float32Array, slow.gradients[name] as Float32Array, 1e-4);
    }
  });
});

/**
 * float64 on the WebAssembly backends: the same kernels compiled for f64
 * (2 lanes per vector) must agree with the reference to about 1e-12, and a
 * model on them passes the numerical gradient check.
 */
describe.each(subjects)('%s in float64', (_name, load) => {
  let kernels: Kernels;
  beforeAll(async () => {
    kernels = await load();
  });
  const doubles = (own: Kernels | null, n: number) => {
    const array = own ? (own.allocate('float64', n) as Float64Array) : new Float64Array(n);
    for (let i = 0; i < n; i++) array[i] = random.normal();
    return array;
  };
  const worst = (a: Float64Array, b: Float64Array) => a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);

  it.each([
    [3, 5, 7],
    [9, 17, 13],
    [33, 64, 31],
  ])('matmuls m=%i k=%i n=%i', (m, k, n) => {
    for (const own of [kernels, null]) {
      const a = doubles(own, m * k);
      const bt = doubles(own, n * k);
      const b = doubles(own, k * n);
      const out = doubles(own, m * n);
      const expected = Float64Array.from(out);
      kernels.matmulABt(out, a, bt, m, k, n, true);
      reference.matmulABt(expected, a, bt, m, k, n, true);
      expect(worst(out, expected)).toBeLessThan(1e-12);
      kernels.matmulAB(out, a, b, m, k, n, false);
      reference.matmulAB(expected, a, b, m, k, n, false);
      expect(worst(out, expected)).toBeLessThan(1e-12);
      const packed = own
        ? (own.allocate('float64', kernels.packedSize('float64', k, n)) as Float64Array)
        : new Float64Array(kernels.packedSize('float64', k, n));
      kernels.pack(packed, bt, k, n, true);
      kernels.matmulPacked(out, a, packed, m, k, n, true);
      reference.matmulABt(expected, a, bt, m, k, n, true);
      expect(worst(out, expected)).toBeLessThan(1e-12);
      const aT = doubles(own, k * m);
      kernels.matmulAtBAccumulate(out, aT, b, m, k, n);
      reference.matmulAtBAccumulate(expected, aT, b, m, k, n);
      expect(worst(out, expected)).toBeLessThan(1e-12);
    }
  });

  it.each([
    ['sigmoid', 0],
    ['tanh', 5],
  ] as const)('a whole %s model (embed %i): loss and gradients match the reference to 1e-12, and pass the gradient check', (activation, embed) => {
    const config = { cell: 'rnn', activation, vocabSize: 7, hidden: 9, embed, layers: 1, dtype: 'float64', init: 'scaled' } as const;
    const fast = RnnModel.initialized(config, 4, kernels);
    const slow = RnnModel.initialized(config, 4);
    const batch = batchFromRows([[1, 2, 3, 4, 5, 6], [0, 3, 2], [4], []], [[2, 3, 4, 5, 6, 0], [3, 2, 1], [0], []], 6);
    expect(Math.abs(fast.forward(batch) - slow.forward(batch))).toBeLessThan(1e-12);
    fast.backward({ scale: 0.25, clip: Infinity });
    slow.backward({ scale: 0.25, clip: Infinity });
    expect(worst(fast.grads as Float64Array, slow.grads as Float64Array)).toBeLessThan(1e-12);
    expect(gradcheckPasses(gradcheck(fast, batch, { scale: 0.25 }))).toBe(true);
  });
});

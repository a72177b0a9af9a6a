/**
 * bptt's fast kernels, in AssemblyScript, compiled to WebAssembly.
 *
 * The same source builds three modules (see scripts/build-wasm.mjs):
 *   scalar   plain f32 loops                       (any engine)
 *   simd     f32x4: four floats per instruction    (ASC_FEATURE_SIMD)
 *   relaxed  f32x4 with fused multiply-add         (ASC_FEATURE_RELAXED_SIMD)
 * The feature constants are known at compile time, so each module contains
 * only its own branch.
 *
 * Every function works on float32 matrices stored row-major in the module's
 * (imported, shared) memory; arguments are byte addresses and dimensions.
 * They compute exactly what src/kernels/reference.ts computes (the readable
 * oracle), up to float rounding; test/kernels/conformance.test.ts checks it.
 */

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** acc + a·b on four lanes: one fused instruction when relaxed SIMD is on. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** The sum of the four lanes. */
// @ts-ignore: decorator
@inline function lanesSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Scalar dot product of k floats at a and b, starting at element `from`. */
// @ts-ignore: decorator
@inline function dotTail(a: usize, b: usize, from: i32, k: i32): f32 {
  let sum: f32 = 0;
  for (let i = from; i < k; i++) sum += load<f32>(at(a, i)) * load<f32>(at(b, i));
  return sum;
}

// ---------------------------------------------------------------------------
// out(M×N) (+)= A(M×K) · B(N×K)ᵀ: rows of A dotted with rows of B
// ---------------------------------------------------------------------------

export function matmulABt(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  if (ASC_FEATURE_SIMD) {
    const k4 = k & ~3;
    let row = 0;
    // Two rows of A against four rows of B at a time: 8 dot products share 6 loads per 4 columns of k.
    for (; row + 2 <= m; row += 2) {
      const a0 = at(a, row * k);
      const a1 = at(a0, k);
      let col = 0;
      for (; col + 4 <= n; col += 4) {
        const b0 = at(b, col * k);
        const b1 = at(b0, k);
        const b2 = at(b1, k);
        const b3 = at(b2, k);
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
        let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
        for (let i = 0; i < k4; i += 4) {
          const x0 = v128.load(at(a0, i));
          const x1 = v128.load(at(a1, i));
          const y0 = v128.load(at(b0, i));
          const y1 = v128.load(at(b1, i));
          const y2 = v128.load(at(b2, i));
          const y3 = v128.load(at(b3, i));
          s00 = madd(x0, y0, s00); s01 = madd(x0, y1, s01); s02 = madd(x0, y2, s02); s03 = madd(x0, y3, s03);
          s10 = madd(x1, y0, s10); s11 = madd(x1, y1, s11); s12 = madd(x1, y2, s12); s13 = madd(x1, y3, s13);
        }
        const o0 = at(out, row * n + col);
        const o1 = at(o0, n);
        let r00 = lanesSum(s00) + dotTail(a0, b0, k4, k), r01 = lanesSum(s01) + dotTail(a0, b1, k4, k);
        let r02 = lanesSum(s02) + dotTail(a0, b2, k4, k), r03 = lanesSum(s03) + dotTail(a0, b3, k4, k);
        let r10 = lanesSum(s10) + dotTail(a1, b0, k4, k), r11 = lanesSum(s11) + dotTail(a1, b1, k4, k);
        let r12 = lanesSum(s12) + dotTail(a1, b2, k4, k), r13 = lanesSum(s13) + dotTail(a1, b3, k4, k);
        if (accumulate) {
          r00 += load<f32>(o0); r01 += load<f32>(o0, 4); r02 += load<f32>(o0, 8); r03 += load<f32>(o0, 12);
          r10 += load<f32>(o1); r11 += load<f32>(o1, 4); r12 += load<f32>(o1, 8); r13 += load<f32>(o1, 12);
        }
        store<f32>(o0, r00); store<f32>(o0, r01, 4); store<f32>(o0, r02, 8); store<f32>(o0, r03, 12);
        store<f32>(o1, r10); store<f32>(o1, r11, 4); store<f32>(o1, r12, 8); store<f32>(o1, r13, 12);
      }
      for (; col < n; col++) {
        dotRowCol(out, a0, b, row, col, k, k4, n, accumulate);
        dotRowCol(out, a1, b, row + 1, col, k, k4, n, accumulate);
      }
    }
    for (; row < m; row++) {
      const a0 = at(a, row * k);
      for (let col = 0; col < n; col++) dotRowCol(out, a0, b, row, col, k, k4, n, accumulate);
    }
  } else {
    for (let row = 0; row < m; row++) {
      for (let col = 0; col < n; col++) {
        let sum = dotTail(at(a, row * k), at(b, col * k), 0, k);
        const o = at(out, row * n + col);
        if (accumulate) sum += load<f32>(o);
        store<f32>(o, sum);
      }
    }
  }
}

/** One output of matmulABt with SIMD over k (for the edges of the 2×4 blocks). */
// @ts-ignore: decorator
@inline function dotRowCol(out: usize, aRow: usize, b: usize, row: i32, col: i32, k: i32, k4: i32, n: i32, accumulate: bool): void {
  const bRow = at(b, col * k);
  let s = f32x4.splat(0);
  for (let i = 0; i < k4; i += 4) s = madd(v128.load(at(aRow, i)), v128.load(at(bRow, i)), s);
  let sum = lanesSum(s) + dotTail(aRow, bRow, k4, k);
  const o = at(out, row * n + col);
  if (accumulate) sum += load<f32>(o);
  store<f32>(o, sum);
}

// ---------------------------------------------------------------------------
// out(M×N) (+)= A(M×K) · B(K×N): each output row is a sum of rows of B
// ---------------------------------------------------------------------------

export function matmulAB(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  if (!accumulate) memory.fill(out, 0, <usize>(m * n) << 2);
  if (ASC_FEATURE_SIMD) {
    const n8 = n & ~7;
    let row = 0;
    // Four rows × eight columns of out stay in eight registers while k runs.
    for (; row + 4 <= m; row += 4) {
      const a0 = at(a, row * k);
      const a1 = at(a0, k);
      const a2 = at(a1, k);
      const a3 = at(a2, k);
      const o0 = at(out, row * n);
      const o1 = at(o0, n);
      const o2 = at(o1, n);
      const o3 = at(o2, n);
      for (let col = 0; col < n8; col += 8) {
        let c00 = v128.load(at(o0, col)), c01 = v128.load(at(o0, col + 4));
        let c10 = v128.load(at(o1, col)), c11 = v128.load(at(o1, col + 4));
        let c20 = v128.load(at(o2, col)), c21 = v128.load(at(o2, col + 4));
        let c30 = v128.load(at(o3, col)), c31 = v128.load(at(o3, col + 4));
        for (let i = 0; i < k; i++) {
          const bRow = at(b, i * n + col);
          const y0 = v128.load(bRow);
          const y1 = v128.load(bRow, 16);
          let x = f32x4.splat(load<f32>(at(a0, i)));
          c00 = madd(x, y0, c00); c01 = madd(x, y1, c01);
          x = f32x4.splat(load<f32>(at(a1, i)));
          c10 = madd(x, y0, c10); c11 = madd(x, y1, c11);
          x = f32x4.splat(load<f32>(at(a2, i)));
          c20 = madd(x, y0, c20); c21 = madd(x, y1, c21);
          x = f32x4.splat(load<f32>(at(a3, i)));
          c30 = madd(x, y0, c30); c31 = madd(x, y1, c31);
        }
        v128.store(at(o0, col), c00); v128.store(at(o0, col + 4), c01);
        v128.store(at(o1, col), c10); v128.store(at(o1, col + 4), c11);
        v128.store(at(o2, col), c20); v128.store(at(o2, col + 4), c21);
        v128.store(at(o3, col), c30); v128.store(at(o3, col + 4), c31);
      }
      for (let r = 0; r < 4; r++) axpyColumns(out, a, b, row + r, k, n, n8);
    }
    for (; row < m; row++) {
      const aRow = at(a, row * k);
      const oRow = at(out, row * n);
      for (let col = 0; col < n8; col += 8) {
        let c0 = v128.load(at(oRow, col)), c1 = v128.load(at(oRow, col + 4));
        for (let i = 0; i < k; i++) {
          const x = f32x4.splat(load<f32>(at(aRow, i)));
          const bRow = at(b, i * n + col);
          c0 = madd(x, v128.load(bRow), c0);
          c1 = madd(x, v128.load(bRow, 16), c1);
        }
        v128.store(at(oRow, col), c0); v128.store(at(oRow, col + 4), c1);
      }
      axpyColumns(out, a, b, row, k, n, n8);
    }
  } else {
    for (let row = 0; row < m; row++) axpyColumns(out, a, b, row, k, n, 0);
  }
}

/** out[row, from..n) += Σ_i A[row, i] · B[i, from..n), scalar. */
function axpyColumns(out: usize, a: usize, b: usize, row: i32, k: i32, n: i32, from: i32): void {
  if (from >= n) return;
  const aRow = at(a, row * k);
  const oRow = at(out, row * n);
  for (let i = 0; i < k; i++) {
    const x = load<f32>(at(aRow, i));
    if (x == 0) continue;
    const bRow = at(b, i * n);
    for (let col = from; col < n; col++) store<f32>(at(oRow, col), load<f32>(at(oRow, col)) + x * load<f32>(at(bRow, col)));
  }
}

// ---------------------------------------------------------------------------
// out(M×N) += A(K×M)ᵀ · B(K×N): a sum over the K rows of A and B
// ---------------------------------------------------------------------------

/** Rows of A and B taken at a time: the slice of B read again for every block of out stays in cache. */
const K_BLOCK = 128;

/**
 * Slice by slice of K_BLOCK rows: transpose the slices of A and B into
 * scratch, so that out += Aᵀ·B becomes out += (Aᵀ)·((Bᵀ)ᵀ), the row-by-row
 * dot products of the A·Bᵀ kernel (the fastest one), over K_BLOCK columns.
 * scratch holds (M + N)·K_BLOCK floats.
 */
export function matmulAtBAccumulate(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  const aT = scratch;
  const bT = at(scratch, m * K_BLOCK);
  for (let start = 0; start < k; start += K_BLOCK) {
    const rows = min(K_BLOCK, k - start);
    transpose(aT, at(a, start * m), rows, m);
    transpose(bT, at(b, start * n), rows, n);
    matmulABt(out, aT, bT, m, rows, n, true);
  }
}

/** Floats of scratch space matmulAtBAccumulate needs for A with M columns and B with N. */
export function atbScratchFloats(m: i32, n: i32): i32 {
  return (m + n) * K_BLOCK;
}

// ---------------------------------------------------------------------------
// Biases, one-hot input, embeddings
// ---------------------------------------------------------------------------

export function addBias(out: usize, bias: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) add(at(out, row * cols), bias, cols);
}

export function sumRowsAccumulate(sums: usize, a: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) add(sums, at(a, row * cols), cols);
}

export function addWeightColumns(out: usize, weight: usize, ids: usize, rows: i32, hidden: i32, vocab: i32): void {
  for (let row = 0; row < rows; row++) {
    const id = load<i32>(at(ids, row));
    const o = at(out, row * hidden);
    for (let i = 0; i < hidden; i++) store<f32>(at(o, i), load<f32>(at(o, i)) + load<f32>(at(weight, i * vocab + id)));
  }
}

export function addToWeightColumns(gradWeight: usize, dz: usize, ids: usize, rows: i32, hidden: i32, vocab: i32): void {
  for (let row = 0; row < rows; row++) {
    const id = load<i32>(at(ids, row));
    const d = at(dz, row * hidden);
    for (let i = 0; i < hidden; i++) {
      const g = at(gradWeight, i * vocab + id);
      store<f32>(g, load<f32>(g) + load<f32>(at(d, i)));
    }
  }
}

export function gatherRows(out: usize, table: usize, ids: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) memory.copy(at(out, row * cols), at(table, load<i32>(at(ids, row)) * cols), <usize>cols << 2);
}

export function scatterAddRows(gradTable: usize, grad: usize, ids: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) {
    const to = at(gradTable, load<i32>(at(ids, row)) * cols);
    const from = at(grad, row * cols);
    for (let col = 0; col < cols; col++) store<f32>(at(to, col), load<f32>(at(to, col)) + load<f32>(at(from, col)));
  }
}

// ---------------------------------------------------------------------------
// Activations (Eq. 1.2) and their derivatives from the output
// ---------------------------------------------------------------------------

/**
 * e^x on four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by the Cephes
 * polynomial (about 1 ulp in float32), and 2^n built in the exponent bits.
 */
// @ts-ignore: decorator
@inline function expLanes(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/** σ(x) = 1 / (1 + e^(−x)) on four lanes. */
// @ts-ignore: decorator
@inline function sigmoidLanes(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expLanes(f32x4.neg(x))));
}

export function sigmoid(values: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= length; i += 4) v128.store(at(values, i), sigmoidLanes(v128.load(at(values, i))));
  }
  for (; i < length; i++) {
    const p = at(values, i);
    store<f32>(p, <f32>1 / (<f32>1 + Mathf.exp(-load<f32>(p))));
  }
}

export function tanh(values: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // tanh(x) = 2σ(2x) − 1
    const two = f32x4.splat(2);
    for (; i + 4 <= length; i += 4) {
      const p = at(values, i);
      v128.store(p, f32x4.sub(f32x4.mul(two, sigmoidLanes(f32x4.mul(two, v128.load(p)))), f32x4.splat(1)));
    }
  }
  for (; i < length; i++) {
    const p = at(values, i);
    store<f32>(p, Mathf.tanh(load<f32>(p)));
  }
}

export function sigmoidBackward(dz: usize, gamma: usize, h: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= length; i += 4) {
      const y = v128.load(at(h, i));
      v128.store(at(dz, i), f32x4.mul(v128.load(at(gamma, i)), f32x4.mul(y, f32x4.sub(one, y))));
    }
  }
  for (; i < length; i++) {
    const y = load<f32>(at(h, i));
    store<f32>(at(dz, i), load<f32>(at(gamma, i)) * y * (<f32>1 - y));
  }
}

export function tanhBackward(dz: usize, gamma: usize, h: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= length; i += 4) {
      const y = v128.load(at(h, i));
      v128.store(at(dz, i), f32x4.mul(v128.load(at(gamma, i)), f32x4.sub(one, f32x4.mul(y, y))));
    }
  }
  for (; i < length; i++) {
    const y = load<f32>(at(h, i));
    store<f32>(at(dz, i), load<f32>(at(gamma, i)) * (<f32>1 - y * y));
  }
}

// ---------------------------------------------------------------------------
// Softmax + cross-entropy (Eq. 3.1–3.2), masked
// ---------------------------------------------------------------------------

export function softmaxCrossEntropy(logits: usize, targets: usize, mask: usize, rows: i32, vocab: i32): f64 {
  let loss: f64 = 0;
  for (let row = 0; row < rows; row++) {
    const l = at(logits, row * vocab);
    let max = load<f32>(l);
    for (let j = 1; j < vocab; j++) max = Mathf.max(max, load<f32>(at(l, j)));
    const targetLogit = load<f32>(at(l, load<i32>(at(targets, row))));
    let sum: f32 = 0;
    for (let j = 0; j < vocab; j++) {
      const e = Mathf.exp(load<f32>(at(l, j)) - max);
      store<f32>(at(l, j), e);
      sum += e;
    }
    const inverse = <f32>1 / sum;
    for (let j = 0; j < vocab; j++) store<f32>(at(l, j), load<f32>(at(l, j)) * inverse);
    const weight = load<f32>(at(mask, row));
    if (weight != 0) loss += <f64>weight * (Math.log(<f64>sum) - <f64>(targetLogit - max));
  }
  return loss;
}

export function softmaxCrossEntropyBackward(probs: usize, targets: usize, mask: usize, scale: f32, rows: i32, vocab: i32): void {
  for (let row = 0; row < rows; row++) {
    const p = at(probs, row * vocab);
    const weight = load<f32>(at(mask, row)) * scale;
    if (weight == 0) {
      memory.fill(p, 0, <usize>vocab << 2); // padding: exactly zero, whatever the probabilities were
      continue;
    }
    for (let j = 0; j < vocab; j++) store<f32>(at(p, j), load<f32>(at(p, j)) * weight);
    const t = at(p, load<i32>(at(targets, row)));
    store<f32>(t, load<f32>(t) - weight);
  }
}

// ---------------------------------------------------------------------------
// Clipping and sums
// ---------------------------------------------------------------------------

export function clip(values: usize, length: i32, limit: f32): i32 {
  let clipped = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const high = f32x4.splat(limit);
    const low = f32x4.splat(-limit);
    let count = i32x4.splat(0);
    for (; i + 4 <= length; i += 4) {
      const p = at(values, i);
      const v = v128.load(p);
      // Each comparison lane is −1 where it holds: subtracting counts the clipped entries.
      count = i32x4.sub(count, v128.or(f32x4.gt(v, high), f32x4.lt(v, low)));
      v128.store(p, f32x4.min(f32x4.max(v, low), high));
    }
    clipped = i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1) + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3);
  }
  for (; i < length; i++) {
    const p = at(values, i);
    const v = load<f32>(p);
    if (v > limit) {
      store<f32>(p, limit);
      clipped++;
    } else if (v < -limit) {
      store<f32>(p, -limit);
      clipped++;
    }
  }
  return clipped;
}

export function add(out: usize, a: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= length; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(out, i)), v128.load(at(a, i))));
  }
  for (; i < length; i++) store<f32>(at(out, i), load<f32>(at(out, i)) + load<f32>(at(a, i)));
}

/** Adagrad: memory += g²; params −= lr · g / √(memory + epsilon), four entries at a time. */
export function adagradStep(params: usize, grads: usize, memory: usize, learningRate: f32, epsilon: f32, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lr = f32x4.splat(learningRate);
    const eps = f32x4.splat(epsilon);
    for (; i + 4 <= length; i += 4) {
      const g = v128.load(at(grads, i));
      const m = madd(g, g, v128.load(at(memory, i)));
      v128.store(at(memory, i), m);
      const p = at(params, i);
      v128.store(p, f32x4.sub(v128.load(p), f32x4.div(f32x4.mul(lr, g), f32x4.sqrt(f32x4.add(m, eps)))));
    }
  }
  for (; i < length; i++) {
    const g = load<f32>(at(grads, i));
    const m = load<f32>(at(memory, i)) + g * g;
    store<f32>(at(memory, i), m);
    const p = at(params, i);
    store<f32>(p, load<f32>(p) - (learningRate * g) / Mathf.sqrt(m + epsilon));
  }
}

/** out(C×R) = A(R×C)ᵀ. */
export function transpose(out: usize, a: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) {
    const aRow = at(a, row * cols);
    for (let col = 0; col < cols; col++) store<f32>(at(out, col * rows + row), load<f32>(at(aRow, col)));
  }
}

/** The first byte after the module's static data (math tables): the host allocates above it. */
export function heapBase(): usize {
  return __heap_base;
}

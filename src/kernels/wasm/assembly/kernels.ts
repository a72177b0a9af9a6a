/**
 * bptt's fast kernels, in AssemblyScript, compiled to WebAssembly.
 *
 * The same source builds three modules (see scripts/build-wasm.mjs):
 *   scalar   plain loops                                  (any engine)
 *   simd     128-bit vectors: 4 f32 or 2 f64 per instruction (ASC_FEATURE_SIMD)
 *   relaxed  the same with fused multiply-add             (ASC_FEATURE_RELAXED_SIMD)
 * The feature constants are known at compile time, so each module contains
 * only its own branch.
 *
 * Every kernel is generic over the float type T (f32 for fast training, f64
 * for the seed's exact float64 runs) and exported once per type at the end of
 * this file (name_f32, name_f64). Matrices are row-major in the module's
 * (imported, shared) memory; arguments are byte addresses and dimensions.
 * They compute what src/kernels/reference.ts computes (the readable oracle),
 * up to float rounding; test/kernels/conformance.test.ts checks it.
 */

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Address of element `index` of an array of T at `base`. */
// @ts-ignore: decorator
@inline function at<T>(base: usize, index: i32): usize {
  return base + (<usize>index << alignof<T>());
}

/** Elements of T in one v128. */
// @ts-ignore: decorator
@inline function lanes<T>(): i32 {
  return 16 / sizeof<T>();
}

/** acc + a·b on every lane: one fused instruction when relaxed SIMD is on. */
// @ts-ignore: decorator
@inline function madd<T>(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, acc);
  return v128.add<T>(acc, v128.mul<T>(a, b));
}

/** The sum of the lanes. */
// @ts-ignore: decorator
@inline function lanesSum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return <T>(f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
  return <T>(f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1));
}

/** Scalar dot product of a[from..k) and b[from..k). */
// @ts-ignore: decorator
@inline function dotTail<T>(a: usize, b: usize, from: i32, k: i32): T {
  let sum: T = 0;
  for (let i = from; i < k; i++) sum += load<T>(at<T>(a, i)) * load<T>(at<T>(b, i));
  return sum;
}

// ---------------------------------------------------------------------------
// Matrix products (SIMD): one packed micro-kernel serves all three
// ---------------------------------------------------------------------------
//
// Every product is computed as out(M×N) (+)= A(M×K) · B(K×N) with A row-major
// and B first *packed*: cut into panels of panelWidth() columns (four vectors:
// 16 f32 or 8 f64), each panel stored row after row, contiguously (K × width),
// and zero-padded past N. The micro-kernel (panelBlock) keeps a 2-row × width
// block of out in eight vector registers (V8 gives WebAssembly 15: more
// accumulators spill) and, for each k, broadcasts A[row, k] and multiplies one
// panel row: 8 multiply-adds per 6 loads, all of them sequential in memory.
// multiplyPacked walks A in blocks of rows that stay in L2 with their outputs.
//
// Why pack: the rows of a 256-column matrix are 1 KB apart, so a column panel
// read in place maps onto a few sets of the 8-way L1 cache and evicts itself;
// packed, a panel (K×64 bytes) streams from L1. Packing costs O(K·N), the
// product O(M·K·N).
//
//   A·B    packs B as it is;
//   A·Bᵀ   packs Bᵀ from B (a transposing pack);
//   Aᵀ·B   (K = all positions of a batch) goes in slices of K_BLOCK rows:
//          transpose the slice of A, pack the slice of B, accumulate.

/** Columns of B per packed panel: four vectors. */
// @ts-ignore: decorator
@inline function panelWidth<T>(): i32 {
  return 4 * lanes<T>();
}

/** Elements of a packed K×N matrix: whole panels. */
// @ts-ignore: decorator
@inline function packedElements<T>(k: i32, n: i32): i32 {
  const width = panelWidth<T>();
  return ((n + width - 1) / width) * width * k;
}

/**
 * Packs B (K×N, row-major) into panels, reading B row after row: sequential reads keep the
 * hardware prefetcher ahead when B comes from L3 (a slice of a batch's states), where walking
 * down one panel at a time would wait on a new row, 1 KB further on, for every 64 bytes.
 */
function packPanels<T>(packed: usize, b: usize, k: i32, n: i32): void {
  const width = panelWidth<T>();
  const fullPanels = n / width;
  const panelBytes = <usize>(k * width) << alignof<T>();
  for (let p = 0; p < k; p++) {
    const from = at<T>(b, p * n);
    let to = at<T>(packed, p * width);
    for (let panel = 0; panel < fullPanels; panel++) {
      const source = from + (<usize>panel << 6);
      v128.store(to, v128.load(source));
      v128.store(to, v128.load(source, 16), 16);
      v128.store(to, v128.load(source, 32), 32);
      v128.store(to, v128.load(source, 48), 48);
      to += panelBytes;
    }
    const cols = n - fullPanels * width; // a last, partial panel, zero-padded
    if (cols > 0) for (let c = 0; c < width; c++) store<T>(at<T>(to, c), c < cols ? load<T>(at<T>(from, fullPanels * width + c)) : <T>0);
  }
}

/** Packs B = Cᵀ given C (N×K, row-major): panel row p holds C[col.., p]. */
function packPanelsTransposed<T>(packed: usize, c: usize, k: i32, n: i32): void {
  const width = panelWidth<T>();
  for (let col = 0; col < n; col += width) {
    const cols = min(width, n - col);
    const panel = at<T>(packed, col * k);
    transposeStrided<T>(panel, width, at<T>(c, col * k), k, cols, k);
    for (let p = 0; p < k; p++) for (let j = cols; j < width; j++) store<T>(at<T>(panel, p * width + j), <T>0);
  }
}

/**
 * out rows [row, row + rows) × panel columns (rows is 1 or 2) (+)= A rows · panel,
 * storing only the panel's first `cols` columns (the rest is padding).
 */
// @ts-ignore: decorator
@inline function panelBlock<T>(out: usize, n: i32, a: usize, aStride: i32, k: i32, panel: usize, rows: i32, cols: i32, accumulate: bool, spill: usize): void {
  const width = panelWidth<T>();
  const a0 = a;
  const a1 = rows == 2 ? at<T>(a, aStride) : a; // one row: the second row's work repeats the first, never stored
  const o0 = out;
  const o1 = at<T>(out, n);
  const full = cols == width;
  let c00 = v128.splat<T>(0), c01 = v128.splat<T>(0), c02 = v128.splat<T>(0), c03 = v128.splat<T>(0);
  let c10 = v128.splat<T>(0), c11 = v128.splat<T>(0), c12 = v128.splat<T>(0), c13 = v128.splat<T>(0);
  let y = panel;
  for (let p = 0; p < k; p++) {
    const x0 = v128.load_splat<T>(at<T>(a0, p));
    const x1 = v128.load_splat<T>(at<T>(a1, p));
    let b = v128.load(y);
    c00 = madd<T>(x0, b, c00); c10 = madd<T>(x1, b, c10);
    b = v128.load(y, 16);
    c01 = madd<T>(x0, b, c01); c11 = madd<T>(x1, b, c11);
    b = v128.load(y, 32);
    c02 = madd<T>(x0, b, c02); c12 = madd<T>(x1, b, c12);
    b = v128.load(y, 48);
    c03 = madd<T>(x0, b, c03); c13 = madd<T>(x1, b, c13);
    y += 64;
  }
  if (full) {
    if (accumulate) {
      c00 = v128.add<T>(c00, v128.load(o0)); c01 = v128.add<T>(c01, v128.load(o0, 16)); c02 = v128.add<T>(c02, v128.load(o0, 32)); c03 = v128.add<T>(c03, v128.load(o0, 48));
    }
    v128.store(o0, c00); v128.store(o0, c01, 16); v128.store(o0, c02, 32); v128.store(o0, c03, 48);
    if (rows == 2) {
      if (accumulate) {
        c10 = v128.add<T>(c10, v128.load(o1)); c11 = v128.add<T>(c11, v128.load(o1, 16)); c12 = v128.add<T>(c12, v128.load(o1, 32)); c13 = v128.add<T>(c13, v128.load(o1, 48));
      }
      v128.store(o1, c10); v128.store(o1, c11, 16); v128.store(o1, c12, 32); v128.store(o1, c13, 48);
    }
  } else {
    // A last, partial panel: through a small buffer, then only the real columns.
    v128.store(spill, c00); v128.store(spill, c01, 16); v128.store(spill, c02, 32); v128.store(spill, c03, 48);
    v128.store(spill, c10, 64); v128.store(spill, c11, 80); v128.store(spill, c12, 96); v128.store(spill, c13, 112);
    for (let r = 0; r < rows; r++) {
      const o = at<T>(out, r * n);
      for (let c = 0; c < cols; c++) {
        let v = load<T>(at<T>(spill, r * width + c));
        if (accumulate) v += load<T>(at<T>(o, c));
        store<T>(at<T>(o, c), v);
      }
    }
  }
}

/**
 * out(M×N) (+)= A(M×K) · B, with B packed (packPanels): in blocks of rows of A small enough to
 * stay in L2 with their rows of out (A and out of a 512-row batch would not), panel after panel,
 * two rows at a time.
 */
function multiplyPacked<T>(out: usize, a: usize, aStride: i32, packed: usize, m: i32, k: i32, n: i32, accumulate: bool, spill: usize): void {
  const width = panelWidth<T>();
  const blockRows = max(2, (ROW_BLOCK_BYTES >> alignof<T>()) / max(k, n)) & ~1;
  for (let first = 0; first < m; first += blockRows) {
    const last = min(m, first + blockRows);
    for (let col = 0; col < n; col += width) {
      const cols = min(width, n - col);
      const panel = at<T>(packed, col * k);
      let row = first;
      for (; row + 2 <= last; row += 2) panelBlock<T>(at<T>(out, row * n + col), n, at<T>(a, row * aStride), aStride, k, panel, 2, cols, accumulate, spill);
      if (row < last) panelBlock<T>(at<T>(out, row * n + col), n, at<T>(a, row * aStride), aStride, k, panel, 1, cols, accumulate, spill);
    }
  }
}

/** Bytes of A's rows (and as many of out's) per block of multiplyPacked. */
const ROW_BLOCK_BYTES = 64 * 1024;

/** Scratch space the products need: a packed B (and for Aᵀ·B a slice of Aᵀ), plus the spill buffer. */
function matmulScratch<T>(m: i32, k: i32, n: i32): i32 {
  const slice = min(k, K_BLOCK);
  return max(packedElements<T>(k, n), packedElements<T>(slice, n) + m * (slice + transposePadding<T>())) + 2 * panelWidth<T>();
}

/** Rows of A and B per slice of Aᵀ·B: the packed slice of B stays in L2, a panel of it in L1. */
const K_BLOCK = 256;

/** B (or, transposed, Bᵀ given as N×K) packed once for many products (the recurrent weights). */
function pack<T>(packed: usize, b: usize, k: i32, n: i32, transposed: bool): void {
  if (!ASC_FEATURE_SIMD) {
    // Without SIMD the products read B as plain row-major K×N.
    if (transposed) transpose<T>(packed, b, n, k);
    else memory.copy(packed, b, <usize>(k * n) << alignof<T>());
    return;
  }
  if (transposed) packPanelsTransposed<T>(packed, b, k, n);
  else packPanels<T>(packed, b, k, n);
}

/** out(M×N) (+)= A(M×K) · B, B as pack() left it; `spill` holds two rows of a panel. */
function matmulPacked<T>(out: usize, a: usize, packed: usize, m: i32, k: i32, n: i32, accumulate: bool, spill: usize): void {
  if (ASC_FEATURE_SIMD) multiplyPacked<T>(out, a, k, packed, m, k, n, accumulate, spill);
  else matmulAB<T>(out, a, packed, m, k, n, accumulate, spill);
}

// ---------------------------------------------------------------------------
// out(M×N) (+)= A(M×K) · B(N×K)ᵀ: rows of A dotted with rows of B
// ---------------------------------------------------------------------------

function matmulABt<T>(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void {
  if (ASC_FEATURE_SIMD) {
    packPanelsTransposed<T>(scratch, b, k, n);
    multiplyPacked<T>(out, a, k, scratch, m, k, n, accumulate, at<T>(scratch, packedElements<T>(k, n)));
    return;
  }
  for (let row = 0; row < m; row++) {
    for (let col = 0; col < n; col++) {
      let sum = dotTail<T>(at<T>(a, row * k), at<T>(b, col * k), 0, k);
      const o = at<T>(out, row * n + col);
      if (accumulate) sum += load<T>(o);
      store<T>(o, sum);
    }
  }
}

// ---------------------------------------------------------------------------
// out(M×N) (+)= A(M×K) · B(K×N): each output row is a sum of rows of B
// ---------------------------------------------------------------------------

function matmulAB<T>(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void {
  if (ASC_FEATURE_SIMD) {
    packPanels<T>(scratch, b, k, n);
    multiplyPacked<T>(out, a, k, scratch, m, k, n, accumulate, at<T>(scratch, packedElements<T>(k, n)));
    return;
  }
  if (!accumulate) memory.fill(out, 0, <usize>(m * n) << alignof<T>());
  for (let row = 0; row < m; row++) {
    for (let i = 0; i < k; i++) addScaledRow<T>(at<T>(out, row * n), at<T>(b, i * n), load<T>(at<T>(a, row * k + i)), n);
  }
}

/** out[0..n) += x · b[0..n), scalar (the products without SIMD); nothing to do for x = 0. */
// @ts-ignore: decorator
@inline function addScaledRow<T>(out: usize, b: usize, x: T, n: i32): void {
  if (x == 0) return;
  for (let col = 0; col < n; col++) store<T>(at<T>(out, col), load<T>(at<T>(out, col)) + x * load<T>(at<T>(b, col)));
}

// ---------------------------------------------------------------------------
// out(M×N) += A(K×M)ᵀ · B(K×N): a sum over the K rows of A and B
// ---------------------------------------------------------------------------

function matmulAtBAccumulate<T>(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  if (ASC_FEATURE_SIMD) {
    const slice = min(k, K_BLOCK);
    const packed = scratch;
    const aT = at<T>(scratch, packedElements<T>(slice, n));
    const aTStride = slice + transposePadding<T>();
    const spill = at<T>(aT, m * aTStride);
    for (let start = 0; start < k; start += K_BLOCK) {
      const rows = min(K_BLOCK, k - start);
      transposeStrided<T>(aT, aTStride, at<T>(a, start * m), m, rows, m); // Aᵀ's slice: M×rows
      packPanels<T>(packed, at<T>(b, start * n), rows, n);
      multiplyPacked<T>(out, aT, aTStride, packed, m, rows, n, true, spill);
    }
    return;
  }
  for (let p = 0; p < k; p++) {
    for (let i = 0; i < m; i++) addScaledRow<T>(at<T>(out, i * n), at<T>(b, p * n), load<T>(at<T>(a, p * m + i)), n);
  }
}

/**
 * Elements of padding after each row of the transposed slice of Aᵀ·B: one cache line, so that
 * rows 1 KB apart (256 columns) do not all fall into the same few sets of the L1 cache, which
 * made writing the transpose twice as slow.
 */
// @ts-ignore: decorator
@inline function transposePadding<T>(): i32 {
  return 64 / sizeof<T>();
}

/** out(C×R) = A(R×C)ᵀ. */
function transpose<T>(out: usize, a: usize, rows: i32, cols: i32): void {
  transposeStrided<T>(out, rows, a, cols, rows, cols);
}

/**
 * out[c, r] = A[r, c] for r < rows, c < cols, where rows of A are aStride
 * apart and rows of out outStride apart. With SIMD, in blocks of one vector
 * square (4×4 f32, 2×2 f64) transposed in registers by shuffles.
 */
function transposeStrided<T>(out: usize, outStride: i32, a: usize, aStride: i32, rows: i32, cols: i32): void {
  let rowEnd = 0;
  let colEnd = 0;
  if (ASC_FEATURE_SIMD) {
    const step = lanes<T>();
    rowEnd = rows - (rows % step);
    colEnd = cols - (cols % step);
    for (let r = 0; r < rowEnd; r += step) {
      for (let c = 0; c < colEnd; c += step) {
        const from = at<T>(a, r * aStride + c);
        const to = at<T>(out, c * outStride + r);
        if (sizeof<T>() == 4) {
          const r0 = v128.load(from);
          const r1 = v128.load(at<T>(from, aStride));
          const r2 = v128.load(at<T>(from, 2 * aStride));
          const r3 = v128.load(at<T>(from, 3 * aStride));
          const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5); // a00 a10 a01 a11
          const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5); // a20 a30 a21 a31
          const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7); // a02 a12 a03 a13
          const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7); // a22 a32 a23 a33
          v128.store(to, v128.shuffle<i64>(t0, t1, 0, 2));
          v128.store(at<T>(to, outStride), v128.shuffle<i64>(t0, t1, 1, 3));
          v128.store(at<T>(to, 2 * outStride), v128.shuffle<i64>(t2, t3, 0, 2));
          v128.store(at<T>(to, 3 * outStride), v128.shuffle<i64>(t2, t3, 1, 3));
        } else {
          const r0 = v128.load(from);
          const r1 = v128.load(at<T>(from, aStride));
          v128.store(to, v128.shuffle<i64>(r0, r1, 0, 2));
          v128.store(at<T>(to, outStride), v128.shuffle<i64>(r0, r1, 1, 3));
        }
      }
    }
  }
  // The edges (everything, without SIMD): columns past colEnd of the block rows, then the last rows.
  for (let r = 0; r < rowEnd; r++) {
    for (let c = colEnd; c < cols; c++) store<T>(at<T>(out, c * outStride + r), load<T>(at<T>(a, r * aStride + c)));
  }
  for (let r = rowEnd; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<T>(at<T>(out, c * outStride + r), load<T>(at<T>(a, r * aStride + c)));
  }
}

// ---------------------------------------------------------------------------
// Sums, biases, one-hot input, embeddings
// ---------------------------------------------------------------------------

function add<T>(out: usize, a: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + lanes<T>() <= length; i += lanes<T>()) v128.store(at<T>(out, i), v128.add<T>(v128.load(at<T>(out, i)), v128.load(at<T>(a, i))));
  }
  for (; i < length; i++) store<T>(at<T>(out, i), load<T>(at<T>(out, i)) + load<T>(at<T>(a, i)));
}

/** values[0..length) += x. */
// @ts-ignore: decorator
@inline function addScalar<T>(values: usize, length: i32, x: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const v = v128.splat<T>(x);
    for (; i + lanes<T>() <= length; i += lanes<T>()) v128.store(at<T>(values, i), v128.add<T>(v128.load(at<T>(values, i)), v));
  }
  for (; i < length; i++) store<T>(at<T>(values, i), load<T>(at<T>(values, i)) + x);
}

/** values[0..length) *= x. */
// @ts-ignore: decorator
@inline function scale<T>(values: usize, length: i32, x: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const v = v128.splat<T>(x);
    for (; i + lanes<T>() <= length; i += lanes<T>()) v128.store(at<T>(values, i), v128.mul<T>(v128.load(at<T>(values, i)), v));
  }
  for (; i < length; i++) store<T>(at<T>(values, i), load<T>(at<T>(values, i)) * x);
}

function multiply<T>(out: usize, a: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + lanes<T>() <= length; i += lanes<T>()) v128.store(at<T>(out, i), v128.mul<T>(v128.load(at<T>(out, i)), v128.load(at<T>(a, i))));
  }
  for (; i < length; i++) store<T>(at<T>(out, i), load<T>(at<T>(out, i)) * load<T>(at<T>(a, i)));
}

function addBias<T>(out: usize, bias: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) add<T>(at<T>(out, row * cols), bias, cols);
}

function sumRowsAccumulate<T>(sums: usize, a: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) add<T>(sums, at<T>(a, row * cols), cols);
}

/**
 * Wx·x for one-hot x: out[r] += column ids[r] of W (H×V). A column is strided
 * (V apart); for many rows W is first transposed into scratch (V×H), where
 * each column is a contiguous row that vector adds can read.
 */
function addWeightColumns<T>(out: usize, weight: usize, ids: usize, rows: i32, hidden: i32, vocab: i32, scratch: usize): void {
  if (ASC_FEATURE_SIMD && rows >= TRANSPOSE_FOR_ROWS) {
    transpose<T>(scratch, weight, hidden, vocab);
    for (let row = 0; row < rows; row++) add<T>(at<T>(out, row * hidden), at<T>(scratch, load<i32>(at<i32>(ids, row)) * hidden), hidden);
    return;
  }
  for (let row = 0; row < rows; row++) {
    const id = load<i32>(at<i32>(ids, row));
    const o = at<T>(out, row * hidden);
    for (let i = 0; i < hidden; i++) store<T>(at<T>(o, i), load<T>(at<T>(o, i)) + load<T>(at<T>(weight, i * vocab + id)));
  }
}

/** Its transpose, dW[:, ids[r]] += dz[r]: summed as rows of a V×H scratch, which is added transposed. */
function addToWeightColumns<T>(gradWeight: usize, dz: usize, ids: usize, rows: i32, hidden: i32, vocab: i32, scratch: usize): void {
  if (ASC_FEATURE_SIMD && rows >= TRANSPOSE_FOR_ROWS) {
    memory.fill(scratch, 0, <usize>(vocab * hidden) << alignof<T>());
    for (let row = 0; row < rows; row++) add<T>(at<T>(scratch, load<i32>(at<i32>(ids, row)) * hidden), at<T>(dz, row * hidden), hidden);
    for (let v = 0; v < vocab; v++) {
      const from = at<T>(scratch, v * hidden);
      for (let i = 0; i < hidden; i++) {
        const g = at<T>(gradWeight, i * vocab + v);
        store<T>(g, load<T>(g) + load<T>(at<T>(from, i)));
      }
    }
    return;
  }
  for (let row = 0; row < rows; row++) {
    const id = load<i32>(at<i32>(ids, row));
    const d = at<T>(dz, row * hidden);
    for (let i = 0; i < hidden; i++) {
      const g = at<T>(gradWeight, i * vocab + id);
      store<T>(g, load<T>(g) + load<T>(at<T>(d, i)));
    }
  }
}

/** Rows from which the one-hot kernels go through a transposed copy of W (it costs V·H moves). */
const TRANSPOSE_FOR_ROWS = 16;

function gatherRows<T>(out: usize, table: usize, ids: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) memory.copy(at<T>(out, row * cols), at<T>(table, load<i32>(at<i32>(ids, row)) * cols), <usize>cols << alignof<T>());
}

function scatterAddRows<T>(gradTable: usize, grad: usize, ids: usize, rows: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) add<T>(at<T>(gradTable, load<i32>(at<i32>(ids, row)) * cols), at<T>(grad, row * cols), cols);
}

// ---------------------------------------------------------------------------
// Activations (Eq. 1.2) and their derivatives from the output
// ---------------------------------------------------------------------------

/**
 * e^x on four f32 lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by the Cephes
 * polynomial (about 1 ulp in float32), and 2^n built in the exponent bits.
 * Every step is one or two instructions: pmin/pmax (a NaN passes through
 * unchanged), and n rounded to nearest by adding 1.5·2²³, which leaves n in
 * the low bits of the sum (instead of nearest + trunc_sat, each a sequence
 * of instructions in V8).
 */
// @ts-ignore: decorator
@inline function expLanes(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const magic = f32x4.splat(12582912.0); // 1.5·2²³
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(shifted, magic); // round(x·log2 e), exactly
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd<f32>(p, r, f32x4.splat(1.3981999507e-3));
  p = madd<f32>(p, r, f32x4.splat(8.3334519073e-3));
  p = madd<f32>(p, r, f32x4.splat(4.1665795894e-2));
  p = madd<f32>(p, r, f32x4.splat(1.6666665459e-1));
  p = madd<f32>(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd<f32>(p, f32x4.mul(r, r), r), f32x4.splat(1));
  // n + 127 in the exponent field: the integer n sits in the low mantissa bits of `shifted`.
  const scale = i32x4.shl(i32x4.add(i32x4.sub(shifted, magic), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/** σ(x) = 1 / (1 + e^(−x)) on four f32 lanes. */
// @ts-ignore: decorator
@inline function sigmoidLanes(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expLanes(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline function expScalar<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>Mathf.exp(<f32>x);
  return <T>Math.exp(<f64>x);
}

// @ts-ignore: decorator
@inline function tanhScalar<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>Mathf.tanh(<f32>x);
  return <T>Math.tanh(<f64>x);
}

// @ts-ignore: decorator
@inline function logScalar<T>(x: T): f64 {
  return Math.log(<f64>x);
}

/** The functions applyInPlace maps over values. */
const SIGMOID = 0;
const TANH = 1;
const EXP = 2;

/** σ(x), tanh(x) = 2σ(2x) − 1, or e^x on four f32 lanes. */
// @ts-ignore: decorator
@inline function functionLanes(x: v128, fn: i32): v128 {
  if (fn == EXP) return expLanes(x);
  if (fn == SIGMOID) return sigmoidLanes(x);
  const two = f32x4.splat(2);
  return f32x4.sub(f32x4.mul(two, sigmoidLanes(f32x4.mul(two, x))), f32x4.splat(1));
}

// @ts-ignore: decorator
@inline function functionScalar<T>(x: T, fn: i32): T {
  if (fn == EXP) return expScalar<T>(x);
  if (fn == SIGMOID) return <T>1 / (<T>1 + expScalar<T>(-x));
  return tanhScalar<T>(x);
}

/**
 * In place σ, tanh or exp (fn) of `length` values. The vector exp is float32's;
 * float64 keeps the exact scalar one. Four vectors per iteration: V8
 * materialises each constant of expLanes inside the loop, so four vectors
 * share one set (2.5× faster than one vector per iteration).
 */
// @ts-ignore: decorator
@inline function applyInPlace<T>(values: usize, length: i32, fn: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
    for (; i + 16 <= length; i += 16) {
      const p = at<T>(values, i);
      const y0 = functionLanes(v128.load(p), fn);
      const y1 = functionLanes(v128.load(p, 16), fn);
      const y2 = functionLanes(v128.load(p, 32), fn);
      const y3 = functionLanes(v128.load(p, 48), fn);
      v128.store(p, y0);
      v128.store(p, y1, 16);
      v128.store(p, y2, 32);
      v128.store(p, y3, 48);
    }
    for (; i + 4 <= length; i += 4) v128.store(at<T>(values, i), functionLanes(v128.load(at<T>(values, i)), fn));
  }
  for (; i < length; i++) {
    const p = at<T>(values, i);
    store<T>(p, functionScalar<T>(load<T>(p), fn));
  }
}

function sigmoid<T>(values: usize, length: i32): void {
  applyInPlace<T>(values, length, SIGMOID);
}

function tanh<T>(values: usize, length: i32): void {
  applyInPlace<T>(values, length, TANH);
}

function exp<T>(values: usize, length: i32): void {
  applyInPlace<T>(values, length, EXP);
}

function relu<T>(values: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = v128.splat<T>(0);
    for (; i + lanes<T>() <= length; i += lanes<T>()) v128.store(at<T>(values, i), v128.pmax<T>(v128.load(at<T>(values, i)), zero)); // pmax: one instruction; NaN passes
  }
  for (; i < length; i++) {
    const p = at<T>(values, i);
    if (load<T>(p) < 0) store<T>(p, 0);
  }
}

function reluBackward<T>(dz: usize, gamma: usize, h: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = v128.splat<T>(0);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      // The comparison lane is all ones where h > 0: a bit mask that keeps gamma there.
      v128.store(at<T>(dz, i), v128.and(v128.load(at<T>(gamma, i)), v128.gt<T>(v128.load(at<T>(h, i)), zero)));
    }
  }
  for (; i < length; i++) store<T>(at<T>(dz, i), load<T>(at<T>(h, i)) > 0 ? load<T>(at<T>(gamma, i)) : <T>0);
}

function sigmoidBackward<T>(dz: usize, gamma: usize, h: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = v128.splat<T>(1);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      const y = v128.load(at<T>(h, i));
      v128.store(at<T>(dz, i), v128.mul<T>(v128.load(at<T>(gamma, i)), v128.mul<T>(y, v128.sub<T>(one, y))));
    }
  }
  for (; i < length; i++) {
    const y = load<T>(at<T>(h, i));
    store<T>(at<T>(dz, i), load<T>(at<T>(gamma, i)) * y * (<T>1 - y));
  }
}

function tanhBackward<T>(dz: usize, gamma: usize, h: usize, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = v128.splat<T>(1);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      const y = v128.load(at<T>(h, i));
      v128.store(at<T>(dz, i), v128.mul<T>(v128.load(at<T>(gamma, i)), v128.sub<T>(one, v128.mul<T>(y, y))));
    }
  }
  for (; i < length; i++) {
    const y = load<T>(at<T>(h, i));
    store<T>(at<T>(dz, i), load<T>(at<T>(gamma, i)) * (<T>1 - y * y));
  }
}

// ---------------------------------------------------------------------------
// The LSTM's and GRU's gate arithmetic (docs/derivations/lstm.md, gru.md)
// ---------------------------------------------------------------------------
// Per row, the gates sit side by side ([i|f|g|o] or [r|u|n], H each), so lane
// j of each gate's vector is unit j. The forward kernels go through a row in
// passes (σ and tanh on whole gate blocks, then the elementwise rest); the
// backward ones take four float32 units at a time, the rest (and float64) one
// at a time, as src/kernels/reference.ts does unit by unit.

/**
 * (L.2) i, f, g, o from their pre-activations, in place; (L.3) c = f∘cPrev + i∘g; (L.4) h = o∘tanh(c).
 * In passes over a row, each of one kind: the sigmoid and tanh kernels keep four vectors in flight
 * and share exp's constants between them (V8 rebuilds vector constants in every iteration), where
 * computing a unit's gates, cell and tanh(c) in one loop made a long chain of dependent instructions
 * per unit (1.6× slower on 128 units).
 */
function lstmGates<T>(gates: usize, c: usize, h: usize, cPrev: usize, rows: i32, hidden: i32): void {
  for (let row = 0; row < rows; row++) {
    const zi = at<T>(gates, row * 4 * hidden);
    const zf = at<T>(zi, hidden);
    const zg = at<T>(zf, hidden);
    const zo = at<T>(zg, hidden);
    const cRow = at<T>(c, row * hidden);
    const hRow = at<T>(h, row * hidden);
    sigmoid<T>(zi, 2 * hidden); // i, f = σ(z)
    tanh<T>(zg, hidden); // g = tanh(z)
    sigmoid<T>(zo, hidden); // o = σ(z)
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + lanes<T>() <= hidden; j += lanes<T>()) {
        const cell = madd<T>(v128.load(at<T>(zf, j)), v128.load(at<T>(cPrev, row * hidden + j)), v128.mul<T>(v128.load(at<T>(zi, j)), v128.load(at<T>(zg, j))));
        v128.store(at<T>(cRow, j), cell);
        v128.store(at<T>(hRow, j), cell);
      }
    }
    for (; j < hidden; j++) {
      const cell = load<T>(at<T>(zf, j)) * load<T>(at<T>(cPrev, row * hidden + j)) + load<T>(at<T>(zi, j)) * load<T>(at<T>(zg, j));
      store<T>(at<T>(cRow, j), cell);
      store<T>(at<T>(hRow, j), cell);
    }
    tanh<T>(hRow, hidden); // tanh(c)
    multiply<T>(hRow, zo, hidden); // h = o∘tanh(c)
  }
}

/**
 * (L.5) κ(t) = κ + γ∘o∘(1 − tanh²c); (L.6)–(L.9) the gates' dz; (L.11) κ(t−1) = κ(t)∘f, in place of kappa.
 * tanh(c) first, for the whole row, into the row of dOut (the tanh kernel: four vectors at a time, as in
 * lstmGates); the arithmetic then reads it there, just before writing dOut's own value.
 */
function lstmGatesBackward<T>(dGates: usize, kappa: usize, gamma: usize, gates: usize, c: usize, cPrev: usize, rows: i32, hidden: i32): void {
  const vectors = ASC_FEATURE_SIMD && sizeof<T>() == 4 ? hidden & ~3 : 0;
  for (let row = 0; row < rows; row++) {
    const gi = at<T>(gates, row * 4 * hidden);
    const gf = at<T>(gi, hidden);
    const gg = at<T>(gf, hidden);
    const go = at<T>(gg, hidden);
    const di = at<T>(dGates, row * 4 * hidden);
    const df = at<T>(di, hidden);
    const dg = at<T>(df, hidden);
    const dOut = at<T>(dg, hidden);
    const n = row * hidden;
    memory.copy(dOut, at<T>(c, n), <usize>hidden << alignof<T>());
    tanh<T>(dOut, hidden);
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      for (let j = 0; j < vectors; j += 4) {
        const one = f32x4.splat(1);
        const i = v128.load(at<T>(gi, j));
        const f = v128.load(at<T>(gf, j));
        const g = v128.load(at<T>(gg, j));
        const o = v128.load(at<T>(go, j));
        const gammaJ = v128.load(at<T>(gamma, n + j));
        const tanhC = v128.load(at<T>(dOut, j));
        const k = madd<f32>(f32x4.mul(gammaJ, o), f32x4.sub(one, f32x4.mul(tanhC, tanhC)), v128.load(at<T>(kappa, n + j)));
        v128.store(at<T>(di, j), f32x4.mul(f32x4.mul(k, g), f32x4.mul(i, f32x4.sub(one, i))));
        v128.store(at<T>(df, j), f32x4.mul(f32x4.mul(k, v128.load(at<T>(cPrev, n + j))), f32x4.mul(f, f32x4.sub(one, f))));
        v128.store(at<T>(dg, j), f32x4.mul(f32x4.mul(k, i), f32x4.sub(one, f32x4.mul(g, g))));
        v128.store(at<T>(dOut, j), f32x4.mul(f32x4.mul(gammaJ, tanhC), f32x4.mul(o, f32x4.sub(one, o))));
        v128.store(at<T>(kappa, n + j), f32x4.mul(k, f));
      }
    }
    for (let j = vectors; j < hidden; j++) {
      const i = load<T>(at<T>(gi, j));
      const f = load<T>(at<T>(gf, j));
      const g = load<T>(at<T>(gg, j));
      const o = load<T>(at<T>(go, j));
      const gammaJ = load<T>(at<T>(gamma, n + j));
      const tanhC = load<T>(at<T>(dOut, j));
      const k = load<T>(at<T>(kappa, n + j)) + gammaJ * o * (<T>1 - tanhC * tanhC);
      store<T>(at<T>(di, j), k * g * i * (<T>1 - i));
      store<T>(at<T>(df, j), k * load<T>(at<T>(cPrev, n + j)) * f * (<T>1 - f));
      store<T>(at<T>(dg, j), k * i * (<T>1 - g * g));
      store<T>(at<T>(dOut, j), gammaJ * tanhC * o * (<T>1 - o));
      store<T>(at<T>(kappa, n + j), k * f);
    }
  }
}

/**
 * (G.2) r, u = σ(p + q), (G.3) n = tanh(p_n + r∘q_n), (G.4) h = (1 − u)∘n + u∘hPrev; gates (q in,
 * [r|u|n] out) and p are rows×3H; qn keeps q_n for the backward pass. In passes over a row, with
 * σ and tanh done by their kernels, four vectors at a time (see lstmGates).
 */
function gruGates<T>(gates: usize, p: usize, qn: usize, hPrev: usize, h: usize, rows: i32, hidden: i32): void {
  for (let row = 0; row < rows; row++) {
    const qr = at<T>(gates, row * 3 * hidden);
    const qnRow = at<T>(qr, 2 * hidden);
    const pr = at<T>(p, row * 3 * hidden);
    const pn = at<T>(pr, 2 * hidden);
    const m = row * hidden;
    add<T>(qr, pr, 2 * hidden); // p + q for r and u, side by side
    sigmoid<T>(qr, 2 * hidden); // r, u = σ(p + q)
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + lanes<T>() <= hidden; j += lanes<T>()) {
        const q = v128.load(at<T>(qnRow, j));
        v128.store(at<T>(qn, m + j), q);
        v128.store(at<T>(qnRow, j), madd<T>(v128.load(at<T>(qr, j)), q, v128.load(at<T>(pn, j)))); // p_n + r∘q_n
      }
    }
    for (; j < hidden; j++) {
      const q = load<T>(at<T>(qnRow, j));
      store<T>(at<T>(qn, m + j), q);
      store<T>(at<T>(qnRow, j), load<T>(at<T>(pn, j)) + load<T>(at<T>(qr, j)) * q);
    }
    tanh<T>(qnRow, hidden); // n = tanh(p_n + r∘q_n)
    const u = at<T>(qr, hidden);
    j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + lanes<T>() <= hidden; j += lanes<T>()) {
        const n = v128.load(at<T>(qnRow, j));
        // (1 − u)∘n + u∘hPrev = n + u∘(hPrev − n)
        v128.store(at<T>(h, m + j), madd<T>(v128.load(at<T>(u, j)), v128.sub<T>(v128.load(at<T>(hPrev, m + j)), n), n));
      }
    }
    for (; j < hidden; j++) {
      const n = load<T>(at<T>(qnRow, j));
      store<T>(at<T>(h, m + j), n + load<T>(at<T>(u, j)) * (load<T>(at<T>(hPrev, m + j)) - n));
    }
  }
}

/** (G.5)–(G.8): dq and dp from γ, and the direct term of (G.10), γ(t−1) = γ∘u. */
function gruGatesBackward<T>(dq: usize, dp: usize, gammaPrev: usize, gamma: usize, gates: usize, qn: usize, hPrev: usize, rows: i32, hidden: i32): void {
  const vectors = ASC_FEATURE_SIMD && sizeof<T>() == 4 ? hidden & ~3 : 0;
  for (let row = 0; row < rows; row++) {
    const z = row * 3 * hidden;
    const m = row * hidden;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      for (let j = 0; j < vectors; j += 4) {
        const one = f32x4.splat(1);
        const r = v128.load(at<T>(gates, z + j));
        const u = v128.load(at<T>(gates, z + hidden + j));
        const n = v128.load(at<T>(gates, z + 2 * hidden + j));
        const g = v128.load(at<T>(gamma, m + j));
        const dn = f32x4.mul(f32x4.mul(g, f32x4.sub(one, u)), f32x4.sub(one, f32x4.mul(n, n)));
        const du = f32x4.mul(f32x4.mul(g, f32x4.sub(v128.load(at<T>(hPrev, m + j)), n)), f32x4.mul(u, f32x4.sub(one, u)));
        const dr = f32x4.mul(f32x4.mul(dn, v128.load(at<T>(qn, m + j))), f32x4.mul(r, f32x4.sub(one, r)));
        v128.store(at<T>(dp, z + j), dr);
        v128.store(at<T>(dp, z + hidden + j), du);
        v128.store(at<T>(dp, z + 2 * hidden + j), dn);
        v128.store(at<T>(dq, z + j), dr);
        v128.store(at<T>(dq, z + hidden + j), du);
        v128.store(at<T>(dq, z + 2 * hidden + j), f32x4.mul(dn, r));
        v128.store(at<T>(gammaPrev, m + j), f32x4.mul(g, u));
      }
    }
    for (let j = vectors; j < hidden; j++) {
      const r = load<T>(at<T>(gates, z + j));
      const u = load<T>(at<T>(gates, z + hidden + j));
      const n = load<T>(at<T>(gates, z + 2 * hidden + j));
      const g = load<T>(at<T>(gamma, m + j));
      const dn = g * (<T>1 - u) * (<T>1 - n * n);
      const du = g * (load<T>(at<T>(hPrev, m + j)) - n) * u * (<T>1 - u);
      const dr = dn * load<T>(at<T>(qn, m + j)) * r * (<T>1 - r);
      store<T>(at<T>(dp, z + j), dr);
      store<T>(at<T>(dp, z + hidden + j), du);
      store<T>(at<T>(dp, z + 2 * hidden + j), dn);
      store<T>(at<T>(dq, z + j), dr);
      store<T>(at<T>(dq, z + hidden + j), du);
      store<T>(at<T>(dq, z + 2 * hidden + j), dn * r);
      store<T>(at<T>(gammaPrev, m + j), g * u);
    }
  }
}

// ---------------------------------------------------------------------------
// Softmax + cross-entropy (Eq. 3.1–3.2), masked
// ---------------------------------------------------------------------------

/**
 * In passes over the whole block of rows: θ − max(θ) per row; then e^x of every value at once, four
 * vectors per iteration and straight across row ends (the exp kernel; one row at a time left the
 * last values of each row of 27 to scalar exps, and rebuilt exp's constants for every vector); then
 * per row the sum, ŷ = e / sum and the loss.
 */
function softmaxCrossEntropy<T>(logits: usize, targets: usize, mask: usize, rows: i32, vocab: i32): f64 {
  const vectors = ASC_FEATURE_SIMD && sizeof<T>() == 4 ? vocab & ~3 : 0;
  let loss: f64 = 0;
  for (let row = 0; row < rows; row++) {
    const l = at<T>(logits, row * vocab);
    let largest = load<T>(l);
    if (vectors > 0) {
      let m = v128.load(l);
      for (let j = 4; j < vectors; j += 4) m = f32x4.pmax(m, v128.load(at<T>(l, j)));
      largest = <T>max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
    }
    for (let j = vectors; j < vocab; j++) largest = max<T>(largest, load<T>(at<T>(l, j)));
    // (3.2) −log ŷ[target] = log Σ e^(θ−max) − (θ[target] − max): finite even when ŷ[target] underflows.
    const weight = load<f32>(at<f32>(mask, row));
    if (weight != 0) loss -= <f64>weight * <f64>(load<T>(at<T>(l, load<i32>(at<i32>(targets, row)))) - largest);
    addScalar<T>(l, vocab, -largest);
  }
  exp<T>(logits, rows * vocab);
  for (let row = 0; row < rows; row++) {
    const l = at<T>(logits, row * vocab);
    let sum: T = 0;
    let j = 0;
    if (vectors > 0) {
      let sums = f32x4.splat(0);
      for (; j < vectors; j += 4) sums = f32x4.add(sums, v128.load(at<T>(l, j)));
      sum = <T>lanesSum<f32>(sums);
    }
    for (; j < vocab; j++) sum += load<T>(at<T>(l, j));
    scale<T>(l, vocab, <T>1 / sum);
    const weight = load<f32>(at<f32>(mask, row));
    if (weight != 0) loss += <f64>weight * logScalar<T>(sum);
  }
  return loss;
}

function softmaxCrossEntropyBackward<T>(probs: usize, targets: usize, mask: usize, scale: T, rows: i32, vocab: i32): void {
  for (let row = 0; row < rows; row++) {
    const p = at<T>(probs, row * vocab);
    const weight = <T>load<f32>(at<f32>(mask, row)) * scale;
    if (weight == 0) {
      memory.fill(p, 0, <usize>vocab << alignof<T>()); // padding: exactly zero, whatever the probabilities were
      continue;
    }
    for (let j = 0; j < vocab; j++) store<T>(at<T>(p, j), load<T>(at<T>(p, j)) * weight);
    const t = at<T>(p, load<i32>(at<i32>(targets, row)));
    store<T>(t, load<T>(t) - weight);
  }
}

// ---------------------------------------------------------------------------
// Clipping and Adagrad
// ---------------------------------------------------------------------------

function clip<T>(values: usize, length: i32, limit: T): i32 {
  let clipped = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const high = v128.splat<T>(limit);
    const low = v128.splat<T>(-limit);
    let count = i32x4.splat(0);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      const p = at<T>(values, i);
      const v = v128.load(p);
      // Each comparison lane is all ones (−1) where it holds: subtracting counts the clipped entries.
      count = sizeof<T>() == 4 ? i32x4.sub(count, v128.or(v128.gt<T>(v, high), v128.lt<T>(v, low))) : i64x2.sub(count, v128.or(v128.gt<T>(v, high), v128.lt<T>(v, low)));
      v128.store(p, v128.pmin<T>(v128.pmax<T>(v, low), high)); // pmin/pmax: one instruction each; NaN passes
    }
    if (sizeof<T>() == 4) clipped = i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1) + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3);
    else clipped = <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
  }
  for (; i < length; i++) {
    const p = at<T>(values, i);
    const v = load<T>(p);
    if (v > limit) {
      store<T>(p, limit);
      clipped++;
    } else if (v < -limit) {
      store<T>(p, -limit);
      clipped++;
    }
  }
  return clipped;
}

/**
 * Σ values², in float64 lanes (float32 values are widened first, two at a time). Four independent
 * sums: one would make every multiply-add wait for the one before it (4× slower).
 */
function sumOfSquares<T>(values: usize, length: i32): f64 {
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let sum0 = f64x2.splat(0), sum1 = f64x2.splat(0), sum2 = f64x2.splat(0), sum3 = f64x2.splat(0);
    const step = 2 * lanes<T>();
    for (; i + step <= length; i += step) {
      const v = v128.load(at<T>(values, i));
      const w = v128.load(at<T>(values, i), 16);
      if (sizeof<T>() == 4) {
        const v0 = f64x2.promote_low_f32x4(v);
        const v1 = f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3));
        const w0 = f64x2.promote_low_f32x4(w);
        const w1 = f64x2.promote_low_f32x4(v128.shuffle<i32>(w, w, 2, 3, 2, 3));
        sum0 = madd<f64>(v0, v0, sum0);
        sum1 = madd<f64>(v1, v1, sum1);
        sum2 = madd<f64>(w0, w0, sum2);
        sum3 = madd<f64>(w1, w1, sum3);
      } else {
        sum0 = madd<f64>(v, v, sum0);
        sum1 = madd<f64>(w, w, sum1);
      }
    }
    const sums = f64x2.add(f64x2.add(sum0, sum1), f64x2.add(sum2, sum3));
    total = f64x2.extract_lane(sums, 0) + f64x2.extract_lane(sums, 1);
  }
  for (; i < length; i++) {
    const v = <f64>load<T>(at<T>(values, i));
    total += v * v;
  }
  return total;
}

/** Adagrad: memory += g²; params −= lr · g / √(memory + epsilon), a vector of entries at a time. */
function adagradStep<T>(params: usize, grads: usize, memory: usize, learningRate: T, epsilon: T, length: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lr = v128.splat<T>(learningRate);
    const eps = v128.splat<T>(epsilon);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      const g = v128.load(at<T>(grads, i));
      const m = madd<T>(g, g, v128.load(at<T>(memory, i)));
      v128.store(at<T>(memory, i), m);
      const p = at<T>(params, i);
      v128.store(p, v128.sub<T>(v128.load(p), v128.div<T>(v128.mul<T>(lr, g), v128.sqrt<T>(v128.add<T>(m, eps)))));
    }
  }
  for (; i < length; i++) {
    const g = load<T>(at<T>(grads, i));
    const m = load<T>(at<T>(memory, i)) + g * g;
    store<T>(at<T>(memory, i), m);
    const p = at<T>(params, i);
    store<T>(p, load<T>(p) - (learningRate * g) / sqrt<T>(m + epsilon));
  }
}

/** RMSprop, as Kernels.rmspropStep describes; momentum 0: no momentum buffer (its address is not read). */
function rmspropStep<T>(params: usize, grads: usize, squareAverage: usize, momentumBuffer: usize, length: i32, learningRate: T, alpha: T, epsilon: T, momentum: T): void {
  let i = 0;
  const withMomentum = momentum > 0;
  if (ASC_FEATURE_SIMD) {
    const a = v128.splat<T>(alpha);
    const c = v128.splat<T>(<T>1 - alpha);
    const eps = v128.splat<T>(epsilon);
    const lr = v128.splat<T>(learningRate);
    const mu = v128.splat<T>(momentum);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      const g = v128.load(at<T>(grads, i));
      const average = v128.add<T>(v128.mul<T>(a, v128.load(at<T>(squareAverage, i))), v128.mul<T>(v128.mul<T>(c, g), g));
      v128.store(at<T>(squareAverage, i), average);
      let direction = v128.div<T>(g, v128.add<T>(v128.sqrt<T>(average), eps));
      if (withMomentum) {
        direction = v128.add<T>(v128.mul<T>(mu, v128.load(at<T>(momentumBuffer, i))), direction);
        v128.store(at<T>(momentumBuffer, i), direction);
      }
      const p = at<T>(params, i);
      v128.store(p, v128.sub<T>(v128.load(p), v128.mul<T>(lr, direction)));
    }
  }
  for (; i < length; i++) {
    const g = load<T>(at<T>(grads, i));
    const average = alpha * load<T>(at<T>(squareAverage, i)) + (<T>1 - alpha) * g * g;
    store<T>(at<T>(squareAverage, i), average);
    let direction = g / (sqrt<T>(average) + epsilon);
    if (withMomentum) {
      direction = momentum * load<T>(at<T>(momentumBuffer, i)) + direction;
      store<T>(at<T>(momentumBuffer, i), direction);
    }
    const p = at<T>(params, i);
    store<T>(p, load<T>(p) - learningRate * direction);
  }
}

/** Adam (and AdamW with keep < 1), as Kernels.adamStep describes, a vector of entries at a time. */
function adamStep<T>(params: usize, grads: usize, m: usize, v: usize, length: i32, beta1: T, beta2: T, epsilon: T, stepSize: T, secondCorrection: T, keep: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const b1 = v128.splat<T>(beta1);
    const b2 = v128.splat<T>(beta2);
    const c1 = v128.splat<T>(<T>1 - beta1);
    const c2 = v128.splat<T>(<T>1 - beta2);
    const eps = v128.splat<T>(epsilon);
    const size = v128.splat<T>(stepSize);
    const correction = v128.splat<T>(secondCorrection);
    const shrink = v128.splat<T>(keep);
    for (; i + lanes<T>() <= length; i += lanes<T>()) {
      const g = v128.load(at<T>(grads, i));
      const first = v128.add<T>(v128.mul<T>(b1, v128.load(at<T>(m, i))), v128.mul<T>(c1, g));
      const second = v128.add<T>(v128.mul<T>(b2, v128.load(at<T>(v, i))), v128.mul<T>(v128.mul<T>(c2, g), g));
      v128.store(at<T>(m, i), first);
      v128.store(at<T>(v, i), second);
      const p = at<T>(params, i);
      const denominator = v128.add<T>(v128.div<T>(v128.sqrt<T>(second), correction), eps);
      v128.store(p, v128.sub<T>(v128.mul<T>(v128.load(p), shrink), v128.div<T>(v128.mul<T>(size, first), denominator)));
    }
  }
  for (; i < length; i++) {
    const g = load<T>(at<T>(grads, i));
    const first = beta1 * load<T>(at<T>(m, i)) + (<T>1 - beta1) * g;
    const second = beta2 * load<T>(at<T>(v, i)) + (<T>1 - beta2) * g * g;
    store<T>(at<T>(m, i), first);
    store<T>(at<T>(v, i), second);
    const p = at<T>(params, i);
    store<T>(p, load<T>(p) * keep - (stepSize * first) / (sqrt<T>(second) / secondCorrection + epsilon));
  }
}

// ---------------------------------------------------------------------------
// Exports, one per float type
// ---------------------------------------------------------------------------

/** The first byte after the module's static data (math tables): the host allocates above it. */
export function heapBase(): usize {
  return __heap_base;
}

/** Elements of scratch space a matrix product of these dimensions needs. */
export function matmulScratchElements_f32(m: i32, k: i32, n: i32): i32 { return matmulScratch<f32>(m, k, n); }
export function matmulScratchElements_f64(m: i32, k: i32, n: i32): i32 { return matmulScratch<f64>(m, k, n); }

export function matmulABt_f32(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void { matmulABt<f32>(out, a, b, m, k, n, accumulate, scratch); }
export function matmulABt_f64(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void { matmulABt<f64>(out, a, b, m, k, n, accumulate, scratch); }
export function matmulAB_f32(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void { matmulAB<f32>(out, a, b, m, k, n, accumulate, scratch); }
export function matmulAB_f64(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void { matmulAB<f64>(out, a, b, m, k, n, accumulate, scratch); }
export function matmulAtBAccumulate_f32(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, scratch: usize): void { matmulAtBAccumulate<f32>(out, a, b, m, k, n, scratch); }
export function matmulAtBAccumulate_f64(out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, scratch: usize): void { matmulAtBAccumulate<f64>(out, a, b, m, k, n, scratch); }
export function transpose_f32(out: usize, a: usize, rows: i32, cols: i32): void { transpose<f32>(out, a, rows, cols); }
export function transpose_f64(out: usize, a: usize, rows: i32, cols: i32): void { transpose<f64>(out, a, rows, cols); }
export function add_f32(out: usize, a: usize, length: i32): void { add<f32>(out, a, length); }
export function add_f64(out: usize, a: usize, length: i32): void { add<f64>(out, a, length); }
export function addBias_f32(out: usize, bias: usize, rows: i32, cols: i32): void { addBias<f32>(out, bias, rows, cols); }
export function addBias_f64(out: usize, bias: usize, rows: i32, cols: i32): void { addBias<f64>(out, bias, rows, cols); }
export function sumRowsAccumulate_f32(sums: usize, a: usize, rows: i32, cols: i32): void { sumRowsAccumulate<f32>(sums, a, rows, cols); }
export function sumRowsAccumulate_f64(sums: usize, a: usize, rows: i32, cols: i32): void { sumRowsAccumulate<f64>(sums, a, rows, cols); }
export function addWeightColumns_f32(out: usize, weight: usize, ids: usize, rows: i32, hidden: i32, vocab: i32, scratch: usize): void { addWeightColumns<f32>(out, weight, ids, rows, hidden, vocab, scratch); }
export function addWeightColumns_f64(out: usize, weight: usize, ids: usize, rows: i32, hidden: i32, vocab: i32, scratch: usize): void { addWeightColumns<f64>(out, weight, ids, rows, hidden, vocab, scratch); }
export function addToWeightColumns_f32(gradWeight: usize, dz: usize, ids: usize, rows: i32, hidden: i32, vocab: i32, scratch: usize): void { addToWeightColumns<f32>(gradWeight, dz, ids, rows, hidden, vocab, scratch); }
export function addToWeightColumns_f64(gradWeight: usize, dz: usize, ids: usize, rows: i32, hidden: i32, vocab: i32, scratch: usize): void { addToWeightColumns<f64>(gradWeight, dz, ids, rows, hidden, vocab, scratch); }
export function gatherRows_f32(out: usize, table: usize, ids: usize, rows: i32, cols: i32): void { gatherRows<f32>(out, table, ids, rows, cols); }
export function gatherRows_f64(out: usize, table: usize, ids: usize, rows: i32, cols: i32): void { gatherRows<f64>(out, table, ids, rows, cols); }
export function scatterAddRows_f32(gradTable: usize, grad: usize, ids: usize, rows: i32, cols: i32): void { scatterAddRows<f32>(gradTable, grad, ids, rows, cols); }
export function scatterAddRows_f64(gradTable: usize, grad: usize, ids: usize, rows: i32, cols: i32): void { scatterAddRows<f64>(gradTable, grad, ids, rows, cols); }
export function sigmoid_f32(values: usize, length: i32): void { sigmoid<f32>(values, length); }
export function sigmoid_f64(values: usize, length: i32): void { sigmoid<f64>(values, length); }
export function tanh_f32(values: usize, length: i32): void { tanh<f32>(values, length); }
export function tanh_f64(values: usize, length: i32): void { tanh<f64>(values, length); }
export function relu_f32(values: usize, length: i32): void { relu<f32>(values, length); }
export function relu_f64(values: usize, length: i32): void { relu<f64>(values, length); }
export function reluBackward_f32(dz: usize, gamma: usize, h: usize, length: i32): void { reluBackward<f32>(dz, gamma, h, length); }
export function reluBackward_f64(dz: usize, gamma: usize, h: usize, length: i32): void { reluBackward<f64>(dz, gamma, h, length); }
export function sigmoidBackward_f32(dz: usize, gamma: usize, h: usize, length: i32): void { sigmoidBackward<f32>(dz, gamma, h, length); }
export function sigmoidBackward_f64(dz: usize, gamma: usize, h: usize, length: i32): void { sigmoidBackward<f64>(dz, gamma, h, length); }
export function tanhBackward_f32(dz: usize, gamma: usize, h: usize, length: i32): void { tanhBackward<f32>(dz, gamma, h, length); }
export function tanhBackward_f64(dz: usize, gamma: usize, h: usize, length: i32): void { tanhBackward<f64>(dz, gamma, h, length); }
export function softmaxCrossEntropy_f32(logits: usize, targets: usize, mask: usize, rows: i32, vocab: i32): f64 { return softmaxCrossEntropy<f32>(logits, targets, mask, rows, vocab); }
export function softmaxCrossEntropy_f64(logits: usize, targets: usize, mask: usize, rows: i32, vocab: i32): f64 { return softmaxCrossEntropy<f64>(logits, targets, mask, rows, vocab); }
export function softmaxCrossEntropyBackward_f32(probs: usize, targets: usize, mask: usize, scale: f32, rows: i32, vocab: i32): void { softmaxCrossEntropyBackward<f32>(probs, targets, mask, scale, rows, vocab); }
export function softmaxCrossEntropyBackward_f64(probs: usize, targets: usize, mask: usize, scale: f64, rows: i32, vocab: i32): void { softmaxCrossEntropyBackward<f64>(probs, targets, mask, scale, rows, vocab); }
export function clip_f32(values: usize, length: i32, limit: f32): i32 { return clip<f32>(values, length, limit); }
export function clip_f64(values: usize, length: i32, limit: f64): i32 { return clip<f64>(values, length, limit); }
export function adagradStep_f32(params: usize, grads: usize, memory: usize, learningRate: f32, epsilon: f32, length: i32): void { adagradStep<f32>(params, grads, memory, learningRate, epsilon, length); }
export function adagradStep_f64(params: usize, grads: usize, memory: usize, learningRate: f64, epsilon: f64, length: i32): void { adagradStep<f64>(params, grads, memory, learningRate, epsilon, length); }

export function multiply_f32(out: usize, a: usize, length: i32): void { multiply<f32>(out, a, length); }
export function multiply_f64(out: usize, a: usize, length: i32): void { multiply<f64>(out, a, length); }
export function lstmGates_f32(gates: usize, c: usize, h: usize, cPrev: usize, rows: i32, hidden: i32): void { lstmGates<f32>(gates, c, h, cPrev, rows, hidden); }
export function lstmGates_f64(gates: usize, c: usize, h: usize, cPrev: usize, rows: i32, hidden: i32): void { lstmGates<f64>(gates, c, h, cPrev, rows, hidden); }
export function lstmGatesBackward_f32(dGates: usize, kappa: usize, gamma: usize, gates: usize, c: usize, cPrev: usize, rows: i32, hidden: i32): void { lstmGatesBackward<f32>(dGates, kappa, gamma, gates, c, cPrev, rows, hidden); }
export function lstmGatesBackward_f64(dGates: usize, kappa: usize, gamma: usize, gates: usize, c: usize, cPrev: usize, rows: i32, hidden: i32): void { lstmGatesBackward<f64>(dGates, kappa, gamma, gates, c, cPrev, rows, hidden); }
export function gruGates_f32(gates: usize, p: usize, qn: usize, hPrev: usize, h: usize, rows: i32, hidden: i32): void { gruGates<f32>(gates, p, qn, hPrev, h, rows, hidden); }
export function gruGates_f64(gates: usize, p: usize, qn: usize, hPrev: usize, h: usize, rows: i32, hidden: i32): void { gruGates<f64>(gates, p, qn, hPrev, h, rows, hidden); }
export function gruGatesBackward_f32(dq: usize, dp: usize, gammaPrev: usize, gamma: usize, gates: usize, qn: usize, hPrev: usize, rows: i32, hidden: i32): void { gruGatesBackward<f32>(dq, dp, gammaPrev, gamma, gates, qn, hPrev, rows, hidden); }
export function gruGatesBackward_f64(dq: usize, dp: usize, gammaPrev: usize, gamma: usize, gates: usize, qn: usize, hPrev: usize, rows: i32, hidden: i32): void { gruGatesBackward<f64>(dq, dp, gammaPrev, gamma, gates, qn, hPrev, rows, hidden); }
export function packedElements_f32(k: i32, n: i32): i32 { return ASC_FEATURE_SIMD ? packedElements<f32>(k, n) : k * n; }
export function packedElements_f64(k: i32, n: i32): i32 { return ASC_FEATURE_SIMD ? packedElements<f64>(k, n) : k * n; }
export function pack_f32(packed: usize, b: usize, k: i32, n: i32, transposed: bool): void { pack<f32>(packed, b, k, n, transposed); }
export function pack_f64(packed: usize, b: usize, k: i32, n: i32, transposed: bool): void { pack<f64>(packed, b, k, n, transposed); }
export function matmulPacked_f32(out: usize, a: usize, packed: usize, m: i32, k: i32, n: i32, accumulate: bool, spill: usize): void { matmulPacked<f32>(out, a, packed, m, k, n, accumulate, spill); }
export function matmulPacked_f64(out: usize, a: usize, packed: usize, m: i32, k: i32, n: i32, accumulate: bool, spill: usize): void { matmulPacked<f64>(out, a, packed, m, k, n, accumulate, spill); }
export function adamStep_f32(params: usize, grads: usize, m: usize, v: usize, length: i32, beta1: f32, beta2: f32, epsilon: f32, stepSize: f32, secondCorrection: f32, keep: f32): void { adamStep<f32>(params, grads, m, v, length, beta1, beta2, epsilon, stepSize, secondCorrection, keep); }
export function adamStep_f64(params: usize, grads: usize, m: usize, v: usize, length: i32, beta1: f64, beta2: f64, epsilon: f64, stepSize: f64, secondCorrection: f64, keep: f64): void { adamStep<f64>(params, grads, m, v, length, beta1, beta2, epsilon, stepSize, secondCorrection, keep); }

/**
 * The arithmetic ceiling of one core for this module: `rounds` of eight independent chains of
 * multiply-adds on registers (eight hide the latency of two fused units; more would spill in V8).
 * Returns a sum so the work cannot be optimised away; bptt bench times it.
 */
export function multiplyAddPeak(rounds: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const x = f32x4.splat(1.0000001);
    const y = f32x4.splat(0.9999999);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
    for (let i = 0; i < rounds; i++) {
      a0 = madd<f32>(x, y, a0); a1 = madd<f32>(x, y, a1); a2 = madd<f32>(x, y, a2); a3 = madd<f32>(x, y, a3);
      a4 = madd<f32>(x, y, a4); a5 = madd<f32>(x, y, a5); a6 = madd<f32>(x, y, a6); a7 = madd<f32>(x, y, a7);
    }
    return lanesSum<f32>(f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))));
  }
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0, a4: f32 = 0, a5: f32 = 0, a6: f32 = 0, a7: f32 = 0;
  const x: f32 = 1.0000001;
  const y: f32 = 0.9999999;
  for (let i = 0; i < rounds; i++) {
    a0 += x * y; a1 += x * y; a2 += x * y; a3 += x * y; a4 += x * y; a5 += x * y; a6 += x * y; a7 += x * y;
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

/** FLOPs of one round of multiplyAddPeak: 8 chains × lanes × 2. */
export function multiplyAddPeakFlops(): i32 {
  return ASC_FEATURE_SIMD ? 8 * 4 * 2 : 8 * 2;
}
export function sumOfSquares_f32(values: usize, length: i32): f64 { return sumOfSquares<f32>(values, length); }
export function sumOfSquares_f64(values: usize, length: i32): f64 { return sumOfSquares<f64>(values, length); }
export function rmspropStep_f32(params: usize, grads: usize, squareAverage: usize, momentumBuffer: usize, length: i32, learningRate: f32, alpha: f32, epsilon: f32, momentum: f32): void { rmspropStep<f32>(params, grads, squareAverage, momentumBuffer, length, learningRate, alpha, epsilon, momentum); }
export function rmspropStep_f64(params: usize, grads: usize, squareAverage: usize, momentumBuffer: usize, length: i32, learningRate: f64, alpha: f64, epsilon: f64, momentum: f64): void { rmspropStep<f64>(params, grads, squareAverage, momentumBuffer, length, learningRate, alpha, epsilon, momentum); }

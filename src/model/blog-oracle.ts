/**
 * Backpropagation through time exactly as the seed (the blog) derives it: one sequence, the
 * sigmoid RNN, one-hot input, plain arrays, no batches, no packing, no kernels. Read this first;
 * the real model (rnn-model.ts, sweep.ts, src/nn/rnn-cell.ts) computes the same numbers for many
 * sequences at once, and test/model/blog-oracle.test.ts checks that it does.
 *
 * Shapes, the blog's column vectors: h (H), x one-hot (V), θ and ŷ (V);
 * Wh (H×H), Wx (H×V), b1 (H), U (V×H), b2 (V) as arrays of rows.
 */
export type Matrix = number[][];

export interface BlogWeights {
  Wh: Matrix;
  Wx: Matrix;
  b1: number[];
  U: Matrix;
  b2: number[];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** A·v for a matrix A (rows) and a vector v. */
const times = (A: Matrix, v: number[]) => A.map((row) => row.reduce((sum, a, j) => sum + a * v[j], 0));
/** Aᵀ·v. */
const transposeTimes = (A: Matrix, v: number[]) => A[0].map((_, j) => A.reduce((sum, row, i) => sum + row[j] * v[i], 0));
/** M += a·bᵀ (an outer product). */
const addOuter = (M: Matrix, a: number[], b: number[]) => M.forEach((row, i) => row.forEach((_, j) => (row[j] += a[i] * b[j])));
const zeros = (rows: number, cols: number): Matrix => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));

/**
 * J = Σ_t J(t) for the sequence inputs x(1..T) → targets y(1..T), from h(0) = 0, and ∂J/∂ of every
 * weight. (Token ids stand for the one-hot vectors x(t) and y(t).)
 */
export function blogBptt(w: BlogWeights, inputs: readonly number[], targets: readonly number[]): { loss: number; grads: BlogWeights } {
  const T = inputs.length;
  const H = w.Wh.length;
  const V = w.U.length;

  // Forward, t = 1..T, caching h(t) and ŷ(t). h[0] is h(0) = 0.
  const h: number[][] = [new Array<number>(H).fill(0)];
  const yHat: number[][] = [[]];
  let loss = 0;
  for (let t = 1; t <= T; t++) {
    const Whh = times(w.Wh, h[t - 1]);
    const z = Whh.map((v, i) => v + w.Wx[i][inputs[t - 1]] + w.b1[i]); // (1.1) z(t) = Wh h(t−1) + Wx x(t) + b1
    h[t] = z.map(sigmoid); // (1.2) h(t) = σ(z(t))
    const theta = times(w.U, h[t]).map((v, i) => v + w.b2[i]); // (2.1) θ(t) = U h(t) + b2
    const max = Math.max(...theta);
    const e = theta.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    yHat[t] = e.map((v) => v / sum); // (3.1) ŷ(t) = softmax(θ(t))
    loss += -Math.log(yHat[t][targets[t - 1]]); // (3.2) J(t) = −log ŷ(t)[y(t)];  (3.3) J = Σ_t J(t)
  }

  // Backward, t = T..1. gamma carries γ(t) = ∂J/∂h(t) = Σ_{t' ≥ t} γ_t'(t): every later loss
  // term's γ, summed (Trick 2), so one sweep serves all the J(t).
  const grads: BlogWeights = { Wh: zeros(H, H), Wx: zeros(H, V), b1: new Array<number>(H).fill(0), U: zeros(V, H), b2: new Array<number>(V).fill(0) };
  let gammaFromLater = new Array<number>(H).fill(0); // Σ_{t' > t} γ_t'(t); nothing after step T
  for (let t = T; t >= 1; t--) {
    const dTheta = yHat[t].map((p, i) => p - (i === targets[t - 1] ? 1 : 0)); // ∂J(t)/∂θ(t) = ŷ(t) − y(t)
    addOuter(grads.U, dTheta, h[t]); // ∂J/∂U += dθ(t) h(t)ᵀ
    dTheta.forEach((d, i) => (grads.b2[i] += d)); // ∂J/∂b2 += dθ(t)
    const local = transposeTimes(w.U, dTheta); // γ_t(t) = Uᵀ dθ(t), from (2.1)
    const gamma = local.map((v, i) => v + gammaFromLater[i]); // γ(t) = γ_t(t) + Σ_{t' > t} γ_t'(t)   (Trick 2)
    const dz = gamma.map((g, i) => g * h[t][i] * (1 - h[t][i])); // γ(t) ∘ σ'(z(t)), σ' = h(1 − h)   (5.1.1)
    addOuter(grads.Wh, dz, h[t - 1]); // (5.2) ∂J/∂Wh(t) = (γ(t) ∘ σ'(z(t))) h(t−1)ᵀ, summed over t: (4.1)
    grads.Wx.forEach((row, i) => (row[inputs[t - 1]] += dz[i])); // ∂J/∂Wx(t) = dz x(t)ᵀ: column x(t)
    dz.forEach((d, i) => (grads.b1[i] += d)); // ∂J/∂b1(t) = dz
    gammaFromLater = transposeTimes(w.Wh, dz); // (6.2) Whᵀ (γ(t) ∘ σ'(z(t))), passed to step t − 1
  }
  return { loss, grads };
}

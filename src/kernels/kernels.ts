/**
 * The kernel interface: every loop over numbers that the model's hot path runs.
 *
 * Layers (src/nn) call these and never loop over matrices themselves, so a
 * faster backend (WebAssembly, threads) can replace the readable reference
 * implementation without touching the math code. All matrices are row-major
 * and passed as flat arrays with their dimensions; a backend must give the
 * same results as `referenceKernels` up to float rounding.
 *
 * Naming: A·Bᵀ means "rows of A dotted with rows of B", the shape of the
 * seed's z = Wh·h when a batch of h vectors is stored as rows.
 */
import type { DType, FloatArray } from '../core/arrays.js';

/** The numeric kernels every layer computes with: one implementation in pure TypeScript (referenceKernels) and one in WebAssembly (WasmKernels), tested against each other. */
export interface Kernels {
  readonly name: string;

  /**
   * A zeroed array for a model's parameters, gradients or activations. A
   * backend may place it in its own memory (WebAssembly's) so kernels read it
   * without copying; the reference backend returns a plain typed array.
   */
  allocate(dtype: DType, length: number): FloatArray;

  /** out(M×N) (+)= A(M×K) · B(N×K)ᵀ. Overwrites out unless accumulate. */
  matmulABt(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean): void;

  /** out(M×N) (+)= A(M×K) · B(K×N). Overwrites out unless accumulate. */
  matmulAB(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean): void;

  /**
   * Elements that pack() writes for a K×N matrix: the size of `packed`.
   */
  packedSize(dtype: DType, k: number, n: number): number;

  /**
   * B (K×N) copied into the layout this backend's products read fastest, for a matrix that many
   * products reuse: the recurrent weights, packed once per batch instead of once per step.
   * `transposed`: b holds Bᵀ (N×K), e.g. Wh (units×H) for B = Whᵀ. The reference backend's layout
   * is plain row-major B; the WebAssembly one cuts B into panels of columns (assembly/kernels.ts).
   */
  pack(packed: FloatArray, b: FloatArray, k: number, n: number, transposed: boolean): void;

  /** out(M×N) (+)= A(M×K) · B, with B as pack() left it. Overwrites out unless accumulate. */
  matmulPacked(out: FloatArray, a: FloatArray, packed: FloatArray, m: number, k: number, n: number, accumulate: boolean): void;

  /** out(M×N) += A(K×M)ᵀ · B(K×N): the weight gradient, a sum over the K rows of a batch. Always accumulates. */
  matmulAtBAccumulate(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number): void;

  /** out(rows×cols) += bias(cols) broadcast over rows. */
  addBias(out: FloatArray, bias: FloatArray, rows: number, cols: number): void;

  /** sums(cols) += Σ over rows of a(rows×cols): the bias gradient. */
  sumRowsAccumulate(sums: FloatArray, a: FloatArray, rows: number, cols: number): void;

  /**
   * One-hot input times a weight matrix, done as a gather (never a dense matmul):
   * out(rows×H)[r] += W(H×V)[:, ids[r]]. This is Wx·x for one-hot x.
   */
  addWeightColumns(out: FloatArray, weight: FloatArray, ids: Int32Array, rows: number, hidden: number, vocab: number): void;

  /** The transpose of addWeightColumns: dW(H×V)[:, ids[r]] += dz(rows×H)[r]. */
  addToWeightColumns(gradWeight: FloatArray, dz: FloatArray, ids: Int32Array, rows: number, hidden: number, vocab: number): void;

  /** out(rows×cols)[r] = table(V×cols)[ids[r]]: an embedding lookup. */
  gatherRows(out: FloatArray, table: FloatArray, ids: Int32Array, rows: number, cols: number): void;

  /** gradTable(V×cols)[ids[r]] += grad(rows×cols)[r]: the embedding gradient. */
  scatterAddRows(gradTable: FloatArray, grad: FloatArray, ids: Int32Array, rows: number, cols: number): void;

  /** In place h = σ(z) = 1 / (1 + e^(−z)). */
  sigmoid(values: FloatArray, length: number): void;
  /** In place h = tanh(z). */
  tanh(values: FloatArray, length: number): void;
  /** In place h = max(0, z). */
  relu(values: FloatArray, length: number): void;
  /** dz = gamma ∘ relu'(z): gamma where the cached output h > 0, else 0. */
  reluBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void;
  /** dz = gamma ∘ σ'(z), with σ'(z) = h(1 − h) computed from the cached output h. */
  sigmoidBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void;
  /** dz = gamma ∘ tanh'(z), with tanh'(z) = 1 − h² computed from the cached output h. */
  tanhBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void;

  /**
   * Softmax + cross-entropy over rows of logits (rows×V), in place: logits become
   * probabilities ŷ. Returns Σ_r mask[r]·(−log ŷ[r, targets[r]]) (rows with mask 0 add nothing).
   */
  softmaxCrossEntropy(logits: FloatArray, targets: Int32Array, mask: Float32Array, rows: number, vocab: number): number;

  /** In place on probabilities ŷ: dθ = (ŷ − onehot(target)) · mask · scale. */
  softmaxCrossEntropyBackward(probs: FloatArray, targets: Int32Array, mask: Float32Array, scale: number, rows: number, vocab: number): void;

  /**
   * The LSTM's gate arithmetic (docs/derivations/lstm.md, L.2–L.4), per row of
   * gates (rows×4H, [i|f|g|o], pre-activations in, gate values out, in place):
   * c = f∘cPrev + i∘g and h = o∘tanh(c) (rows×H each).
   */
  lstmGates(gates: FloatArray, c: FloatArray, h: FloatArray, cPrev: FloatArray, rows: number, hidden: number): void;

  /**
   * Its backward (L.5–L.9, L.11): from gamma = ∂J/∂h and kappa = ∂J/∂c from
   * the next step, writes dGates = ∂J/∂z (rows×4H) and, in place of kappa,
   * ∂J/∂c(t−1) through this step.
   */
  lstmGatesBackward(
    dGates: FloatArray,
    kappa: FloatArray,
    gamma: FloatArray,
    gates: FloatArray,
    c: FloatArray,
    cPrev: FloatArray,
    rows: number,
    hidden: number,
  ): void;

  /**
   * The GRU's gate arithmetic (docs/derivations/gru.md, G.2–G.4), per row:
   * gates (rows×3H) holds the recurrent part q = Wh·h(t−1) + b_h on entry and the
   * gate values [r|u|n] on return; p (rows×3H) is the input part Wx·x + b_x.
   * Writes qn = q_n (rows×H, needed by the backward pass) and h (rows×H).
   */
  gruGates(gates: FloatArray, p: FloatArray, qn: FloatArray, hPrev: FloatArray, h: FloatArray, rows: number, hidden: number): void;

  /**
   * Its backward (G.5–G.8, the direct term of G.10): from gamma = ∂J/∂h(t),
   * writes dq and dp (rows×3H each) and gammaPrev = γ ∘ u (rows×H), to which the
   * caller adds Whᵀ dq.
   */
  gruGatesBackward(
    dq: FloatArray,
    dp: FloatArray,
    gammaPrev: FloatArray,
    gamma: FloatArray,
    gates: FloatArray,
    qn: FloatArray,
    hPrev: FloatArray,
    rows: number,
    hidden: number,
  ): void;

  /**
   * Σ values², accumulated in float64: the squared gradient norm. A NaN or ±Infinity anywhere makes
   * it non-finite, so one pass also answers whether the gradients are all finite.
   */
  sumOfSquares(values: FloatArray, length: number): number;

  /** Elementwise clip to [−limit, limit]; returns how many entries were clipped. */
  clip(values: FloatArray, length: number, limit: number): number;

  /** out += a, elementwise. */
  add(out: FloatArray, a: FloatArray, length: number): void;

  /** out ∘= a, elementwise (a dropout mask, forward and backward). */
  multiply(out: FloatArray, a: FloatArray, length: number): void;

  /** Adagrad, in place for every entry: memory += g²; params −= lr · g / √(memory + epsilon). */
  adagradStep(params: FloatArray, grads: FloatArray, memory: FloatArray, learningRate: number, epsilon: number, length: number): void;

  /**
   * RMSprop's update (src/optim/rmsprop.ts), in place: v ← α·v + (1 − α)·g²; d = g / (√v + ε);
   * with momentum μ > 0, b ← μ·b + d and p ← p − lr·b; without (μ = 0, momentumBuffer null), p ← p − lr·d.
   */
  rmspropStep(
    params: FloatArray,
    grads: FloatArray,
    squareAverage: FloatArray,
    momentumBuffer: FloatArray | null,
    length: number,
    learningRate: number,
    alpha: number,
    epsilon: number,
    momentum: number,
  ): void;

  /**
   * Adam's update (src/optim/adam.ts), in place for every entry: p ← p·keep (AdamW's decoupled
   * weight decay; keep = 1 without it); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
   * p ← p − stepSize·m / (√v / secondCorrection + ε), with the bias corrections of step t folded
   * into stepSize = lr / (1 − β1ᵗ) and secondCorrection = √(1 − β2ᵗ).
   */
  adamStep(
    params: FloatArray,
    grads: FloatArray,
    firstMoment: FloatArray,
    secondMoment: FloatArray,
    length: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    stepSize: number,
    secondCorrection: number,
    keep: number,
  ): void;

  /** out(cols×rows) = A(rows×cols)ᵀ. */
  transpose(out: FloatArray, a: FloatArray, rows: number, cols: number): void;
}

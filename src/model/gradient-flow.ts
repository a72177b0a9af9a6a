/**
 * The seed's "Trick 2" table, measured: for one sequence and the current
 * weights, how much of γ = ∂J/∂h at step k comes from each loss term J(t).
 *
 *   γ_t(k) = ∂J(t)/∂h(k)          zero for k > t (h(k) comes after J(t))
 *   γ_t(t) = Uᵀ (ŷ(t) − y(t))     the local term, from (3.1)–(3.2) and (2.1)
 *   γ_t(k−1) = (∂h(k)/∂h(k−1))ᵀ γ_t(k)      (6.2) for the seed's RNN: Whᵀ (γ_t(k) ∘ σ'(z(k)))
 *   γ(k) = Σ_t γ_t(k)              what BPTT carries back, summed (Trick 2)
 *
 * BPTT never forms the individual γ_t(k) (that is the point of Trick 2), so
 * this module gets them from the model's own backward pass, one row per pair
 * k < t: the row starts from the state after step k, feeds x(k+1) … x(t) and
 * counts only J(t); the gradient of its initial state is then γ_t(k). All
 * T(T−1)/2 rows go through one forward and one backward as a single batch.
 *
 * Shown for the top layer (the one feeding the output layer); for the LSTM,
 * γ is ∂J/∂h with the cell state c(k) held as a separate variable, as in BPTT.
 * Dimensions: T steps, H hidden, V vocabulary; steps are numbered 1..T as in the seed.
 */
import { allocate, type FloatArray } from '../core/arrays.js';
import { batchFromRows } from '../core/batch.js';
import { BpttError } from '../core/errors.js';
import type { RnnModel } from './rnn-model.js';

/** The seed's Trick 2 table for one sequence: ‖∂J(t)/∂h(k)‖ for every loss term J(t) and step k. */
export interface GradientFlow {
  /** T: steps of the sequence. */
  steps: number;
  /** (T×T) row-major: [(t−1)·T + (k−1)] = ‖γ_t(k)‖ = ‖∂J(t)/∂h(k)‖; zero for k > t. */
  byLossTerm: Float64Array;
  /** (T) [k−1] = ‖γ(k)‖ = ‖Σ_t γ_t(k)‖, the norm of what BPTT carries at step k. */
  total: Float64Array;
  /** (T×T×H) [((t−1)·T + (k−1))·H + j] = γ_t(k)[j], the vectors themselves; zero for k > t. */
  vectors: Float64Array;
  /** (T) [t−1] = J(t) = −log ŷ(t)[y(t)], in nats. */
  losses: Float64Array;
}

/**
 * The Trick 2 table of one sequence (inputs x(1..T), targets y(1..T)) for the
 * model's current weights. It runs the model's forward and backward passes on
 * a batch of its own, so it overwrites model.grads: call it between training
 * steps, not between a backward and the optimizer update.
 */
export function gradientFlow(model: RnnModel, input: readonly number[], target: readonly number[]): GradientFlow {
  const T = input.length;
  if (T === 0 || target.length !== T)
    throw new BpttError(
      `gradientFlow needs a non-empty sequence with one target per input (got ${T} inputs, ${target.length} targets)`,
      'pass a training sequence (input and target ids of equal length)',
    );
  const { hidden: H, vocabSize: V, layers: L, dtype } = model.config;
  const S = model.stateSize; // one row's recurrent state: every layer's h (and c)
  const layerState = model.cellType.statesPerUnit * H;

  // The sequence step by step (inference, no caches): the states after every step, ŷ(t), J(t).
  const states: FloatArray[] = [allocate(dtype, S)]; // states[k]: after k steps (states[0] = h0 = 0)
  const logits = allocate(dtype, V);
  const id = new Int32Array(1);
  const losses = new Float64Array(T);
  const local: Float64Array[] = []; // γ_t(t) = Uᵀ(ŷ(t) − y(t)), H each
  for (let t = 0; t < T; t++) {
    const next = allocate(dtype, S);
    id[0] = input[t];
    model.step(id, states[t], next, logits);
    states.push(next);
    const dTheta = softmax(logits); // ŷ(t) (3.1) …
    losses[t] = -Math.log(dTheta[target[t]]); // (3.2)
    dTheta[target[t]] -= 1; // … then dθ = ŷ − y
    local.push(transposedProduct(model.weights.U, dTheta, V, H)); // from (2.1): γ_t(t) = Uᵀ dθ
  }

  // One row per pair k < t (0-based steps here), longest first so batchFromRows keeps their order.
  const pairs: { k: number; t: number }[] = [];
  for (let t = 0; t < T; t++) for (let k = 0; k < t; k++) pairs.push({ k, t });
  pairs.sort((a, b) => b.t - b.k - (a.t - a.k));
  const B = pairs.length;
  const gammas = new Map<number, Float64Array>(); // key t·T + k → γ_t(k)
  for (let t = 0; t < T; t++) gammas.set(t * T + t, local[t]);
  if (B > 0) {
    const batch = batchFromRows(
      pairs.map(({ k, t }) => input.slice(k + 1, t + 1)),
      pairs.map(({ k, t }) => target.slice(k + 1, t + 1)),
    );
    // Only J(t), each row's last position, counts: mask the others out (they still run forward).
    batch.mask.fill(0);
    pairs.forEach(({ k, t }, row) => (batch.mask[(t - k - 1) * B + row] = 1));
    batch.tokens = B;
    // Each row's initial state is the sequence's state after step k, laid out as forward() reads it:
    // per layer, the B rows' h, then (LSTM) the B rows' c.
    const initial = allocate(dtype, B * S);
    pairs.forEach(({ k }, row) => {
      for (let layer = 0; layer < L; layer++) {
        for (let part = 0; part < layerState / H; part++) {
          const from = layer * layerState + part * H;
          initial.set(states[k + 1].subarray(from, from + H), layer * B * layerState + part * B * H + row * H);
        }
      }
    });
    model.forward(batch, initial);
    model.backward({ scale: 1, clip: Infinity });
    const gradient = model.initialStateGradient(); // same layout as `initial`
    pairs.forEach(({ k, t }, row) => {
      const at = (L - 1) * B * layerState + row * H;
      gammas.set(t * T + k, Float64Array.from(gradient.subarray(at, at + H)));
    });
  }

  const byLossTerm = new Float64Array(T * T);
  const vectors = new Float64Array(T * T * H);
  const total = new Float64Array(T);
  for (let k = 0; k < T; k++) {
    const sum = new Float64Array(H); // Trick 2: γ(k) = Σ_t γ_t(k)
    for (let t = k; t < T; t++) {
      const gamma = gammas.get(t * T + k)!;
      byLossTerm[t * T + k] = norm(gamma);
      vectors.set(gamma, (t * T + k) * H);
      for (let j = 0; j < H; j++) sum[j] += gamma[j];
    }
    total[k] = norm(sum);
  }
  return { steps: T, byLossTerm, total, losses, vectors };
}

/** (3.1) ŷ = softmax(θ), in float64. */
function softmax(theta: FloatArray): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < theta.length; i++) max = Math.max(max, theta[i]);
  const out = new Float64Array(theta.length);
  let sum = 0;
  for (let i = 0; i < theta.length; i++) sum += out[i] = Math.exp(theta[i] - max);
  for (let i = 0; i < theta.length; i++) out[i] /= sum;
  return out;
}

/** Uᵀ·v for U (rows×cols) row-major and v (rows): a (cols) vector. */
function transposedProduct(U: FloatArray, v: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += U[i * cols + j] * v[i];
  return out;
}

function norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}

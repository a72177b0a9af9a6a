/**
 * The seed's derivation, with numbers: one sequence through a one-layer RNN
 * (the seed's unit), keeping every intermediate value the equations name,
 * computed by the very functions training runs (src/nn), one step at a time
 * on a batch of one row.
 *
 * Forward, t = 1..T:
 *   (1.1) z(t) = Wh·h(t−1) + Wx·x(t) + b1        inputPreactivation, then recurrentPreactivation
 *   (1.2) h(t) = σ(z(t))                          activationForward
 *   (2.1) θ(t) = U·h(t) + b2                      affineForward
 *   (3.1) ŷ(t) = softmax(θ(t))                    softmaxCrossEntropyForward
 *   (3.2) J(t) = −log ŷ(t)[y(t)]   (3.3) J = Σ_t J(t)
 * Backward, t = T..1 (J unscaled: one sequence, no clipping):
 *   dθ(t) = ŷ(t) − y(t)                           softmaxCrossEntropyBackward
 *   γ_t(t) = Uᵀ dθ(t)                             affineBackward (also dU, db2)
 *   γ(t) = γ_t(t) + γ carried from step t + 1     Trick 2: the summed γ
 *   dz(t) = γ(t) ∘ σ'(z(t)),  (6.2) γ(t−1) = Whᵀ dz(t)      rnnCellBackwardStep
 *   (5.2) ∂J/∂Wh(t) = dz(t)·h(t−1)ᵀ              recurrentWeightGradient, one step's term
 * and Σ_t of the step terms (4.1) is ∂J/∂Wh, as the model's backward() gives it.
 *
 * Dimensions: T steps, H hidden, V vocabulary, D input (V one-hot, or the
 * embedding's d). Vectors are copied out as float64.
 */
import { BpttError } from '../core/errors.js';
import { affineBackward, affineForward } from '../nn/affine.js';
import { activationForward } from '../nn/activation.js';
import { embeddingBackward, embeddingForward } from '../nn/embedding.js';
import { inputPreactivation, inputWeightGradients, packRecurrentBackward, packRecurrentForward, recurrentPreactivation, recurrentWeightGradient, rnnCellBackwardStep, rnnCellInputGradient, type CellInput, type RnnCellShape } from '../nn/rnn-cell.js';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from '../nn/softmax-cross-entropy.js';
import type { RnnModel } from './rnn-model.js';

export interface DerivedStep {
  /** x(t) and y(t) as token ids. */
  input: number;
  target: number;
  /** (H) h(t−1), what step t reads (h(0) = 0). */
  hPrev: Float64Array;
  /** (H) the input half of (1.1): Wx·x(t) + b1. */
  inputHalf: Float64Array;
  /** (H) (1.1) z(t) = Wh·h(t−1) + Wx·x(t) + b1. */
  z: Float64Array;
  /** (H) (1.2) h(t) = σ(z(t)). */
  h: Float64Array;
  /** (V) (2.1) θ(t) = U·h(t) + b2. */
  theta: Float64Array;
  /** (V) (3.1) ŷ(t). */
  yHat: Float64Array;
  /** (3.2) J(t), nats. */
  loss: number;
  /** (V) ∂J/∂θ(t) = ŷ(t) − y(t). */
  dTheta: Float64Array;
  /** (H) γ_t(t) = Uᵀ dθ(t): J(t)'s own pull on h(t). */
  local: Float64Array;
  /** (H) γ(t) = ∂J/∂h(t), the sum over every J(t'), t' ≥ t (Trick 2). */
  gamma: Float64Array;
  /** (H) dz(t) = γ(t) ∘ σ'(z(t)). */
  dz: Float64Array;
  /** (H) (6.2) γ(t−1) = Whᵀ dz(t): what step t passes back (the carried part of γ(t−1)). */
  gammaPrev: Float64Array;
  /** (H×H) (5.2) this step's term of ∂J/∂Wh: dz(t)·h(t−1)ᵀ, row-major. */
  dWh: Float64Array;
}

export interface Derivation {
  steps: DerivedStep[];
  /** (3.3) J = Σ_t J(t). */
  loss: number;
  /** Σ_t of the steps' terms (4.1), and the other weights' gradients, as backward() would leave them (scale 1, no clipping). */
  gradients: { Wh: Float64Array; Wx: Float64Array; b1: Float64Array; U: Float64Array; b2: Float64Array; embedding: Float64Array };
}

/**
 * Walks one sequence (inputs x(1..T), targets y(1..T)) through the seed's equations on the model's
 * current weights (no dropout). The model must be a one-layer RNN (cell 'rnn', any activation).
 */
export function derive(model: RnnModel, input: readonly number[], target: readonly number[]): Derivation {
  const { cell, layers, hidden: H, vocabSize: V, embed: d, dtype, activation } = model.config;
  if (cell !== 'rnn' || layers !== 1) throw new BpttError(`the derivation walks the seed's one-layer RNN; this model is ${layers > 1 ? `${layers} layers of ` : ''}${cell}`, 'choose cell RNN and 1 layer');
  const T = input.length;
  if (T === 0 || target.length !== T) throw new BpttError(`derive needs a non-empty sequence with one target per input (got ${T} inputs, ${target.length} targets)`, 'pass input and target ids of equal length');
  const k = model.kernels;
  const w = model.layerWeights[0];
  const D = d > 0 ? d : V;
  const shape: RnnCellShape = { rows: 1, hidden: H, inputSize: D, activation, units: H };
  const buffer = (length: number) => k.allocate(dtype, length);
  const copy = (values: ArrayLike<number>) => Float64Array.from(values);

  // Forward, one step at a time on a batch of one row.
  const WhForward = buffer(k.packedSize(dtype, H, H));
  packRecurrentForward(k, WhForward, w.Wh, shape);
  const ids = new Int32Array(1);
  const targetId = new Int32Array(1);
  const mask = new Float32Array([1]);
  const x = buffer(Math.max(1, d));
  const z = buffer(H);
  const hPrev = buffer(H); // h(0) = 0
  const probs = buffer(V);
  const steps: DerivedStep[] = [];
  const xs: Float64Array[] = []; // x(t) for the input gradients (embedding only)
  for (let t = 0; t < T; t++) {
    ids[0] = input[t];
    targetId[0] = target[t];
    const cellInput: CellInput = d > 0 ? { kind: 'dense', x } : { kind: 'one-hot', ids };
    if (d > 0) embeddingForward(k, x, model.weights.embedding, ids, 1, d); // x(t) = E[x(t)]
    xs.push(copy(x));
    inputPreactivation(k, z, cellInput, w, shape); // Wx·x(t) + b1
    const inputHalf = copy(z);
    recurrentPreactivation(k, z, hPrev, WhForward, shape); // (1.1) z(t) += Wh·h(t−1)
    const zCopy = copy(z);
    activationForward(k, activation, z, H); // (1.2) in place: z → h(t)
    affineForward(k, probs, z, model.weights, 1, H, V); // (2.1) θ(t)
    const theta = copy(probs);
    const loss = softmaxCrossEntropyForward(k, probs, targetId, mask, 1, V); // (3.1) θ → ŷ in place, (3.2) J(t)
    steps.push({
      input: input[t],
      target: target[t],
      hPrev: copy(hPrev),
      inputHalf,
      z: zCopy,
      h: copy(z),
      theta,
      yHat: copy(probs),
      loss,
      dTheta: new Float64Array(V),
      local: new Float64Array(H),
      gamma: new Float64Array(H),
      dz: new Float64Array(H),
      gammaPrev: new Float64Array(H),
      dWh: new Float64Array(H * H),
    });
    hPrev.set(z);
  }

  // Backward, t = T..1, into gradient arrays of our own (the model's grads are left alone).
  const grads = { Wh: buffer(H * H), Wx: buffer(H * D), b1: buffer(H), U: buffer(V * H), b2: buffer(V), bh: buffer(0), embedding: buffer(d > 0 ? V * d : 0) };
  const WhBackward = buffer(k.packedSize(dtype, H, H));
  packRecurrentBackward(k, WhBackward, w.Wh, shape);
  const h = buffer(H);
  const gamma = buffer(H);
  const dz = buffer(H);
  const carried = buffer(H); // γ(t) arriving from step t + 1 by (6.2); zero after the last step
  const stepDWh = buffer(H * H);
  const dx = buffer(Math.max(1, d));
  for (let t = T - 1; t >= 0; t--) {
    const step = steps[t];
    ids[0] = step.input;
    targetId[0] = step.target;
    probs.set(step.yHat);
    h.set(step.h);
    softmaxCrossEntropyBackward(k, probs, targetId, mask, 1, 1, V); // dθ(t) = ŷ(t) − y(t)
    step.dTheta.set(probs);
    affineBackward(k, gamma, probs, h, model.weights, grads, 1, H, V); // γ_t(t) = Uᵀ dθ(t); dU, db2 += …
    step.local.set(gamma);
    k.add(gamma, carried, H); // Trick 2: γ(t) = γ_t(t) + the γ carried back from t + 1
    step.gamma.set(gamma);
    rnnCellBackwardStep(k, carried, dz, gamma, h, WhBackward, shape); // dz(t) = γ(t) ∘ σ'(z(t)); (6.2) γ(t−1) = Whᵀ dz(t)
    step.dz.set(dz);
    step.gammaPrev.set(carried);
    hPrev.set(step.hPrev);
    stepDWh.fill(0);
    recurrentWeightGradient(k, stepDWh, dz, hPrev, shape); // (5.2) dz(t)·h(t−1)ᵀ
    step.dWh.set(stepDWh);
    k.add(grads.Wh, stepDWh, H * H); // (4.1) Σ_t
    if (d > 0) x.set(xs[t]);
    const cellInput: CellInput = d > 0 ? { kind: 'dense', x } : { kind: 'one-hot', ids };
    inputWeightGradients(k, grads, dz, cellInput, shape); // dWx, db1 += …
    if (d > 0) {
      rnnCellInputGradient(k, dx, dz, w, shape); // ∂J/∂x(t) = Wxᵀ dz(t)
      embeddingBackward(k, grads.embedding, dx, ids, 1, d);
    }
  }
  return {
    steps,
    loss: steps.reduce((sum, step) => sum + step.loss, 0), // (3.3)
    gradients: { Wh: copy(grads.Wh), Wx: copy(grads.Wx), b1: copy(grads.b1), U: copy(grads.U), b2: copy(grads.b2), embedding: copy(grads.embedding) },
  };
}

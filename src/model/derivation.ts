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
 * The cell's own part of a step is the cell's: its type's `derivation`
 * (src/nn/*-cell.ts) does (1.1)–(1.2) and dz(t), (6.2) for the seed's RNN
 * (rnnCellBackwardStep), and the LSTM's (docs/derivations/lstm.md)
 * lstmCellForward (L.1)–(L.4) and lstmCellBackwardStep (L.5)–(L.11), with
 * κ = ∂J/∂c carried back beside γ; its z has 4H entries (gates i, f, g, o).
 * This walk names no cell.
 *
 * Dimensions: T steps, H hidden, V vocabulary, D input (V one-hot, or the
 * embedding's d), G = H (RNN) or 4H (LSTM) pre-activations. Vectors are
 * copied out as float64.
 */
import { BpttError } from '../core/errors.js';
import { affineBackward, affineForward } from '../nn/affine.js';
import { CELL_TYPES } from '../nn/cells.js';
import { embeddingBackward, embeddingForward } from '../nn/embedding.js';
import {
  cellInputGradient,
  inputPreactivation,
  inputWeightGradients,
  packRecurrentBackward,
  packRecurrentForward,
  recurrentWeightGradient,
  type CellBackwardValues,
  type CellInput,
  type CellShape,
  type CellStepValues,
} from '../nn/recurrent-cell.js';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from '../nn/softmax-cross-entropy.js';
import type { RnnModel } from './rnn-model.js';

/** One time step of a derivation: its forward values (1.1)–(3.3) and its backward ones (5.2), (6.2). */
export interface DerivedStep extends CellStepValues, CellBackwardValues {
  /** x(t) and y(t) as token ids. */
  input: number;
  target: number;
  /** (H) h(t−1), what step t reads (h(0) = 0). */
  hPrev: Float64Array;
  /** (G) the input half of (1.1): Wx·x(t) + b1. */
  inputHalf: Float64Array;
  /** (H) (1.2) h(t) = σ(z(t)); the LSTM's (L.4) h(t) = o ∘ tanh(c(t)). z(t) and the cell's own values: CellStepValues. */
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
  /** (G) dz(t) = ∂J/∂z(t): γ(t) ∘ σ'(z(t)) for the RNN; the LSTM's [dz_i | dz_f | dz_g | dz_o] of (L.6)–(L.9). */
  dz: Float64Array;
  /** (H) (6.2) γ(t−1) = Whᵀ dz(t): what step t passes back (the carried part of γ(t−1)); (L.11) for the LSTM. */
  gammaPrev: Float64Array;
  /** (G×H) (5.2) this step's term of ∂J/∂Wh: dz(t)·h(t−1)ᵀ, row-major; (L.10) for the LSTM. */
  dWh: Float64Array;
}

/** One sequence walked through the blog's equations: every step's values, the loss and the summed gradients. */
export interface Derivation {
  steps: DerivedStep[];
  /** (3.3) J = Σ_t J(t). */
  loss: number;
  /** Σ_t of the steps' terms (4.1), and the other weights' gradients, as backward() would leave them (scale 1, no clipping). */
  gradients: { Wh: Float64Array; Wx: Float64Array; b1: Float64Array; U: Float64Array; b2: Float64Array; embedding: Float64Array };
}

/** The cells the walk explains (those with a `derivation`), as a reader names them: "RNN or LSTM". */
const WALKED = Object.values(CELL_TYPES)
  .filter((type) => type.derivation !== undefined)
  .map((type) => type.name.toUpperCase())
  .join(' or ');

/**
 * Walks one sequence (inputs x(1..T), targets y(1..T)) through the equations on the model's
 * current weights (no dropout). The model must have one layer, of a cell whose type has a
 * `derivation` (recurrent-cell.ts): the seed's RNN (any activation) or the LSTM.
 */
export function derive(model: RnnModel, input: readonly number[], target: readonly number[]): Derivation {
  const { cell, layers, hidden: H, vocabSize: V, embed: d, dtype, activation } = model.config;
  const type = CELL_TYPES[cell];
  if (type.derivation === undefined || layers !== 1)
    throw new BpttError(
      `the derivation walks a one-layer ${WALKED}; this model is ${layers > 1 ? `${layers} layers of ` : ''}${cell}`,
      `choose cell ${WALKED} and 1 layer`,
    );
  const T = input.length;
  if (T === 0 || target.length !== T)
    throw new BpttError(
      `derive needs a non-empty sequence with one target per input (got ${T} inputs, ${target.length} targets)`,
      'pass input and target ids of equal length',
    );
  const k = model.kernels;
  const w = model.layerWeights[0];
  const D = d > 0 ? d : V;
  const G = type.gatesPerUnit * H;
  const shape: CellShape = { rows: 1, hidden: H, inputSize: D, activation, units: G };
  const buffer = (length: number) => k.allocate(dtype, length);
  const copy = (values: ArrayLike<number>) => Float64Array.from(values);
  // Wh packed for the two products, (1.1) forward and (6.2) backward; the cell's step of one row.
  const WhForward = buffer(k.packedSize(dtype, H, G));
  packRecurrentForward(k, WhForward, w.Wh, shape);
  const WhBackward = buffer(k.packedSize(dtype, G, H));
  packRecurrentBackward(k, WhBackward, w.Wh, shape);
  const walk = type.derivation(k, WhForward, WhBackward, shape, buffer);

  // Forward, one step at a time on a batch of one row.
  const ids = new Int32Array(1);
  const targetId = new Int32Array(1);
  const mask = new Float32Array([1]);
  const x = buffer(Math.max(1, d));
  const z = buffer(G); // the input half, then what the cell makes of it in place (the RNN: h; the LSTM: the gate values)
  const h = buffer(H);
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
    const { z: zValues, ...cellValues } = walk.forward(z, h, hPrev); // (1.1), (1.2): h(t); the LSTM's (L.1)–(L.4)
    affineForward(k, probs, h, model.weights, 1, H, V); // (2.1) θ(t)
    const theta = copy(probs);
    const loss = softmaxCrossEntropyForward(k, probs, targetId, mask, 1, V); // (3.1) θ → ŷ in place, (3.2) J(t)
    steps.push({
      input: input[t],
      target: target[t],
      hPrev: copy(hPrev),
      inputHalf,
      z: zValues,
      h: copy(h),
      ...cellValues,
      theta,
      yHat: copy(probs),
      loss,
      dTheta: new Float64Array(V),
      local: new Float64Array(H),
      gamma: new Float64Array(H),
      dz: new Float64Array(G),
      gammaPrev: new Float64Array(H),
      dWh: new Float64Array(G * H),
    });
    hPrev.set(h);
  }

  // Backward, t = T..1, into gradient arrays of our own (the model's grads are left alone).
  const grads = { Wh: buffer(G * H), Wx: buffer(G * D), b1: buffer(G), U: buffer(V * H), b2: buffer(V), bh: buffer(0), embedding: buffer(d > 0 ? V * d : 0) };
  const gamma = buffer(H);
  const dz = buffer(G);
  const carried = buffer(H); // γ(t) arriving from step t + 1 by (6.2); zero after the last step
  const stepDWh = buffer(G * H);
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
    Object.assign(step, walk.backward(carried, dz, gamma, h, step)); // dz(t) = γ(t) ∘ σ'(z(t)); (6.2) γ(t−1) = Whᵀ dz(t); the LSTM's (L.5)–(L.11)
    step.dz.set(dz);
    step.gammaPrev.set(carried);
    hPrev.set(step.hPrev);
    stepDWh.fill(0);
    recurrentWeightGradient(k, stepDWh, dz, hPrev, shape); // (5.2) dz(t)·h(t−1)ᵀ
    step.dWh.set(stepDWh);
    k.add(grads.Wh, stepDWh, G * H); // (4.1) Σ_t
    if (d > 0) x.set(xs[t]);
    const cellInput: CellInput = d > 0 ? { kind: 'dense', x } : { kind: 'one-hot', ids };
    inputWeightGradients(k, grads, dz, cellInput, shape); // dWx, db1 += …
    if (d > 0) {
      cellInputGradient(k, dx, dz, w, shape); // ∂J/∂x(t) = Wxᵀ dz(t)
      embeddingBackward(k, grads.embedding, dx, ids, 1, d);
    }
  }
  return {
    steps,
    loss: steps.reduce((sum, step) => sum + step.loss, 0), // (3.3)
    gradients: { Wh: copy(grads.Wh), Wx: copy(grads.Wx), b1: copy(grads.b1), U: copy(grads.U), b2: copy(grads.b2), embedding: copy(grads.embedding) },
  };
}

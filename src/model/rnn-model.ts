/**
 * The whole network of the seed, unrolled over T steps for a batch of B sequences:
 *
 *   [embedding] → RNN unit (1.1, 1.2) → affine (2.1) → softmax + cross-entropy (3.1–3.3)
 *
 * and its backward pass, backpropagation through time exactly as derived:
 * one sweep t = T..1 that carries the accumulated γ = ∂J/∂h backwards
 * (Trick 2) and adds each step's gradients into one set of parameter
 * gradients (the dummy variables of Eq. 4.1 summed).
 *
 * Dimensions: T steps, B rows, H hidden, V vocabulary, D input size (V one-hot or d).
 */
import type { FloatArray } from '../core/arrays.js';
import type { Batch } from '../core/batch.js';
import { ParameterLayout, type Init, type ParameterSpec } from '../core/parameters.js';
import { Random } from '../core/random.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { affineBackward, affineForward } from '../nn/affine.js';
import { embeddingBackward, embeddingForward } from '../nn/embedding.js';
import { rnnCellBackwardStep, rnnCellForward, rnnCellInputGradient, rnnCellWeightGradients, type CellInput, type RnnCellShape } from '../nn/rnn-cell.js';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from '../nn/softmax-cross-entropy.js';
import type { ModelConfig } from './config.js';

/** The parameter table of a config: names, shapes (out, in) and initialisation. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { hidden: H, vocabSize: V, embed } = config;
  const D = embed > 0 ? embed : V;
  const weight: Init = config.init === 'seed' ? { kind: 'normal', std: 1 } : { kind: 'uniform', limit: 1 / Math.sqrt(H) };
  const bias: Init = config.init === 'seed' ? { kind: 'zeros' } : { kind: 'uniform', limit: 1 / Math.sqrt(H) };
  const specs: ParameterSpec[] = [];
  if (embed > 0) specs.push({ name: 'embedding', shape: [V, embed], init: { kind: 'normal', std: 1 } });
  specs.push(
    { name: 'Wh', shape: [H, H], init: weight },
    { name: 'Wx', shape: [H, D], init: weight },
    { name: 'b1', shape: [H], init: bias },
    { name: 'U', shape: [V, H], init: weight },
    { name: 'b2', shape: [V], init: bias },
  );
  return specs;
}

/** Named views into the flat parameter (or gradient) array. */
export interface RnnWeights {
  /** (H×H) */ Wh: FloatArray;
  /** (H×D) */ Wx: FloatArray;
  /** (H) */ b1: FloatArray;
  /** (V×H) */ U: FloatArray;
  /** (V) */ b2: FloatArray;
  /** (V×d), only when embed > 0 */ embedding: FloatArray;
}

export interface BackwardOptions {
  /** 1/N: the loss is Σ mask·J(t) / N (see softmax-cross-entropy.ts). */
  scale: number;
  /**
   * Elementwise clip limit c, applied where the seed's notebook applies it:
   * to ∂J(t)/∂h(t) coming out of the affine layer before it enters BPTT, and
   * to every parameter gradient after BPTT. Infinity turns clipping off.
   */
  clip: number;
  /**
   * false: leave the parameter gradients unclipped (when several replicas
   * each compute part of a batch, the clip applies to their sum).
   */
  clipParameterGradients?: boolean;
}

/**
 * Activations cached by forward() for backward(), as views sized for the
 * current batch (T, B) into storage that only grows: batches of other shapes
 * (a short last batch, another thread's share of rows) reuse the same memory.
 */
class Workspace {
  /** h(0..T): (T+1)×B×H; block 0 is h0. */
  h!: FloatArray;
  /** x(1..T) from the embedding: T×B×d (empty for one-hot). */
  x!: FloatArray;
  /** θ(t) → ŷ(t) → dθ(t), in place: T×B×V. */
  probs!: FloatArray;
  /** γ(t−1) passed from step t to step t − 1: B×H. */
  gammaPrev!: FloatArray;
  /** γ_t(t) from the affine layer, then γ(t), then dz(t) = γ(t) ∘ σ'(z(t)), in place: T×B×H. */
  dz!: FloatArray;
  /** ∂J/∂x(t), with an embedding: T×B×d. */
  dx!: FloatArray;
  /** Whᵀ, for the backward sweep: H×H. */
  WhT!: FloatArray;

  private storage: Record<string, FloatArray> = {};

  constructor(private readonly allocate: (length: number) => FloatArray) {}

  /** Points the views at storage for T steps of B rows, growing it if needed. */
  shape(T: number, B: number, H: number, V: number, d: number): void {
    this.h = this.view('h', (T + 1) * B * H);
    this.x = this.view('x', T * B * d);
    this.probs = this.view('probs', T * B * V);
    this.gammaPrev = this.view('gammaPrev', B * H);
    this.dz = this.view('dz', T * B * H);
    this.dx = this.view('dx', T * B * d);
    this.WhT = this.view('WhT', H * H);
  }

  private view(name: string, length: number): FloatArray {
    let store = this.storage[name];
    if (!store || store.length < length) store = this.storage[name] = this.allocate(Math.max(length, Math.ceil((store?.length ?? 0) * 1.5)));
    return store.subarray(0, length);
  }
}

export class RnnModel {
  readonly config: ModelConfig;
  readonly layout: ParameterLayout;
  /** All parameters in one flat array; `weights` are named views into it. */
  readonly params: FloatArray;
  /** Gradients, same layout as params. */
  readonly grads: FloatArray;
  readonly weights: RnnWeights;
  readonly gradients: RnnWeights;
  kernels: Kernels;

  private workspace: Workspace | null = null;
  private lastBatch: Batch | null = null;

  /**
   * `sharedParams`: use these parameters instead of allocating new ones (a
   * replica of a model on another thread, computing gradients for part of a
   * batch, reads the same weights).
   */
  constructor(config: ModelConfig, kernels: Kernels = referenceKernels, sharedParams?: FloatArray) {
    this.config = { ...config };
    this.layout = new ParameterLayout(parameterSpecs(config));
    this.params = sharedParams ?? kernels.allocate(config.dtype, this.layout.size);
    this.grads = kernels.allocate(config.dtype, this.layout.size);
    this.weights = this.layout.views(this.params) as unknown as RnnWeights;
    this.gradients = this.layout.views(this.grads) as unknown as RnnWeights;
    this.kernels = kernels;
  }

  /** A model with freshly initialised weights (config.init), reproducible from the seed. */
  static initialized(config: ModelConfig, seed: number, kernels?: Kernels): RnnModel {
    const model = new RnnModel(config, kernels);
    model.layout.initialize(model.params, new Random(seed, 0x1417));
    return model;
  }

  get inputSize(): number {
    return this.config.embed > 0 ? this.config.embed : this.config.vocabSize;
  }

  private cellShape(rows: number): RnnCellShape {
    return { rows, hidden: this.config.hidden, inputSize: this.inputSize, activation: this.config.activation };
  }

  private workspaceFor(steps: number, rows: number): Workspace {
    this.workspace ??= new Workspace((length) => this.kernels.allocate(this.config.dtype, length));
    const { hidden: H, vocabSize: V, embed: d } = this.config;
    this.workspace.shape(steps, rows, H, V, d);
    return this.workspace;
  }

  /** x(t) of the first `rows` rows: token ids for one-hot input, or the cached embeddings. */
  private input(ws: Workspace, batch: Batch, t: number, rows: number): CellInput {
    const B = batch.rows;
    if (this.config.embed === 0) return { kind: 'one-hot', ids: batch.inputs.subarray(t * B, t * B + rows) };
    const d = this.config.embed;
    return { kind: 'dense', x: ws.x.subarray(t * B * d, (t * B + rows) * d) };
  }

  /**
   * Runs the network over a batch and caches what backward() needs.
   * h0 (B×H) defaults to zeros. Returns Σ mask·J(t), the summed loss in nats
   * over the batch's real tokens (divide by N for the seed's J, by batch.tokens for nats/char).
   */
  forward(batch: Batch, h0?: FloatArray): number {
    const k = this.kernels;
    const { steps: T, rows: B } = batch;
    const { hidden: H, vocabSize: V, embed: d } = this.config;
    const ws = this.workspaceFor(T, B);
    const w = this.weights;
    if (h0) ws.h.set(h0.subarray(0, B * H));
    else ws.h.fill(0, 0, B * H);

    // The recurrence, step by step: (1.1), (1.2).
    for (let t = 0; t < T; t++) {
      const rows = batch.activeRows[t]; // only rows with a real token at step t (a prefix): padding costs nothing
      const h = ws.h.subarray((t + 1) * B * H, (t + 2) * B * H);
      h.fill(0, rows * H); // padded positions hold zeros, so they add nothing to the sums over all steps below
      if (d > 0) ws.x.fill(0, (t * B + rows) * d, (t + 1) * B * d);
      if (rows === 0) continue;
      const ids = batch.inputs.subarray(t * B, t * B + rows);
      if (d > 0) embeddingForward(k, ws.x.subarray(t * B * d, (t * B + rows) * d), w.embedding, ids, rows, d);
      const hPrev = ws.h.subarray(t * B * H, (t * B + rows) * H);
      rnnCellForward(k, h.subarray(0, rows * H), hPrev, this.input(ws, batch, t, rows), w, this.cellShape(rows));
    }

    // The output layers do not feed back into the recurrence, so all T steps go through them
    // at once, as one batch of T·B rows: (2.1), then (3.1), (3.2) and the sum of (3.3).
    const hAll = ws.h.subarray(B * H, (T + 1) * B * H);
    affineForward(k, ws.probs, hAll, w, T * B, H, V);
    const lossSum = softmaxCrossEntropyForward(k, ws.probs, batch.targets, batch.mask, T * B, V);
    this.lastBatch = batch;
    return lossSum;
  }

  /**
   * Backpropagation through time over the batch of the last forward().
   * Overwrites `grads` with ∂J/∂params (J scaled by options.scale) and returns
   * the number of gradient entries that clipping changed.
   *
   * The order is the notebook's: first every J(t) back through softmax and
   * the affine layer (all steps at once), giving dU, db2 and each step's local
   * γ_t(t); then the sweep t = T..1 carrying the accumulated γ (Trick 2) and
   * storing dz(t) = γ(t) ∘ σ'(z(t)); finally the gradients of the tied
   * weights, Σ over steps of (5.2) (Eq. 4.1), each as one matrix product over
   * all T·B rows.
   */
  backward(options: BackwardOptions): number {
    const batch = this.lastBatch;
    const ws = this.workspace;
    if (!batch || !ws) throw new Error('backward() needs a forward() first');
    const k = this.kernels;
    const { steps: T, rows: B } = batch;
    const { hidden: H, vocabSize: V, embed: d } = this.config;
    const w = this.weights;
    const g = this.gradients;
    const clip = options.clip;
    let clipped = 0;
    this.grads.fill(0);

    // J(t) → θ(t) → h(t) for every t: dθ, then dU, db2 and γ_t(t) (from (2.1)), into ws.dz.
    const hAll = ws.h.subarray(B * H, (T + 1) * B * H);
    const dz = ws.dz.subarray(0, T * B * H); // (T×B×H): γ_t(t), then the accumulated γ(t), then dz(t), in place
    softmaxCrossEntropyBackward(k, ws.probs, batch.targets, batch.mask, options.scale, T * B, V);
    affineBackward(k, dz, ws.probs, hAll, w, g, T * B, H, V);
    if (clip !== Infinity) clipped += k.clip(dz, T * B * H, clip); // the notebook clips dh before BPTT

    // The sweep back through time.
    k.transpose(ws.WhT, w.Wh, H, H);
    const gammaPrev = ws.gammaPrev; // (B×H): γ(t−1) flowing from step t to step t−1
    let rowsAfter = 0; // rows that were real at step t + 1 (none after the last step)
    for (let t = T - 1; t >= 0; t--) {
      const rows = batch.activeRows[t];
      const step = dz.subarray(t * B * H, (t * B + rows) * H);
      // Trick 2: γ(t) = γ_t(t) + Σ_{t' > t} γ_t'(t), one summed vector instead of T − t of them.
      // Rows whose last real token is at step t receive nothing from later (padded) steps.
      k.add(step, gammaPrev, rowsAfter * H);
      const h = ws.h.subarray((t + 1) * B * H, ((t + 1) * B + rows) * H);
      rnnCellBackwardStep(k, gammaPrev, step, step, h, ws.WhT, this.cellShape(rows)); // dz(t) in place, (6.2) γ(t−1)
      rowsAfter = rows;
    }
    // γ(0) = ∂J/∂h0; rows with no real token at all get none.
    gammaPrev.fill(0, rowsAfter * H, B * H);

    // Eq. 4.1: the tied weights' gradients sum the dummy variables' (5.2) over all steps.
    const hPrevAll = ws.h.subarray(0, T * B * H);
    const input = this.input(ws, batch, 0, T * B);
    rnnCellWeightGradients(k, g, dz, hPrevAll, input, this.cellShape(T * B));
    if (d > 0) {
      const dx = ws.dx.subarray(0, T * B * d);
      rnnCellInputGradient(k, dx, dz, w, this.cellShape(T * B));
      embeddingBackward(k, g.embedding, dx, batch.inputs, T * B, d);
    }

    if (clip !== Infinity && options.clipParameterGradients !== false) clipped += k.clip(this.grads, this.grads.length, clip);
    return clipped;
  }

  /** ∂J/∂h0 (B×H) from the last backward(): how the loss depends on the initial hidden state. */
  initialStateGradient(): FloatArray {
    const batch = this.lastBatch;
    if (!batch || !this.workspace) throw new Error('initialStateGradient() needs a backward() first');
    return this.workspace.gammaPrev.subarray(0, batch.rows * this.config.hidden);
  }

  /**
   * Inference for one step, without caches: for each of `rows` sequences
   * feeds token ids[r], moves the hidden state from hPrev to h (both rows×H)
   * and writes the logits θ (rows×V). Used by sampling and evaluation of single strings.
   */
  step(ids: Int32Array, hPrev: FloatArray, h: FloatArray, logits: FloatArray, scratchX?: FloatArray): void {
    const k = this.kernels;
    const rows = ids.length;
    const { hidden: H, vocabSize: V, embed: d } = this.config;
    let input: CellInput = { kind: 'one-hot', ids };
    if (d > 0) {
      const x = scratchX ?? this.kernels.allocate(this.config.dtype, rows * d);
      embeddingForward(k, x, this.weights.embedding, ids, rows, d);
      input = { kind: 'dense', x };
    }
    rnnCellForward(k, h, hPrev, input, this.weights, this.cellShape(rows));
    affineForward(k, logits, h, this.weights, rows, H, V);
  }
}

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
import { packBatch, type Batch, type PackedBatch } from '../core/batch.js';
import { ParameterLayout, type Init, type ParameterSpec } from '../core/parameters.js';
import { Random } from '../core/random.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { affineBackward, affineForward } from '../nn/affine.js';
import { embeddingBackward, embeddingForward } from '../nn/embedding.js';
import { gruCellBackwardStep, gruCellForward, gruWeightGradients } from '../nn/gru-cell.js';
import { lstmCellBackwardStep, lstmCellForward } from '../nn/lstm-cell.js';
import { inputPreactivation, packRecurrentBackward, packRecurrentForward, rnnCellBackwardStep, rnnCellForward, rnnCellInputGradient, rnnCellWeightGradients, type CellInput, type RnnCellShape } from '../nn/rnn-cell.js';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from '../nn/softmax-cross-entropy.js';
import { gatesPerUnit, statesPerUnit, type Cell, type ModelConfig } from './config.js';

/** The parameter table of a config: names, shapes (out, in) and initialisation. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { hidden: H, vocabSize: V, embed } = config;
  const units = gatesPerUnit(config.cell) * H; // the LSTM stacks its four gates' weights: (4H × ·), the GRU three
  const weight: Init = config.init === 'seed' ? { kind: 'normal', std: 1 } : { kind: 'uniform', limit: 1 / Math.sqrt(H) };
  const bias: Init = config.init === 'seed' ? { kind: 'zeros' } : { kind: 'uniform', limit: 1 / Math.sqrt(H) };
  const specs: ParameterSpec[] = [];
  if (embed > 0) specs.push({ name: 'embedding', shape: [V, embed], init: { kind: 'normal', std: 1 } });
  for (let layer = 0; layer < config.layers; layer++) {
    // Layer 0 reads the tokens (one-hot or embedded, D wide); layer l > 0 reads layer l − 1's h (H wide).
    const D = layer > 0 ? H : embed > 0 ? embed : V;
    const name = (base: string) => layerParameterName(base, layer);
    specs.push(
      { name: name('Wh'), shape: [units, H], init: weight },
      { name: name('Wx'), shape: [units, D], init: weight },
      { name: name('b1'), shape: [units], init: bias },
      // The GRU keeps the recurrent bias apart: its reset gate multiplies Wh·h + bh (docs/derivations/gru.md).
      ...(config.cell === 'gru' ? [{ name: name('bh'), shape: [units], init: bias }] : []),
    );
  }
  specs.push({ name: 'U', shape: [V, H], init: weight }, { name: 'b2', shape: [V], init: bias });
  return specs;
}

/**
 * Rows [from, to) of a state laid out as forward's h0 (blocks of `rows`×H: per layer h, then c for
 * the LSTM), as a state of their own (to − from rows): the part one thread starts from.
 */
export function stateRows(state: FloatArray, rows: number, hidden: number, from: number, to: number): FloatArray {
  const blocks = state.length / (rows * hidden);
  const part = state.slice(0, blocks * (to - from) * hidden);
  for (let block = 0; block < blocks; block++) part.set(state.subarray((block * rows + from) * hidden, (block * rows + to) * hidden), block * (to - from) * hidden);
  return part;
}

/** The inverse of stateRows: writes a part's rows back at rows [from, from + part rows) of `state`. */
export function setStateRows(state: FloatArray, rows: number, hidden: number, from: number, part: FloatArray): void {
  const blocks = state.length / (rows * hidden);
  const partRows = part.length / (blocks * hidden);
  for (let block = 0; block < blocks; block++) state.set(part.subarray(block * partRows * hidden, (block + 1) * partRows * hidden), (block * rows + from) * hidden);
}

/** A recurrent layer's parameter name: Wh, Wx, b1, bh for layer 0; Wh_l1, … for layer 1 (PyTorch's …_l1). */
export function layerParameterName(base: string, layer: number): string {
  return layer === 0 ? base : `${base}_l${layer}`;
}

/** The views one step of a cell reads and writes (unused ones may be empty). */
interface CellStepViews {
  h: FloatArray;
  hPrev: FloatArray;
  c: FloatArray;
  cPrev: FloatArray;
  gates: FloatArray;
  inputPart: FloatArray;
  qn: FloatArray;
}

/** One recurrent layer's weights (bh only for the GRU). */
export interface RnnLayerWeights {
  Wh: FloatArray;
  Wx: FloatArray;
  b1: FloatArray;
  bh: FloatArray;
}

/** Named views into the flat parameter (or gradient) array; Wh, Wx, b1, bh are layer 0's. */
export interface RnnWeights {
  /** (H×H) */ Wh: FloatArray;
  /** (H×D) */ Wx: FloatArray;
  /** (H) */ b1: FloatArray;
  /** (V×H) */ U: FloatArray;
  /** (V) */ b2: FloatArray;
  /** (V×d), only when embed > 0 */ embedding: FloatArray;
  /** (3H), the GRU's recurrent bias only */ bh: FloatArray;
}

/** How RnnModel.backward scales and clips the gradients. */
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
  // P is the number of real positions of the batch (packed, see core/batch.ts).
  /** h0 (B rows), then h(t) of every real position, step after step: (B + P)×H. */
  h!: FloatArray;
  /** h(t−1) of every real position, stacked like dz (filled when the batch has padding, and at steps with resets): P×H. */
  hPrev!: FloatArray;
  /** The LSTM's c(t−1) at steps with resets (with the reset rows zeroed), stacked like hPrev: P×H. */
  cPrev!: FloatArray;
  /** x(t) from the embedding: P×d (empty for one-hot). */
  x!: FloatArray;
  /** θ(t) → ŷ(t) → dθ(t), in place: P×V. */
  probs!: FloatArray;
  /** γ(t−1) passed from step t to step t − 1: B×H. */
  gammaPrev!: FloatArray;
  /** γ_t(t) from the affine layer, then γ(t), then dz(t) = γ(t) ∘ σ'(z(t)), in place: P×H. */
  dz!: FloatArray;
  /** ∂J/∂x(t), with an embedding: P×d. */
  dx!: FloatArray;
  /** Wh packed for the forward product (Whᵀ, H×units) and for the backward one (Wh, units×H), once per batch (rnn-cell.ts). */
  WhForward!: FloatArray;
  WhBackward!: FloatArray;
  /** Dropout on this layer's input (layers > 0, training): the mask (0 or 1/(1 − p)) and the masked input, P×H each. */
  dropMask!: FloatArray;
  dropped!: FloatArray;
  /** Dropout on the top layer's output, before the affine layer (2.1) (top layer, training): mask and masked h, P×H each. */
  outputMask!: FloatArray;
  outputDropped!: FloatArray;
  // LSTM only (empty for the vanilla RNN):
  /** The gates' values i, f, g, o of every real position: P×4H. */
  gates!: FloatArray;
  /** c0 (B rows), then c(t) of every real position, like h: (B + P)×H. */
  c!: FloatArray;
  /** ∂J/∂z of the gates: P×4H. */
  dGates!: FloatArray;
  /** ∂J/∂c flowing from step t to step t − 1: B×H. */
  kappa!: FloatArray;
  /** ∂J/∂(h0, c0): B×2H. */
  initialGradient!: FloatArray;
  /** The state after each row's last step (B×stateSize, layer 0's workspace only; see RnnModel.finalState). */
  finalState!: FloatArray;
  // GRU only: gates (P×3H, r|u|n) and dGates (= dq) as above, and
  /** q_n, the recurrent part of n's pre-activation: P×H. */
  qn!: FloatArray;
  /** ∂J/∂p, the input part's gradient: P×3H. */
  dInput!: FloatArray;
  /** p = Wx·x + b1 of every real position: P×3H. */
  inputPart!: FloatArray;

  private storage: Record<string, FloatArray> = {};

  constructor(
    private readonly allocate: (length: number) => FloatArray,
    /** Elements of a packed K×N matrix (Kernels.packedSize). */
    private readonly packedSize: (k: number, n: number) => number,
  ) {}

  /** Points the views at storage for P packed positions of a batch of B rows, growing it if needed. */
  shape(P: number, B: number, H: number, V: number, d: number, cell: Cell, initialStateLength: number, dropout: boolean, outputDropout: boolean, resets: boolean): void {
    const lstm = cell === 'lstm';
    const gru = cell === 'gru';
    this.h = this.view('h', (B + P) * H);
    this.hPrev = this.view('hPrev', P * H);
    this.x = this.view('x', P * d);
    this.probs = this.view('probs', P * V);
    this.gammaPrev = this.view('gammaPrev', B * H);
    this.dz = this.view('dz', P * H);
    this.dx = this.view('dx', P * d);
    const units = gatesPerUnit(cell) * H;
    this.WhForward = this.view('WhForward', this.packedSize(H, units));
    this.WhBackward = this.view('WhBackward', this.packedSize(units, H));
    this.gates = this.view('gates', lstm || gru ? P * units : 0);
    this.c = this.view('c', lstm ? (B + P) * H : 0);
    this.cPrev = this.view('cPrev', lstm && resets ? P * H : 0);
    this.dGates = this.view('dGates', lstm || gru ? P * units : 0);
    this.qn = this.view('qn', gru ? P * H : 0);
    this.dInput = this.view('dInput', gru ? P * units : 0);
    this.inputPart = this.view('inputPart', gru ? P * units : 0);
    this.kappa = this.view('kappa', lstm ? B * H : 0);
    this.initialGradient = this.view('initialGradient', initialStateLength);
    this.finalState = this.view('finalState', initialStateLength);
    this.dropMask = this.view('dropMask', dropout ? P * H : 0);
    this.dropped = this.view('dropped', dropout ? P * H : 0);
    this.outputMask = this.view('outputMask', outputDropout ? P * H : 0);
    this.outputDropped = this.view('outputDropped', outputDropout ? P * H : 0);
  }

  private view(name: string, length: number): FloatArray {
    let store = this.storage[name];
    if (!store || store.length < length) store = this.storage[name] = this.allocate(Math.max(length, Math.ceil((store?.length ?? 0) * 1.5)));
    return store.subarray(0, length);
  }
}

/**
 * Inverted dropout: keeps each entry of `input` with probability 1 − p, scaled by 1/(1 − p), writing the
 * mask (0 or 1/(1 − p)) and the masked values; the backward pass multiplies the gradient by the same mask.
 */
function dropout(k: Kernels, dropped: FloatArray, mask: FloatArray, input: FloatArray, p: number, random: Random): void {
  for (let i = 0; i < input.length; i++) mask[i] = random.uniform() < p ? 0 : 1 / (1 - p);
  dropped.set(input);
  k.multiply(dropped, mask, input.length);
}

/** The network: embedding (optional), stacked recurrent layers (RNN, LSTM or GRU), the affine output layer and softmax cross-entropy, with forward, backward (BPTT) and single steps for sampling. Parameters and gradients each live in one flat array. */
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

  /** Each recurrent layer's weights and gradients: views named Wh, Wx, b1 (bh) of that layer. */
  readonly layerWeights: RnnLayerWeights[];
  readonly layerGradients: RnnLayerWeights[];

  /** One workspace per layer. */
  private workspaces: Workspace[] = [];
  private lastBatch: Batch | null = null;
  /** Whether the last forward() applied dropout (training) or not (evaluation, sampling). */
  private dropoutActive = false;
  /** Whether the last forward() was given an initial state (else it started from zeros). */
  private hadInitialState = false;

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
    const perLayer = (views: RnnWeights) =>
      Array.from({ length: config.layers }, (_, layer) => {
        const named = views as unknown as Record<string, FloatArray>;
        return { Wh: named[layerParameterName('Wh', layer)], Wx: named[layerParameterName('Wx', layer)], b1: named[layerParameterName('b1', layer)], bh: named[layerParameterName('bh', layer)] };
      });
    this.layerWeights = perLayer(this.weights);
    this.layerGradients = perLayer(this.gradients);
  }

  /** A model with freshly initialised weights (config.init), reproducible from the seed. */
  static initialized(config: ModelConfig, seed: number, kernels?: Kernels): RnnModel {
    const model = new RnnModel(config, kernels);
    model.layout.initialize(model.params, new Random(seed, 0x1417));
    if (config.cell === 'lstm' && config.forgetBias !== undefined) for (const w of model.layerWeights) w.b1.fill(config.forgetBias, config.hidden, 2 * config.hidden);
    return model;
  }

  get inputSize(): number {
    return this.config.embed > 0 ? this.config.embed : this.config.vocabSize;
  }

  /** `zeroStateRows`: how many of the rows (a prefix) read h(t−1) = the zero state (see RnnCellShape). */
  private cellShape(rows: number, layer = 0, zeroStateRows = 0): RnnCellShape {
    const { hidden, activation, cell } = this.config;
    return { rows, hidden, inputSize: layer > 0 ? hidden : this.inputSize, activation, units: gatesPerUnit(cell) * hidden, zeroStateRows };
  }

  /**
   * Rows of step t that read the zero state: all of step 0's when forward() got no initial state
   * (then h0 = 0 is a constant, Wh·h0 = 0, and ∂J/∂h0 is not computed). Rows that reset at a
   * document boundary read zeros too, but are not a prefix; they go through the products.
   */
  private zeroStateRowsAt(packed: PackedBatch, t: number): number {
    return t === 0 && !this.hadInitialState ? packed.offsets[1] : 0;
  }

  /** Numbers per row of one layer's recurrent state: h (H), or for the LSTM h then c (2H, as two blocks). */
  private get layerStateSize(): number {
    return statesPerUnit(this.config.cell) * this.config.hidden;
  }

  /** Numbers per row of the whole recurrent state: every layer's, layer after layer. */
  get stateSize(): number {
    return this.layerStateSize * this.config.layers;
  }

  private workspacesFor(positions: number, rows: number, resets: boolean): Workspace[] {
    const { hidden: H, vocabSize: V, embed: d, layers: L, cell, dtype } = this.config;
    while (this.workspaces.length < L) this.workspaces.push(new Workspace((length) => this.kernels.allocate(dtype, length), (k, n) => this.kernels.packedSize(dtype, k, n)));
    // Only layer 0 embeds tokens, only the top layer feeds the output layer.
    this.workspaces.forEach((ws, layer) =>
      ws.shape(positions, rows, H, layer === L - 1 ? V : 0, layer === 0 ? d : 0, cell, L * rows * this.layerStateSize, layer > 0 && this.dropoutActive, layer === L - 1 && this.dropoutActive, resets),
    );
    return this.workspaces;
  }

  /** What the output layer (2.1) reads: the top layer's h(t) of the P real positions, through the dropout mask when training with dropout. */
  private outputOf(top: Workspace, B: number, P: number): FloatArray {
    const H = this.config.hidden;
    return this.dropoutActive ? top.outputDropped.subarray(0, P * H) : top.h.subarray(B * H, (B + P) * H);
  }

  /**
   * x of `rows` packed positions from `offset` for a layer: for layer 0 token ids (one-hot)
   * or the cached embeddings; for layer l > 0 the h of layer l − 1 at those positions.
   */
  private input(layer: number, packed: PackedBatch, B: number, offset: number, rows: number): CellInput {
    if (layer > 0) {
      const H = this.config.hidden;
      if (this.dropoutActive) return { kind: 'dense', x: this.workspaces[layer].dropped.subarray(offset * H, (offset + rows) * H) };
      return { kind: 'dense', x: this.workspaces[layer - 1].h.subarray((B + offset) * H, (B + offset + rows) * H) };
    }
    if (this.config.embed === 0) return { kind: 'one-hot', ids: packed.inputs.subarray(offset, offset + rows) };
    const d = this.config.embed;
    return { kind: 'dense', x: this.workspaces[0].x.subarray(offset * d, (offset + rows) * d) };
  }

  /**
   * Runs the network over a batch and caches what backward() needs.
   * The initial state (B×stateSize: per layer h0, and for the LSTM then c0) defaults to zeros; a row
   * whose batch.resets is set at step t starts again from zeros there (a document boundary). Returns Σ mask·J(t), the summed loss in nats
   * over the batch's real tokens (divide by N for the seed's J, by batch.tokens for nats/char).
   * `dropoutSeed` turns on dropout (config.dropout: between layers and before the output layer), with masks drawn from it: training passes one per step.
   */
  forward(batch: Batch, h0?: FloatArray, dropoutSeed?: number): number {
    const k = this.kernels;
    const { steps: T, rows: B } = batch;
    const { hidden: H, vocabSize: V, embed: d, layers: L } = this.config;
    const packed = packBatch(batch);
    const P = packed.offsets[T];
    const p = this.config.dropout ?? 0;
    this.dropoutActive = p > 0 && dropoutSeed !== undefined;
    this.hadInitialState = h0 !== undefined;
    const workspaces = this.workspacesFor(P, B, packed.resets !== undefined);
    if (d > 0) embeddingForward(k, workspaces[0].x, this.weights.embedding, packed.inputs, P, d); // every x(t) at once

    // Layer after layer, the recurrence step by step over the rows still real at each step: (1.1), (1.2).
    for (let layer = 0; layer < L; layer++) {
      const ws = workspaces[layer];
      if (layer > 0 && this.dropoutActive) {
        // Inverted dropout on this layer's input: keep each h of the layer below with probability 1 − p, scaled by 1/(1 − p).
        dropout(k, ws.dropped, ws.dropMask, workspaces[layer - 1].h.subarray(B * H, (B + P) * H), p, new Random(dropoutSeed!, layer));
      }
      const w = this.layerWeights[layer];
      const S = this.layerStateSize;
      // This layer's initial state: h0 (and c0) from the given state, else zeros.
      if (h0) ws.h.set(h0.subarray(layer * B * S, layer * B * S + B * H));
      else ws.h.fill(0, 0, B * H);
      if (this.config.cell === 'lstm') {
        if (h0) ws.c.set(h0.subarray(layer * B * S + B * H, (layer + 1) * B * S));
        else ws.c.fill(0, 0, B * H);
      }
      const units = gatesPerUnit(this.config.cell) * H;
      // The input half of (1.1), Wx·x(t) + b1, does not depend on h(t−1): one product for every
      // position of the batch before the recurrence, written where each step's z will be.
      inputPreactivation(k, this.inputHalf(ws, B, P), this.input(layer, packed, B, 0, P), w, this.cellShape(P, layer));
      packRecurrentForward(k, ws.WhForward, w.Wh, this.cellShape(B, layer)); // once for all T steps
      for (let t = 0; t < T; t++) {
        const rows = batch.activeRows[t];
        if (rows === 0) continue;
        const { to } = this.stepRows(packed, B, t);
        const at = packed.offsets[t];
        const { hPrev, cPrev } = this.previousState(ws, packed, B, t);
        this.cellForward(
          {
            h: ws.h.subarray(to * H, (to + rows) * H),
            hPrev,
            c: ws.c.subarray(to * H, (to + rows) * H),
            cPrev,
            gates: ws.gates.subarray(at * units, (at + rows) * units),
            inputPart: ws.inputPart.subarray(at * units, (at + rows) * units),
            qn: ws.qn.subarray(at * H, (at + rows) * H),
          },
          w,
          ws.WhForward,
          this.cellShape(rows, layer, this.zeroStateRowsAt(packed, t)),
        );
      }
    }

    // The output layers do not feed back into the recurrence, so all steps go through them at
    // once, as one batch of the P real positions: (2.1), then (3.1), (3.2) and the sum of (3.3).
    const top = workspaces[L - 1];
    // Dropout before the output layer too (every non-recurrent connection, as Zaremba et al. do): stream L of the step's masks.
    if (this.dropoutActive) dropout(k, top.outputDropped, top.outputMask, top.h.subarray(B * H, (B + P) * H), p, new Random(dropoutSeed!, L));
    affineForward(k, top.probs, this.outputOf(top, B, P), this.weights, P, H, V);
    const lossSum = softmaxCrossEntropyForward(k, top.probs, packed.targets, packed.mask, P, V);
    this.lastBatch = batch;
    return lossSum;
  }

  /**
   * One step of the configured cell for shape.rows sequences: h(t) from h(t−1) and x(t), writing
   * what the backward pass needs (the gates, c for the LSTM, q_n for the GRU) into the given views.
   */
  private cellForward(at: CellStepViews, w: RnnLayerWeights, WhPacked: FloatArray, shape: RnnCellShape): void {
    const k = this.kernels;
    switch (this.config.cell) {
      case 'rnn':
        return rnnCellForward(k, at.h, at.hPrev, WhPacked, shape); // (1.1), (1.2)
      case 'lstm':
        return lstmCellForward(k, at.gates, at.c, at.h, at.hPrev, at.cPrev, WhPacked, shape); // (L.1)–(L.4)
      case 'gru':
        return gruCellForward(k, at.gates, at.inputPart, at.qn, at.h, at.hPrev, w.bh, WhPacked, shape); // (G.1)–(G.4)
    }
  }

  /**
   * Where a cell expects the input half Wx·x(t) + b1 of its P positions (inputPreactivation):
   * the vanilla RNN's z is computed in place of h, the LSTM's in its gates, the GRU's input part p
   * in its own buffer (its gates hold the recurrent part).
   */
  private inputHalf(ws: Pick<Workspace, 'h' | 'gates' | 'inputPart'>, firstRow: number, P: number): FloatArray {
    const { hidden: H, cell } = this.config;
    if (cell === 'lstm') return ws.gates.subarray(0, P * 4 * H);
    if (cell === 'gru') return ws.inputPart.subarray(0, P * 3 * H);
    return ws.h.subarray(firstRow * H, (firstRow + P) * H);
  }

  /**
   * Where step t reads h(t−1) and writes h(t) in the packed h buffer (rows):
   * h0 fills rows [0, B); step t's h(t) starts at row B + offsets[t]; its
   * h(t−1) are the first rows of step t − 1's block (the rows still real).
   */
  private stepRows(packed: PackedBatch, B: number, t: number): { from: number; to: number } {
    return { from: t === 0 ? 0 : B + packed.offsets[t - 1], to: B + packed.offsets[t] };
  }

  /** Whether some row of step t starts a new document (batch.resets). */
  private resetsAt(packed: PackedBatch, t: number): boolean {
    if (!packed.resets) return false;
    for (let i = packed.offsets[t]; i < packed.offsets[t + 1]; i++) if (packed.resets[i]) return true;
    return false;
  }

  /**
   * h(t−1) and c(t−1) (the LSTM's; empty otherwise) as step t reads them: the previous step's state,
   * except that a row starting a new document at step t reads zeros. Such steps get a copy, in
   * ws.hPrev (ws.cPrev) at the step's positions, with those rows zeroed: the state before the
   * boundary is then no input of step t, so no gradient flows back into it (see sweepBack).
   */
  private previousState(ws: Workspace, packed: PackedBatch, B: number, t: number): { hPrev: FloatArray; cPrev: FloatArray } {
    const H = this.config.hidden;
    const { from } = this.stepRows(packed, B, t);
    const rows = packed.offsets[t + 1] - packed.offsets[t];
    const hPrev = ws.h.subarray(from * H, (from + rows) * H);
    const cPrev = ws.c.subarray(from * H, (from + rows) * H);
    if (!this.resetsAt(packed, t)) return { hPrev, cPrev };
    const at = packed.offsets[t];
    const zeroResetRows = (source: FloatArray, copy: FloatArray) => {
      copy.set(source);
      for (let r = 0; r < rows; r++) if (packed.resets![at + r]) copy.fill(0, r * H, (r + 1) * H);
      return copy;
    };
    return {
      hPrev: zeroResetRows(hPrev, ws.hPrev.subarray(at * H, (at + rows) * H)),
      cPrev: cPrev.length > 0 ? zeroResetRows(cPrev, ws.cPrev.subarray(at * H, (at + rows) * H)) : cPrev,
    };
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
   * all the real positions.
   */
  backward(options: BackwardOptions): number {
    const batch = this.lastBatch;
    if (!batch || this.workspaces.length === 0) throw new Error('backward() needs a forward() first');
    const k = this.kernels;
    const { steps: T, rows: B } = batch;
    const { hidden: H, vocabSize: V, embed: d, layers: L } = this.config;
    const packed = packBatch(batch);
    const P = packed.offsets[T];
    const workspaces = this.workspaces;
    const clip = options.clip;
    let clipped = 0;
    this.grads.fill(0);

    // J(t) → θ(t) → h(t) for every t: dθ, then dU, db2 and γ_t(t) (from (2.1)), into the top layer's dz.
    const top = workspaces[L - 1];
    softmaxCrossEntropyBackward(k, top.probs, packed.targets, packed.mask, options.scale, P, V);
    affineBackward(k, top.dz, top.probs, this.outputOf(top, B, P), this.weights, this.gradients, P, H, V);
    if (this.dropoutActive) k.multiply(top.dz, top.outputMask, P * H); // through the output dropout mask
    if (clip !== Infinity) clipped += k.clip(top.dz, P * H, clip); // the notebook clips dh before BPTT

    // Layer after layer from the top: each sweeps back through time; what reaches its input is the
    // ∂J/∂h of the layer below at every position, that layer's starting γ_t(t).
    for (let layer = L - 1; layer >= 0; layer--) {
      const ws = workspaces[layer];
      const dUnits = this.sweepBack(layer, ws, packed, B, T);
      const g = this.layerGradients[layer];
      const input = this.input(layer, packed, B, 0, P);
      // Eq. 4.1: the tied weights' gradients sum the dummy variables' (5.2) over all steps, as one
      // product over the P real positions; h(t−1) of each position, stacked in the same order.
      const hPrevAll = this.stackedPreviousStates(packed, B, ws);
      // Step 0's positions come first: those that read the zero state add nothing to dWh.
      const shape = this.cellShape(P, layer, this.zeroStateRowsAt(packed, 0));
      if (this.config.cell === 'gru') gruWeightGradients(k, g, ws.dGates, ws.dInput, hPrevAll, input, shape);
      else rnnCellWeightGradients(k, g, dUnits, hPrevAll, input, shape);
      if (layer > 0) {
        rnnCellInputGradient(k, workspaces[layer - 1].dz, dUnits, this.layerWeights[layer], this.cellShape(P, layer));
        if (this.dropoutActive) k.multiply(workspaces[layer - 1].dz, ws.dropMask, P * H); // through the dropout mask
      }
      else if (d > 0) {
        rnnCellInputGradient(k, ws.dx, dUnits, this.layerWeights[0], this.cellShape(P, 0));
        embeddingBackward(k, this.gradients.embedding, ws.dx, packed.inputs, P, d);
      }
    }

    if (clip !== Infinity && options.clipParameterGradients !== false) clipped += k.clip(this.grads, this.grads.length, clip);
    return clipped;
  }

  /**
   * One layer's sweep back through time, t = T..1. On entry ws.dz holds
   * ∂J/∂h(t) from above (the output layer, or the layer above) at every
   * position; returns ∂J/∂z (the GRU: ∂J/∂p) of every position (P × units),
   * and leaves ∂J/∂h0 (κ: ∂J/∂c0) in ws.gammaPrev (ws.kappa).
   */
  private sweepBack(layer: number, ws: Workspace, packed: PackedBatch, B: number, T: number): FloatArray {
    const k = this.kernels;
    const H = this.config.hidden;
    const w = this.layerWeights[layer];
    const lstm = this.config.cell === 'lstm';
    const units = gatesPerUnit(this.config.cell) * H;
    const dz = ws.dz; // (P×H): γ_t(t), then the accumulated γ(t), then dz(t), in place
    packRecurrentBackward(k, ws.WhBackward, w.Wh, this.cellShape(B, layer)); // once for all T steps
    const gammaPrev = ws.gammaPrev; // (B×H): γ(t−1) flowing from step t to step t−1
    if (lstm) ws.kappa.fill(0); // (B×H): ∂J/∂c flowing back (L.5, L.11)
    let rowsAfter = 0; // rows that were real at step t + 1 (none after the last step)
    for (let t = T - 1; t >= 0; t--) {
      const rows = packed.offsets[t + 1] - packed.offsets[t];
      if (rows === 0) continue;
      const step = dz.subarray(packed.offsets[t] * H, packed.offsets[t + 1] * H);
      // Trick 2: γ(t) = γ_t(t) + Σ_{t' > t} γ_t'(t), one summed vector instead of T − t of them.
      // Rows whose last real token is at step t receive nothing from later steps.
      k.add(step, gammaPrev, rowsAfter * H);
      const { to } = this.stepRows(packed, B, t);
      const previous = this.previousState(ws, packed, B, t);
      const gateRows = (buffer: FloatArray) => buffer.subarray(packed.offsets[t] * units, packed.offsets[t + 1] * units);
      const shape = this.cellShape(rows, layer, this.zeroStateRowsAt(packed, t));
      switch (this.config.cell) {
        case 'rnn':
          rnnCellBackwardStep(k, gammaPrev, step, step, ws.h.subarray(to * H, (to + rows) * H), ws.WhBackward, shape); // dz(t), (6.2) γ(t−1)
          break;
        case 'lstm':
          ws.kappa.fill(0, rowsAfter * H, rows * H);
          lstmCellBackwardStep(k, gammaPrev, ws.kappa.subarray(0, rows * H), gateRows(ws.dGates), step, gateRows(ws.gates), ws.c.subarray(to * H, (to + rows) * H), previous.cPrev, ws.WhBackward, shape);
          break;
        case 'gru':
          gruCellBackwardStep(k, gammaPrev, gateRows(ws.dGates), gateRows(ws.dInput), step, gateRows(ws.gates), ws.qn.subarray(packed.offsets[t] * H, packed.offsets[t + 1] * H), previous.hPrev, ws.WhBackward, shape);
          break;
      }
      if (this.resetsAt(packed, t)) {
        // A row that starts a new document at step t read h(t−1) = 0, a constant: γ (and κ) stop at the boundary.
        for (let r = 0; r < rows; r++) {
          if (!packed.resets![packed.offsets[t] + r]) continue;
          gammaPrev.fill(0, r * H, (r + 1) * H);
          if (lstm) ws.kappa.fill(0, r * H, (r + 1) * H);
        }
      }
      rowsAfter = rows;
    }
    // γ(0) = ∂J/∂h0 (and κ(0) = ∂J/∂c0); rows with no real token at all get none.
    gammaPrev.fill(0, rowsAfter * H, B * H);
    if (lstm) ws.kappa.fill(0, rowsAfter * H, B * H);
    return lstm ? ws.dGates : this.config.cell === 'gru' ? ws.dInput : dz;
  }

  /**
   * h(t−1) for every packed position (P×H). Without padding or resets these are
   * simply the first P rows of the h buffer (h0, then h(1), ...); otherwise the
   * rows each step reads (zeros where a row resets) are gathered into ws.hPrev.
   */
  private stackedPreviousStates(packed: PackedBatch, B: number, ws: Workspace): FloatArray {
    const H = this.config.hidden;
    const T = packed.offsets.length - 1;
    const P = packed.offsets[T];
    if (P === T * B && !packed.resets) return ws.h.subarray(0, P * H);
    for (let t = 0; t < T; t++) {
      const { hPrev } = this.previousState(ws, packed, B, t);
      ws.hPrev.set(hPrev, packed.offsets[t] * H); // (a copy onto itself at steps with resets)
    }
    return ws.hPrev;
  }

  /**
   * The state each row is in after its last real step of the last forward() (B×stateSize, laid
   * out like forward's h0: per layer h, then c for the LSTM): what stream mode carries from one
   * window into the next. A row with no real step keeps its initial state.
   */
  finalState(): FloatArray {
    const batch = this.lastBatch;
    if (!batch || this.workspaces.length === 0) throw new Error('finalState() needs a forward() first');
    const { rows: B, steps: T } = batch;
    const H = this.config.hidden;
    const S = this.layerStateSize;
    const packed = packBatch(batch);
    const out = this.workspaces[0].finalState;
    this.workspaces.forEach((ws, layer) => {
      let t = T - 1;
      for (let r = 0; r < B; r++) {
        while (t >= 0 && batch.activeRows[t] <= r) t--; // row r's last real step (rows are real as a prefix)
        const at = t < 0 ? r : B + packed.offsets[t] + r; // its row in the h (and c) buffer
        out.set(ws.h.subarray(at * H, (at + 1) * H), layer * B * S + r * H);
        if (S > H) out.set(ws.c.subarray(at * H, (at + 1) * H), layer * B * S + B * H + r * H);
      }
    });
    return out.subarray(0, B * this.stateSize);
  }

  /** ∂J/∂(initial state) (B×stateSize: per layer h0, then c0 for the LSTM) from the last backward(), when forward() was given h0. */
  initialStateGradient(): FloatArray {
    const batch = this.lastBatch;
    if (!batch || this.workspaces.length === 0) throw new Error('initialStateGradient() needs a backward() first');
    if (!this.hadInitialState) throw new Error('initialStateGradient() needs forward() to be given the initial state (from zeros it is a constant, and its gradient is not computed)');
    const BH = batch.rows * this.config.hidden;
    const S = this.layerStateSize;
    const out = this.workspaces[0].initialGradient;
    this.workspaces.forEach((ws, layer) => {
      out.set(ws.gammaPrev.subarray(0, BH), layer * batch.rows * S);
      if (this.config.cell === 'lstm') out.set(ws.kappa.subarray(0, BH), layer * batch.rows * S + BH);
    });
    return out.subarray(0, batch.rows * this.stateSize);
  }

  /**
   * Inference for one step, without caches: for each of `rows` sequences
   * feeds token ids[r], moves the recurrent state from statePrev to state
   * (rows×stateSize each: h, and for the LSTM then c, as two blocks) and
   * writes the logits θ (rows×V). Used by sampling.
   */
  step(ids: Int32Array, statePrev: FloatArray, state: FloatArray, logits: FloatArray): void {
    const k = this.kernels;
    const rows = ids.length;
    const { hidden: H, vocabSize: V, embed: d, layers: L } = this.config;
    const S = this.layerStateSize;
    const units = gatesPerUnit(this.config.cell) * H;
    const scratch = (name: 'x' | 'gates' | 'p' | 'qn' | 'Wh', length: number) => {
      this.stepScratch ??= {};
      const current = this.stepScratch[name];
      return (this.stepScratch[name] = current?.length === length ? current : this.kernels.allocate(this.config.dtype, length));
    };
    let input: CellInput = { kind: 'one-hot', ids };
    if (d > 0) {
      const x = scratch('x', rows * d);
      embeddingForward(k, x, this.weights.embedding, ids, rows, d);
      input = { kind: 'dense', x };
    }
    let h = state.subarray(0, rows * H);
    for (let layer = 0; layer < L; layer++) {
      // Layer l's state block: rows×S at l·rows·S (h, then c for the LSTM).
      const at = layer * rows * S;
      h = state.subarray(at, at + rows * H);
      const hPrev = statePrev.subarray(at, at + rows * H);
      const lstm = this.config.cell === 'lstm';
      // One step reads Wh once: packing it costs about as much as the product, and keeps one code path.
      const WhPacked = scratch('Wh', k.packedSize(this.config.dtype, H, units));
      const w = this.layerWeights[layer];
      packRecurrentForward(k, WhPacked, w.Wh, this.cellShape(rows, layer));
      const views: CellStepViews = {
        h,
        hPrev,
        c: lstm ? state.subarray(at + rows * H, at + 2 * rows * H) : state.subarray(0, 0),
        cPrev: lstm ? statePrev.subarray(at + rows * H, at + 2 * rows * H) : statePrev.subarray(0, 0),
        gates: scratch('gates', rows * units),
        inputPart: scratch('p', rows * units),
        qn: scratch('qn', rows * H),
      };
      inputPreactivation(k, this.inputHalf(views, 0, rows), input, w, this.cellShape(rows, layer));
      this.cellForward(views, w, WhPacked, this.cellShape(rows, layer));
      input = { kind: 'dense', x: h }; // the next layer reads this one's h
    }
    affineForward(k, logits, h, this.weights, rows, H, V);
  }

  private stepScratch?: { x?: FloatArray; gates?: FloatArray; p?: FloatArray; qn?: FloatArray; Wh?: FloatArray };
}

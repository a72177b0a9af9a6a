/**
 * The whole network of the seed, unrolled over T steps for a batch of B sequences:
 *
 *   [embedding] → recurrent cell (1.1, 1.2) → affine (2.1) → softmax + cross-entropy (3.1–3.3)
 *
 * and its backward pass, backpropagation through time exactly as derived: per layer one sweep
 * t = T..1 (sweep.ts) that carries the accumulated γ = ∂J/∂h backwards (Trick 2) and adds each
 * step's gradients into one set of parameter gradients (the dummy variables of Eq. 4.1 summed).
 * The cell (src/nn/cells.ts) is an object: nothing here depends on which one it is.
 *
 * Dimensions: T steps, B rows, H hidden, V vocabulary, D input size (V one-hot or d).
 */
import type { FloatArray } from '../core/arrays.js';
import { packBatch, type Batch, type PackedBatch } from '../core/batch.js';
import { ParameterLayout } from '../core/parameters.js';
import { Random } from '../core/random.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { affineBackward, affineForward } from '../nn/affine.js';
import { CELL_TYPES } from '../nn/cells.js';
import { dropoutForward } from '../nn/dropout.js';
import { embeddingBackward, embeddingForward } from '../nn/embedding.js';
import {
  cellInputGradient,
  inputPreactivation,
  packRecurrentForward,
  type CellInput,
  type CellShape,
  type CellType,
  type LayerWeights,
  type RecurrentCell,
} from '../nn/recurrent-cell.js';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from '../nn/softmax-cross-entropy.js';
import type { ModelConfig } from './config.js';
import { layerViews, parameterSpecs, type RnnWeights } from './parameter-specs.js';
import { backThroughTime, forwardThroughTime, type LayerPass } from './sweep.js';
import { GrowingBuffers, Workspace } from './workspace.js';

export { layerParameterName, parameterSpecs, type RnnLayerWeights, type RnnWeights } from './parameter-specs.js';
export { setStateRows, stateRows } from './state-layout.js';

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
  /** The recurrent cell's kind (the seed's RNN, LSTM or GRU). */
  readonly cellType: CellType;

  /** Each recurrent layer's weights and gradients: views named Wh, Wx, b1 (bh) of that layer. */
  readonly layerWeights: LayerWeights[];
  readonly layerGradients: LayerWeights[];

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
    this.cellType = CELL_TYPES[config.cell];
    this.layout = new ParameterLayout(parameterSpecs(config));
    this.params = sharedParams ?? kernels.allocate(config.dtype, this.layout.size);
    this.grads = kernels.allocate(config.dtype, this.layout.size);
    this.weights = this.layout.views(this.params) as unknown as RnnWeights;
    this.gradients = this.layout.views(this.grads) as unknown as RnnWeights;
    this.kernels = kernels;
    this.layerWeights = layerViews(this.weights, config.layers);
    this.layerGradients = layerViews(this.gradients, config.layers);
  }

  /** A model with freshly initialised weights (config.init), reproducible from the RNG seed. */
  static initialized(config: ModelConfig, seed: number, kernels?: Kernels): RnnModel {
    const model = new RnnModel(config, kernels);
    model.layout.initialize(model.params, new Random(seed, 0x1417));
    const gate = model.cellType.forgetGate;
    const H = config.hidden;
    if (gate !== undefined && config.forgetBias !== undefined) for (const w of model.layerWeights) w.b1.fill(config.forgetBias, gate * H, (gate + 1) * H);
    return model;
  }

  get inputSize(): number {
    return this.config.embed > 0 ? this.config.embed : this.config.vocabSize;
  }

  /** Pre-activations per row: gatesPerUnit·H. */
  private get units(): number {
    return this.cellType.gatesPerUnit * this.config.hidden;
  }

  /** `zeroStateRows`: how many of the rows (a prefix) read h(t−1) = the zero state (see CellShape). */
  private cellShape(rows: number, layer = 0, zeroStateRows = 0): CellShape {
    const { hidden, activation } = this.config;
    return { rows, hidden, inputSize: layer > 0 ? hidden : this.inputSize, activation, units: this.units, zeroStateRows };
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
    return this.cellType.statesPerUnit * this.config.hidden;
  }

  /** Numbers per row of the whole recurrent state: every layer's, layer after layer. */
  get stateSize(): number {
    return this.layerStateSize * this.config.layers;
  }

  private workspacesFor(positions: number, rows: number, resets: boolean): Workspace[] {
    const { hidden, vocabSize: V, embed: d, layers: L, dtype } = this.config;
    while (this.workspaces.length < L)
      this.workspaces.push(
        new Workspace(
          (length) => this.kernels.allocate(dtype, length),
          (k, n) => this.kernels.packedSize(dtype, k, n),
          this.cellType.create(),
        ),
      );
    // Only layer 0 embeds tokens, only the top layer feeds the output layer.
    this.workspaces.forEach((ws, layer) =>
      ws.shape({
        positions,
        rows,
        hidden,
        units: this.units,
        vocab: layer === L - 1 ? V : 0,
        embed: layer === 0 ? d : 0,
        states: this.cellType.statesPerUnit,
        modelStateLength: rows * this.stateSize,
        inputDropout: layer > 0 && this.dropoutActive,
        outputDropout: layer === L - 1 && this.dropoutActive,
        resets,
      }),
    );
    return this.workspaces;
  }

  /** What the output layer (2.1) reads: the top layer's h(t) of the P real positions, through the dropout mask when training with dropout. */
  private outputOf(top: Workspace, B: number, P: number): FloatArray {
    const H = this.config.hidden;
    return this.dropoutActive ? top.outputDropped.subarray(0, P * H) : top.h.subarray(B * H, (B + P) * H);
  }

  /**
   * x of the P packed positions for a layer: for layer 0 token ids (one-hot) or the cached
   * embeddings; for layer l > 0 the h of layer l − 1 at those positions (through its dropout mask).
   */
  private input(layer: number, packed: PackedBatch, B: number, P: number): CellInput {
    if (layer > 0) {
      const H = this.config.hidden;
      if (this.dropoutActive) return { kind: 'dense', x: this.workspaces[layer].dropped.subarray(0, P * H) };
      return { kind: 'dense', x: this.workspaces[layer - 1].h.subarray(B * H, (B + P) * H) };
    }
    if (this.config.embed === 0) return { kind: 'one-hot', ids: packed.inputs.subarray(0, P) };
    return { kind: 'dense', x: this.workspaces[0].x.subarray(0, P * this.config.embed) };
  }

  /** One layer of one batch, as the sweeps see it (sweep.ts). */
  private layerPass(layer: number, packed: PackedBatch, B: number): LayerPass {
    return {
      k: this.kernels,
      ws: this.workspaces[layer],
      w: this.layerWeights[layer],
      packed,
      rows: B,
      hidden: this.config.hidden,
      shape: (rows, zeroStateRows = 0) => this.cellShape(rows, layer, zeroStateRows),
      zeroStateRowsAt: (t) => this.zeroStateRowsAt(packed, t),
    };
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
        dropoutForward(k, ws.dropped, ws.dropMask, workspaces[layer - 1].h.subarray(B * H, (B + P) * H), p, new Random(dropoutSeed!, layer));
      }
      this.setInitialState(ws, layer, B, h0);
      // The input half of (1.1), Wx·x(t) + b1, does not depend on h(t−1): one product for every
      // position of the batch before the recurrence, written where each step's z will be.
      inputPreactivation(
        k,
        ws.cell.inputHalf(ws.h.subarray(B * H, (B + P) * H), P, this.units),
        this.input(layer, packed, B, P),
        this.layerWeights[layer],
        this.cellShape(P, layer),
      );
      forwardThroughTime(this.layerPass(layer, packed, B));
    }

    // The output layers do not feed back into the recurrence, so all steps go through them at
    // once, as one batch of the P real positions: (2.1), then (3.1), (3.2) and the sum of (3.3).
    const top = workspaces[L - 1];
    // Dropout before the output layer too (every non-recurrent connection between layers, as Zaremba et al.; the tokens' input is not dropped): stream L of the step's masks.
    if (this.dropoutActive) dropoutForward(k, top.outputDropped, top.outputMask, top.h.subarray(B * H, (B + P) * H), p, new Random(dropoutSeed!, L));
    affineForward(k, top.probs, this.outputOf(top, B, P), this.weights, P, H, V);
    const lossSum = softmaxCrossEntropyForward(k, top.probs, packed.targets, packed.mask, P, V);
    this.lastBatch = batch;
    return lossSum;
  }

  /** A layer's initial state, block by block (h0, and c0 for the LSTM): from the given state, else zeros. */
  private setInitialState(ws: Workspace, layer: number, B: number, h0: FloatArray | undefined): void {
    const BH = B * this.config.hidden;
    const at = layer * B * this.layerStateSize; // layer l's rows: blocks of B×H at l·B·S
    ws.state.forEach((block, i) => {
      if (h0) block.set(h0.subarray(at + i * BH, at + (i + 1) * BH));
      else block.fill(0, 0, BH);
    });
  }

  /**
   * Backpropagation through time over the batch of the last forward().
   * Overwrites `grads` with ∂J/∂params (J scaled by options.scale) and returns
   * the number of gradient entries that clipping changed.
   *
   * The order is the notebook's: first every J(t) back through softmax and
   * the affine layer (all steps at once), giving dU, db2 and each step's local
   * γ_t(t); then, layer by layer from the top, the sweep t = T..1 carrying the
   * accumulated γ (Trick 2) and the gradients of the tied weights, Σ over steps
   * of (5.2) (Eq. 4.1), each as one matrix product over all the real positions
   * (sweep.ts).
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

    // J(t) → θ(t) → h(t) for every t: dθ, then dU, db2 and γ_t(t) = Uᵀ dθ(t) (from (2.1)), into the top layer's γ.
    const top = workspaces[L - 1];
    softmaxCrossEntropyBackward(k, top.probs, packed.targets, packed.mask, options.scale, P, V);
    affineBackward(k, top.gamma, top.probs, this.outputOf(top, B, P), this.weights, this.gradients, P, H, V);
    if (this.dropoutActive) k.multiply(top.gamma, top.outputMask, P * H); // through the output dropout mask
    if (clip !== Infinity) clipped += k.clip(top.gamma, P * H, clip); // the notebook clips dh before BPTT

    // Layer after layer from the top: each sweeps back through time; what reaches its input is the
    // ∂J/∂h of the layer below at every position, that layer's starting γ_t(t).
    for (let layer = L - 1; layer >= 0; layer--) {
      const ws = workspaces[layer];
      backThroughTime(this.layerPass(layer, packed, B), this.layerGradients[layer], this.input(layer, packed, B, P));
      const dUnits = ws.cell.inputGradientSource(ws.gamma, P, this.units); // ∂J/∂(Wx·x + b1) of every position
      if (layer > 0) {
        cellInputGradient(k, workspaces[layer - 1].gamma, dUnits, this.layerWeights[layer], this.cellShape(P, layer));
        if (this.dropoutActive) k.multiply(workspaces[layer - 1].gamma, ws.dropMask, P * H); // through the dropout mask
      } else if (d > 0) {
        cellInputGradient(k, ws.dx, dUnits, this.layerWeights[0], this.cellShape(P, 0));
        embeddingBackward(k, this.gradients.embedding, ws.dx, packed.inputs, P, d);
      }
    }

    if (clip !== Infinity && options.clipParameterGradients !== false) clipped += k.clip(this.grads, this.grads.length, clip);
    return clipped;
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
        const at = t < 0 ? r : B + packed.offsets[t] + r; // its row in the state buffers
        ws.state.forEach((block, i) => out.set(block.subarray(at * H, (at + 1) * H), layer * B * S + i * B * H + r * H));
      }
    });
    return out.subarray(0, B * this.stateSize);
  }

  /** ∂J/∂(initial state) (B×stateSize: per layer h0, then c0 for the LSTM) from the last backward(), when forward() was given h0. */
  initialStateGradient(): FloatArray {
    const batch = this.lastBatch;
    if (!batch || this.workspaces.length === 0) throw new Error('initialStateGradient() needs a backward() first');
    if (!this.hadInitialState)
      throw new Error('initialStateGradient() needs forward() to be given the initial state (from zeros it is a constant, and its gradient is not computed)');
    const BH = batch.rows * this.config.hidden;
    const S = this.layerStateSize;
    const out = this.workspaces[0].initialGradient;
    this.workspaces.forEach((ws, layer) => ws.gradPrev.forEach((block, i) => out.set(block.subarray(0, BH), layer * batch.rows * S + i * BH)));
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
    const { hidden: H, vocabSize: V, embed: d, layers: L, dtype } = this.config;
    const S = this.layerStateSize;
    this.stepBuffers ??= new GrowingBuffers((length) => this.kernels.allocate(dtype, length));
    const view = this.stepBuffers.view;
    // One cell object for every layer (a step caches nothing between layers), apart from the training workspaces'.
    this.stepCell ??= this.cellType.create();
    this.stepCell.shape(view, rows, H, this.units);
    let input: CellInput = { kind: 'one-hot', ids };
    if (d > 0) {
      const x = view('x', rows * d);
      embeddingForward(k, x, this.weights.embedding, ids, rows, d);
      input = { kind: 'dense', x };
    }
    let h = state.subarray(0, rows * H);
    for (let layer = 0; layer < L; layer++) {
      // Layer l's state: blocks of rows×H at l·rows·S (h, then c for the LSTM).
      const blocks = (from: FloatArray) =>
        Array.from({ length: this.cellType.statesPerUnit }, (_, i) => from.subarray(layer * rows * S + i * rows * H, layer * rows * S + (i + 1) * rows * H));
      const next = blocks(state);
      h = next[0];
      // One step reads Wh once: packing it costs about as much as the product, and keeps one code path.
      const WhPacked = view('Wh', k.packedSize(dtype, H, this.units));
      const w = this.layerWeights[layer];
      const shape = this.cellShape(rows, layer);
      packRecurrentForward(k, WhPacked, w.Wh, shape);
      inputPreactivation(k, this.stepCell.inputHalf(h, rows, this.units), input, w, shape);
      this.stepCell.forwardStep(k, next, blocks(statePrev), 0, w, WhPacked, shape);
      input = { kind: 'dense', x: h }; // the next layer reads this one's h
    }
    affineForward(k, logits, h, this.weights, rows, H, V);
  }

  private stepBuffers?: GrowingBuffers;
  private stepCell?: RecurrentCell;
}

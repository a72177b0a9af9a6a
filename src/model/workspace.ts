/**
 * What forward() caches for backward(), one workspace per layer, as views sized for the current
 * batch (T, B) into storage that only grows: batches of other shapes (a short last batch, another
 * thread's share of rows) reuse the same memory. The cell keeps its own caches (its gates, …) in
 * the same storage (RecurrentCell.shape).
 *
 * P is the number of real positions of the batch (packed, see core/batch.ts); S the blocks of
 * the carried state (1: h; the LSTM's 2: h, c).
 */
import type { FloatArray } from '../core/arrays.js';
import type { RecurrentCell } from '../nn/recurrent-cell.js';

/** Named views into grow-only storage. */
export class GrowingBuffers {
  private storage: Record<string, FloatArray> = {};

  constructor(private readonly allocate: (length: number) => FloatArray) {}

  readonly view = (name: string, length: number): FloatArray => {
    let store = this.storage[name];
    if (!store || store.length < length) store = this.storage[name] = this.allocate(Math.max(length, Math.ceil((store?.length ?? 0) * 1.5)));
    return store.subarray(0, length);
  };
}

export interface WorkspaceShape {
  positions: number; // P
  rows: number; // B
  hidden: number; // H
  units: number; // gatesPerUnit·H
  /** V for the top layer (it feeds the output layer), else 0. */
  vocab: number;
  /** d for layer 0 with an embedding, else 0. */
  embed: number;
  /** Blocks of the carried state: 1 (h) or 2 (h, c). */
  states: number;
  /** Elements of the whole model's carried state for B rows. */
  modelStateLength: number;
  /** Dropout on this layer's input (layers > 0, training). */
  inputDropout: boolean;
  /** Dropout on this layer's output, before the affine layer (top layer, training). */
  outputDropout: boolean;
  resets: boolean;
}

export class Workspace {
  /** The carried state, block by block ([h] or [h, c]): the initial state (B rows), then every real position's: (B + P)×H each. */
  state!: FloatArray[];
  /** The state as the steps with resets read it (the reset rows zeroed), at the positions of those steps: P×H per block. h's also gathers every position's h(t−1) when the batch has padding (stackedPreviousStates). */
  statePrevCopy!: FloatArray[];
  /** What step t passes back to step t − 1, block by block: [γ(t−1)] or [γ(t−1), κ(t−1)], B×H each. */
  gradPrev!: FloatArray[];
  /** γ_t(t) from the layer above, then the accumulated γ(t), then (the seed's RNN) dz(t) = γ(t) ∘ σ'(z(t)), in place: P×H. */
  gamma!: FloatArray;
  /** x(t) from the embedding: P×d (empty for one-hot). */
  x!: FloatArray;
  /** θ(t) → ŷ(t) → dθ(t), in place: P×V. */
  probs!: FloatArray;
  /** ∂J/∂x(t), with an embedding: P×d. */
  dx!: FloatArray;
  /** Wh packed for the forward product (Whᵀ, H×units) and for the backward one (Wh, units×H), once per batch (recurrent-cell.ts). */
  WhForward!: FloatArray;
  WhBackward!: FloatArray;
  /** Dropout on this layer's input: the mask (0 or 1/(1 − p)) and the masked input, P×H each. */
  dropMask!: FloatArray;
  dropped!: FloatArray;
  /** Dropout on the top layer's output, before the affine layer (2.1): mask and masked h, P×H each. */
  outputMask!: FloatArray;
  outputDropped!: FloatArray;
  /** ∂J/∂(initial state) and the state after each row's last step (layer 0's workspace only; B×stateSize). */
  initialGradient!: FloatArray;
  finalState!: FloatArray;

  private readonly buffers: GrowingBuffers;

  constructor(
    allocate: (length: number) => FloatArray,
    /** Elements of a packed K×N matrix (Kernels.packedSize). */
    private readonly packedSize: (k: number, n: number) => number,
    /** This layer's cell, whose caches live here too. */
    readonly cell: RecurrentCell,
  ) {
    this.buffers = new GrowingBuffers(allocate);
  }

  /** h(t) of every position: the first block of the state. */
  get h(): FloatArray {
    return this.state[0];
  }

  /** Points the views at storage for P packed positions of a batch of B rows, growing it if needed. */
  shape(s: WorkspaceShape): void {
    const { positions: P, rows: B, hidden: H } = s;
    const view = this.buffers.view;
    const blocks = Array.from({ length: s.states }, (_, i) => i);
    this.state = blocks.map((i) => view(`state${i}`, (B + P) * H));
    // h's copy is also the gather of every position's h(t−1) (padding); the others are needed only with resets.
    this.statePrevCopy = blocks.map((i) => view(`statePrev${i}`, i === 0 || s.resets ? P * H : 0));
    this.gradPrev = blocks.map((i) => view(`gradPrev${i}`, B * H));
    this.gamma = view('gamma', P * H);
    this.x = view('x', P * s.embed);
    this.probs = view('probs', P * s.vocab);
    this.dx = view('dx', P * s.embed);
    this.WhForward = view('WhForward', this.packedSize(H, s.units));
    this.WhBackward = view('WhBackward', this.packedSize(s.units, H));
    this.dropMask = view('dropMask', s.inputDropout ? P * H : 0);
    this.dropped = view('dropped', s.inputDropout ? P * H : 0);
    this.outputMask = view('outputMask', s.outputDropout ? P * H : 0);
    this.outputDropped = view('outputDropped', s.outputDropout ? P * H : 0);
    this.initialGradient = view('initialGradient', s.modelStateLength);
    this.finalState = view('finalState', s.modelStateLength);
    this.cell.shape(view, P, H, s.units);
  }
}

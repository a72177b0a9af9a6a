/**
 * What every recurrent cell is to the model's time sweep (src/model/sweep.ts): an object that
 * owns one step forward, one step backward, its weight gradients, the state it carries from
 * step to step and the buffers it caches for the backward pass. The sweep names no cell; a new
 * cell is one file here (plus its derivation page in docs/derivations/) and an entry in cells.ts.
 *
 * Shared by every cell: the two halves of the pre-activation z = Wh·h(t−1) + Wx·x(t) + b1 (1.1)
 * and their gradients. The input half does not depend on h(t−1), so it is one product for every
 * position of a batch before the recurrence; only the recurrent half runs step by step.
 *
 * Shapes (rows are sequences of the batch):
 *   B rows  H hidden (the seed's D_h)  D input size (V one-hot, or d)  units = gatesPerUnit·H
 *   Wh: (units×H)  Wx: (units×D)  b1: (units)  — row-major (out, in), as in the seed
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Activation } from './activation.js';

/** x(t): either token ids (one-hot, the seed's) or dense vectors (an embedding's output). */
export type CellInput = { kind: 'one-hot'; ids: Int32Array } | { kind: 'dense'; x: FloatArray };

/** One recurrent layer's weights; bh (the GRU's recurrent bias) is empty for the other cells. */
export interface LayerWeights {
  Wh: FloatArray;
  Wx: FloatArray;
  b1: FloatArray;
  bh: FloatArray;
}

/** The sizes one cell step works with: rows of the batch, hidden units, input width. */
export interface CellShape {
  rows: number; // B
  hidden: number; // H
  inputSize: number; // D
  activation: Activation;
  /** Rows of Wh, Wx and b1: H for the seed's unit; 4H for the LSTM's four gates, 3H for the GRU's. */
  units: number;
  /**
   * The first zeroStateRows rows read h(t−1) = the zero state (rows starting from zeros, e.g. the
   * first step): their Wh·h(t−1) is zero, and no gradient flows back into that constant, so the
   * recurrent products skip them. Exact, and 1/T of those products for sequences of T steps.
   */
  zeroStateRows?: number;
}

/**
 * What a sequence carries from step to step, as blocks of rows×H: [h] for the seed's RNN and
 * the GRU, [h, c] for the LSTM. Backward, the same blocks hold the gradients: [γ] or [γ, κ].
 */
export type CarriedState = readonly FloatArray[];

/** Grow-only storage (the model's workspace): a view of `length` elements under `name`. */
export type BufferView = (name: string, length: number) => FloatArray;

/** A kind of cell: its sizes, and a factory for the per-layer objects that hold its caches. */
export interface CellType {
  readonly name: string;
  /** Pre-activations per hidden unit: 1 for the seed's RNN, 4 gates for the LSTM (i f g o), 3 for the GRU (r u n). */
  readonly gatesPerUnit: number;
  /** Blocks of CarriedState: 1 (h), or 2 for the LSTM (h, c). */
  readonly statesPerUnit: number;
  /** Whether it has a recurrent bias bh of its own (the GRU's reset gate multiplies Wh·h + bh). */
  readonly recurrentBias: boolean;
  /** The forget gate's index among the gates (the LSTM's 1), whose biases config.forgetBias sets. */
  readonly forgetGate?: number;
  /** One layer's cell, with its own caches (a model makes one per layer). */
  create(): RecurrentCell;
  /**
   * The playground's derivation walk (src/model/derivation.ts) through this cell, one step of one
   * row at a time, keeping every value its equations name; absent for a cell the walk does not
   * explain (the GRU). WhForward and WhBackward: Wh packed as the two products read it; `buffer`
   * allocates a zeroed array of the model's float type.
   */
  derivation?(k: Kernels, WhForward: FloatArray, WhBackward: FloatArray, s: CellShape, buffer: (length: number) => FloatArray): CellDerivation;
}

/** What one derivation step keeps of the cell, beside h(t−1) and h(t) (vectors copied out as float64). */
export interface CellStepValues {
  /** (G) (1.1) z(t) = Wh·h(t−1) + Wx·x(t) + b1; empty for the LSTM, whose gate values replace it. */
  z: Float64Array;
  /** LSTM: (4H) the gate values [i | f | g | o] of (L.2). */
  gates?: Float64Array;
  /** LSTM: (H) c(t−1) and (L.3) c(t) = f ∘ c(t−1) + i ∘ g. */
  cPrev?: Float64Array;
  c?: Float64Array;
}

/** What one backward derivation step keeps of the cell's own carried gradients. */
export interface CellBackwardValues {
  /** LSTM: (H) the part of κ(t) = ∂J/∂c(t) that came back from step t + 1, κ(t+1) ∘ f(t+1) (zero at T). */
  kappaIn?: Float64Array;
  /** LSTM: (H) κ(t) ∘ f(t), what this step passes back to c(t−1) (L.11). */
  kappaOut?: Float64Array;
}

/**
 * A cell walked one step at a time on a batch of one row (s.rows = 1), forward t = 1..T then
 * backward t = T..1. The cell keeps what it carries besides h (the LSTM's c and κ) itself.
 */
export interface CellDerivation {
  /** z (G) holds the input half Wx·x(t) + b1 on entry; writes h(t) into h from h(t−1) = hPrev. */
  forward(z: FloatArray, h: FloatArray, hPrev: FloatArray): CellStepValues;
  /**
   * From γ(t) = gamma (Trick 2's sum), step t's h(t) and its forward values, writes dz (G) = ∂J/∂z(t)
   * and gammaPrev = Whᵀ dz(t), the part of γ(t−1) that flows back through step t (6.2).
   */
  backward(gammaPrev: FloatArray, dz: FloatArray, gamma: FloatArray, h: FloatArray, step: CellStepValues): CellBackwardValues;
}

/** One layer's cell: the step functions of the sweep, over caches it owns. */
export interface RecurrentCell {
  /** Sizes the caches for P positions (they are indexed by packed position, see core/batch.ts). */
  shape(view: BufferView, positions: number, hidden: number, units: number): void;

  /**
   * Where inputPreactivation writes Wx·x(t) + b1 of the positions [0, P): the seed's RNN computes
   * z in place of h (`h`: h(t) of those positions), the LSTM in its gates, the GRU in its own p.
   */
  inputHalf(h: FloatArray, positions: number, units: number): FloatArray;

  /**
   * One step forward for shape.rows rows whose positions start at `at`: from prev (h(t−1), …) and
   * the input half already in place, writes next (h(t), …) and caches what backward needs.
   */
  forwardStep(k: Kernels, next: CarriedState, prev: CarriedState, at: number, w: LayerWeights, WhPacked: FloatArray, s: CellShape): void;

  /**
   * One step backward. On entry gamma (rows×H) is the accumulated γ(t) = ∂J/∂h(t) (Trick 2) and
   * gradPrev[1..] the other carried gradients from step t + 1 (the LSTM's κ); gradPrev's blocks may
   * be longer than rows×H (the first rows are the step's). Writes the step's
   * ∂J/∂z into the cell's caches (the RNN: in place of gamma), and gradPrev = ∂J/∂(prev):
   * γ(t−1) = Whᵀ (γ(t) ∘ σ'(z(t))) + the local term each cell adds (6.2).
   */
  backwardStep(
    k: Kernels,
    gradPrev: CarriedState,
    gamma: FloatArray,
    next: CarriedState,
    prev: CarriedState,
    at: number,
    WhPacked: FloatArray,
    s: CellShape,
  ): void;

  /**
   * The tied weights' gradients, Eq. 4.1: Σ over every step of (5.2), as products over all P
   * positions at once. gamma holds every position's dz as backwardStep left it (the RNN's caches);
   * hPrev is h(t−1) of every position, stacked the same way.
   */
  weightGradients(k: Kernels, g: LayerWeights, gamma: FloatArray, hPrev: FloatArray, input: CellInput, s: CellShape): void;

  /** ∂J/∂(Wx·x + b1) of every position after the sweep (for dx = that · Wx); `gamma` as for weightGradients. */
  inputGradientSource(gamma: FloatArray, positions: number, units: number): FloatArray;
}

/**
 * The recurrent weight matrix as the two products of every step read it, packed (Kernels.pack)
 * once per batch rather than once per step:
 *   forward   Whᵀ (H×units):   z += h(t−1)·Whᵀ                (1.1)
 *   backward  Wh  (units×H):   γ(t−1) = dz·Wh, i.e. Whᵀ dz    (6.2)
 */
export function packRecurrentForward(k: Kernels, packed: FloatArray, Wh: FloatArray, s: CellShape): void {
  k.pack(packed, Wh, s.hidden, s.units, true); // B = Whᵀ, given as Wh
}

export function packRecurrentBackward(k: Kernels, packed: FloatArray, Wh: FloatArray, s: CellShape): void {
  k.pack(packed, Wh, s.units, s.hidden, false);
}

/** out (+)= A·B (B packed) over rows [from, rows) of A and out; rows before `from` are left alone. */
export function matmulPackedRowsFrom(
  k: Kernels,
  out: FloatArray,
  a: FloatArray,
  packed: FloatArray,
  from: number,
  rows: number,
  inner: number,
  cols: number,
  accumulate: boolean,
): void {
  if (from >= rows) return;
  k.matmulPacked(from > 0 ? out.subarray(from * cols) : out, from > 0 ? a.subarray(from * inner) : a, packed, rows - from, inner, cols, accumulate);
}

/**
 * The input half of (1.1), z = Wx·x + b1, for every row of `input` at once (z: rows×units). It
 * does not depend on h(t−1), so the model computes it for all T steps of a batch in one product
 * before the recurrence (as the output layer runs after it); one-hot x picks columns of Wx.
 * The LSTM's (L.1) and the GRU's input part p (G.1) are the same product with more units.
 */
export function inputPreactivation(k: Kernels, z: FloatArray, input: CellInput, w: Pick<LayerWeights, 'Wx' | 'b1'>, s: CellShape): void {
  const { rows, inputSize: D, units } = s;
  if (input.kind === 'one-hot') {
    z.fill(0, 0, rows * units);
    k.addWeightColumns(z, w.Wx, input.ids, rows, units, D); // Wx·x = column ids of Wx
  } else k.matmulABt(z, input.x, w.Wx, rows, D, units, false); // x·Wxᵀ
  k.addBias(z, w.b1, rows, units); // + b1
}

/**
 * The recurrent half of (1.1), step by step: z += Wh·h(t−1) = hPrev·Whᵀ (Whᵀ packed by
 * packRecurrentForward). Rows that read the zero state add nothing.
 */
export function recurrentPreactivation(k: Kernels, z: FloatArray, hPrev: FloatArray, WhPacked: FloatArray, s: CellShape): void {
  matmulPackedRowsFrom(k, z, hPrev, WhPacked, s.zeroStateRows ?? 0, s.rows, s.hidden, s.units, true);
}

/**
 * The recurrent term of (6.2): gammaPrev (+)= Whᵀ dz for every row, as dz·Wh with Wh (units×H)
 * packed by packRecurrentBackward. Rows that read the zero state get none (nothing is upstream
 * of a constant).
 */
export function recurrentGradient(k: Kernels, gammaPrev: FloatArray, dz: FloatArray, WhPacked: FloatArray, s: CellShape, accumulate: boolean): void {
  matmulPackedRowsFrom(k, gammaPrev, dz, WhPacked, s.zeroStateRows ?? 0, s.rows, s.units, s.hidden, accumulate);
}

/** dWh += dZᵀ·H_prev (dz: rows × units), Σ over positions of (5.2); rows that read the zero state add nothing and are skipped. */
export function recurrentWeightGradient(k: Kernels, gradWh: FloatArray, dz: FloatArray, hPrev: FloatArray, s: CellShape): void {
  const { rows, hidden: H, units } = s;
  const zero = s.zeroStateRows ?? 0; // their h(k−1) = 0
  if (zero < rows) k.matmulAtBAccumulate(gradWh, dz.subarray(zero * units), hPrev.subarray(zero * H), units, rows - zero, H);
}

/** The backward of inputPreactivation: dWx += dZᵀ·X (one-hot x: dWx[:, x(k)] += dz(k)), db1 += Σ_rows dZ. */
export function inputWeightGradients(k: Kernels, grads: Pick<LayerWeights, 'Wx' | 'b1'>, dz: FloatArray, input: CellInput, s: CellShape): void {
  const { rows, inputSize: D, units } = s;
  if (input.kind === 'one-hot') k.addToWeightColumns(grads.Wx, dz, input.ids, rows, units, D);
  else k.matmulAtBAccumulate(grads.Wx, dz, input.x, units, rows, D);
  k.sumRowsAccumulate(grads.b1, dz, rows, units);
}

/** ∂J/∂x = Wxᵀ dz for dense (embedded) input, for all rows at once: dX = dZ · Wx. */
export function cellInputGradient(k: Kernels, dx: FloatArray, dz: FloatArray, w: Pick<LayerWeights, 'Wx'>, s: CellShape): void {
  k.matmulAB(dx, dz, w.Wx, s.rows, s.units, s.inputSize, false);
}

/**
 * Where things are in a batch's buffers: the recurrent state of every step (the rows each step
 * reads and writes), document resets, and the layout of a carried state (per layer h, then c for
 * the LSTM, each a block of rows×H) that stream mode and the data-parallel threads pass around.
 *
 * A layer's state buffers hold (B + P) rows: h0 (B rows), then h(t) of every real position,
 * step after step (P positions, packed as in core/batch.ts).
 */
import type { FloatArray } from '../core/arrays.js';
import type { PackedBatch } from '../core/batch.js';
import type { CarriedState } from '../nn/recurrent-cell.js';

/** Where step t's rows are. */
export interface StepPlace {
  /** Rows still real at step t (a prefix of the batch). */
  rows: number;
  /** Step t's first packed position: its rows are positions [at, at + rows). */
  at: number;
  /** The first row of h(t−1) in the state buffers: h0's rows for t = 0, else step t − 1's block. */
  from: number;
  /** The first row of h(t) in the state buffers. */
  to: number;
}

export function stepPlace(packed: PackedBatch, B: number, t: number): StepPlace {
  const at = packed.offsets[t];
  return { rows: packed.offsets[t + 1] - at, at, from: t === 0 ? 0 : B + packed.offsets[t - 1], to: B + at };
}

/** Rows [row, row + rows) of a buffer of `width`-wide rows. */
export function rowsOf(buffer: FloatArray, row: number, rows: number, width: number): FloatArray {
  return buffer.subarray(row * width, (row + rows) * width);
}

/** Whether some row of step t starts a new document (batch.resets). */
export function resetsAt(packed: PackedBatch, t: number): boolean {
  if (!packed.resets) return false;
  for (let i = packed.offsets[t]; i < packed.offsets[t + 1]; i++) if (packed.resets[i]) return true;
  return false;
}

/**
 * The state step t reads, block by block: the previous step's rows, except that a row starting a
 * new document at step t reads zeros. Such steps get a copy (in `copies`, at the step's positions)
 * with those rows zeroed: the state before the boundary is then no input of step t, so no
 * gradient flows back into it (see stopAtDocumentBoundaries).
 */
export function previousState(state: CarriedState, copies: CarriedState, packed: PackedBatch, place: StepPlace, t: number, H: number): FloatArray[] {
  const prev = state.map((block) => rowsOf(block, place.from, place.rows, H));
  if (!resetsAt(packed, t)) return prev;
  return prev.map((block, i) => {
    const copy = rowsOf(copies[i], place.at, place.rows, H);
    copy.set(block);
    for (let r = 0; r < place.rows; r++) if (packed.resets![place.at + r]) copy.fill(0, r * H, (r + 1) * H);
    return copy;
  });
}

/** The state step t writes, block by block: h(t) (and c(t)) of its rows. */
export function nextState(state: CarriedState, place: StepPlace, H: number): FloatArray[] {
  return state.map((block) => rowsOf(block, place.to, place.rows, H));
}

/**
 * A row that starts a new document at step t read h(t−1) = 0, a constant: the gradients it
 * passes back (γ, and the LSTM's κ) stop at the boundary.
 */
export function stopAtDocumentBoundaries(gradPrev: CarriedState, packed: PackedBatch, place: StepPlace, t: number, H: number): void {
  if (!resetsAt(packed, t)) return;
  for (let r = 0; r < place.rows; r++) if (packed.resets![place.at + r]) for (const block of gradPrev) block.fill(0, r * H, (r + 1) * H);
}

/**
 * Rows [from, to) of a state laid out as forward's h0 (blocks of `rows`×H: per layer h, then c for
 * the LSTM), as a state of their own (to − from rows): the part one thread starts from.
 */
export function stateRows(state: FloatArray, rows: number, hidden: number, from: number, to: number): FloatArray {
  const blocks = state.length / (rows * hidden);
  const part = state.slice(0, blocks * (to - from) * hidden);
  for (let block = 0; block < blocks; block++)
    part.set(state.subarray((block * rows + from) * hidden, (block * rows + to) * hidden), block * (to - from) * hidden);
  return part;
}

/** The inverse of stateRows: writes a part's rows back at rows [from, from + part rows) of `state`. */
export function setStateRows(state: FloatArray, rows: number, hidden: number, from: number, part: FloatArray): void {
  const blocks = state.length / (rows * hidden);
  const partRows = part.length / (blocks * hidden);
  for (let block = 0; block < blocks; block++)
    state.set(part.subarray(block * partRows * hidden, (block + 1) * partRows * hidden), (block * rows + from) * hidden);
}

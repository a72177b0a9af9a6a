/**
 * A minibatch of token sequences, stored TIME-MAJOR: the B token ids of time
 * step t sit together at [t·B, (t+1)·B), so each step of the unrolled RNN
 * reads one contiguous slice.
 *
 *   inputs  (T×B)  token fed at step t (x(t) in the seed)
 *   targets (T×B)  token to predict at step t (the one-hot y(t) of Eq. 3.2)
 *   mask    (T×B)  1 where the position is real, 0 where it is padding
 *
 * Padding only ever follows a row's real positions, so padded steps never
 * influence a real one: their loss is masked and nothing flows back from them.
 * Rows are sorted longest first, so at every step the rows that still have
 * real tokens are a prefix 0..activeRows[t] of the batch: the model computes
 * only those, and padding costs nothing.
 */
export interface Batch {
  /** T: time steps unrolled. */
  steps: number;
  /** B: sequences in the batch. */
  rows: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  /** Σ mask: the number of real (predicted) tokens. */
  tokens: number;
  /** (T) rows with a real position at step t; non-increasing in t. Rows from activeRows[t] on are padding at step t. */
  activeRows: Int32Array;
  /**
   * (T×B), optional: 1 where a row starts a new document at step t, so the
   * model reads h(t−1) = 0 there instead of the previous step's state (stream
   * mode, data/stream.ts). Absent: no resets inside the batch.
   */
  resets?: Uint8Array;
}

/**
 * A batch's arrays for T steps of B rows, zeroed, as views of one buffer: allocating typed arrays
 * one by one costs about 1 µs each here, and a step of a small batch on two threads makes dozens.
 */
export function batchArrays(T: number, B: number): Pick<Batch, 'inputs' | 'targets' | 'mask' | 'activeRows'> {
  const size = T * B;
  const buffer = new ArrayBuffer(4 * (3 * size + T));
  return {
    inputs: new Int32Array(buffer, 0, size),
    targets: new Int32Array(buffer, 4 * size, size),
    mask: new Float32Array(buffer, 8 * size, size),
    activeRows: new Int32Array(buffer, 12 * size, T),
  };
}

/**
 * Builds a batch from per-row input/target id lists. Rows may differ in
 * length: they are reordered longest first (the loss does not depend on the
 * order of rows) and the shorter ones are padded and masked.
 */
export function batchFromRows(inputRows: readonly number[][], targetRows: readonly number[][], steps?: number): Batch {
  const rows = inputRows.length;
  const T = steps ?? Math.max(0, ...inputRows.map((row) => row.length));
  const order = inputRows.map((_, b) => b).sort((a, b) => inputRows[b].length - inputRows[a].length);
  const { inputs, targets, mask, activeRows } = batchArrays(T, rows);
  let tokens = 0;
  order.forEach((source, b) => {
    const length = Math.min(T, inputRows[source].length);
    for (let t = 0; t < length; t++) {
      inputs[t * rows + b] = inputRows[source][t];
      targets[t * rows + b] = targetRows[source][t];
      mask[t * rows + b] = 1;
      activeRows[t] = b + 1;
    }
    tokens += length;
  });
  return { steps: T, rows, inputs, targets, mask, tokens, activeRows };
}

/**
 * Rows [from, to) of a batch, as a batch of their own (still sorted longest
 * first): the part of a minibatch one thread computes.
 */
export function sliceBatch(batch: Batch, from: number, to: number): Batch {
  const { steps: T, rows: B } = batch;
  const rows = to - from;
  const { inputs, targets, mask, activeRows } = batchArrays(T, rows);
  let tokens = 0;
  for (let t = 0; t < T; t++) {
    inputs.set(batch.inputs.subarray(t * B + from, t * B + to), t * rows);
    targets.set(batch.targets.subarray(t * B + from, t * B + to), t * rows);
    mask.set(batch.mask.subarray(t * B + from, t * B + to), t * rows);
    activeRows[t] = Math.min(rows, Math.max(0, batch.activeRows[t] - from));
    for (let r = 0; r < rows; r++) tokens += mask[t * rows + r];
  }
  const sliced: Batch = { steps: T, rows, inputs, targets, mask, tokens, activeRows };
  if (batch.resets) {
    const resets = (sliced.resets = new Uint8Array(T * rows));
    for (let t = 0; t < T; t++) resets.set(batch.resets.subarray(t * B + from, t * B + to), t * rows);
  }
  return sliced;
}

/**
 * The batch PACKED: only real positions, step after step. Step t's rows are
 * packed rows [offsets[t], offsets[t + 1]) (its activeRows[t] real rows, in
 * order), so a computation over "all steps" touches each real token once and
 * padding costs nothing, like PyTorch's PackedSequence.
 */
export interface PackedBatch {
  /** (T + 1) start of each step's rows; offsets[T] = P, the number of real positions. */
  offsets: Int32Array;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  /** (P) the batch's resets, packed the same way; absent when the batch has none. */
  resets?: Uint8Array;
}

const packedCache = new WeakMap<Batch, PackedBatch>();

export function packBatch(batch: Batch): PackedBatch {
  const cached = packedCache.get(batch);
  if (cached) return cached;
  const { steps: T, rows: B } = batch;
  const offsets = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) offsets[t + 1] = offsets[t] + batch.activeRows[t];
  const P = offsets[T];
  const { inputs, targets, mask } = batchArrays(1, P);
  const resets = batch.resets ? new Uint8Array(P) : undefined;
  for (let t = 0; t < T; t++) {
    const rows = batch.activeRows[t];
    inputs.set(batch.inputs.subarray(t * B, t * B + rows), offsets[t]);
    targets.set(batch.targets.subarray(t * B, t * B + rows), offsets[t]);
    mask.set(batch.mask.subarray(t * B, t * B + rows), offsets[t]);
    resets?.set(batch.resets!.subarray(t * B, t * B + rows), offsets[t]);
  }
  const packed: PackedBatch = { offsets, inputs, targets, mask, resets };
  packedCache.set(batch, packed);
  return packed;
}

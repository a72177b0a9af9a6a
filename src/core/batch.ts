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
}

/** Builds a batch from per-row input/target id lists (rows may differ in length; shorter ones are padded). */
export function batchFromRows(inputRows: readonly number[][], targetRows: readonly number[][], steps?: number): Batch {
  const rows = inputRows.length;
  const T = steps ?? Math.max(0, ...inputRows.map((row) => row.length));
  const inputs = new Int32Array(T * rows);
  const targets = new Int32Array(T * rows);
  const mask = new Float32Array(T * rows);
  let tokens = 0;
  for (let b = 0; b < rows; b++) {
    const length = Math.min(T, inputRows[b].length);
    for (let t = 0; t < length; t++) {
      inputs[t * rows + b] = inputRows[b][t];
      targets[t * rows + b] = targetRows[b][t];
      mask[t * rows + b] = 1;
    }
    tokens += length;
  }
  return { steps: T, rows, inputs, targets, mask, tokens };
}

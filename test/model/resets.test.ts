/**
 * Per-row, per-step state resets (batch.resets, used by stream mode at document
 * boundaries) and the final state that stream mode carries between windows:
 * gradient checks of the reset path for every cell and layer count, resets
 * equal separate sequences, and carrying the final state equals one long unroll.
 */
import { describe, expect, it } from 'vitest';
import { batchFromRows, gradcheck, gradcheckPasses, Random, RnnModel, type Batch, type Cell } from '../../src/index.js';
import { expectSameLossAndGradients } from '../helpers.js';

/** A batch from rows (given longest first, so batchFromRows keeps their order) with resets at the given (row, step) pairs. */
function batchWithResets(inputs: number[][], targets: number[][], resets: [number, number][]): Batch {
  const batch = batchFromRows(inputs, targets);
  batch.resets = new Uint8Array(batch.steps * batch.rows);
  for (const [row, step] of resets) batch.resets[step * batch.rows + row] = 1;
  return batch;
}

const cells = [
  ['rnn', 'sigmoid'],
  ['rnn', 'tanh'],
  ['lstm', 'tanh'],
  ['gru', 'tanh'],
] as const;
const config = (cell: Cell, activation: 'sigmoid' | 'tanh', layers: number, embed = 0) =>
  ({ cell, activation, vocabSize: 7, hidden: 5, embed, layers, dtype: 'float64', init: 'scaled' }) as const;

describe('gradient check of the reset path', () => {
  it.each(cells.flatMap(([cell, activation]) => [1, 2].map((layers) => [cell, activation, layers] as const)))(
    '%s (%s), %i layer(s): resets at step 0 and mid-sequence, with padding and h0',
    (cell, activation, layers) => {
      const model = RnnModel.initialized(config(cell, activation, layers, layers === 2 ? 3 : 0), 31);
      // Row 0 resets at steps 2 and 4; row 1 at step 0 (its h0 is ignored) and 2; row 2 (padded) never.
      const batch = batchWithResets(
        [
          [1, 2, 0, 3, 0, 4],
          [0, 5, 0, 6],
          [2, 3],
        ],
        [
          [2, 0, 3, 0, 4, 1],
          [5, 0, 6, 1],
          [3, 4],
        ],
        [
          [0, 2],
          [0, 4],
          [1, 0],
          [1, 2],
        ],
      );
      const random = new Random(17);
      const h0 = Float64Array.from({ length: 3 * model.stateSize }, () => 0.5 * random.normal());
      const results = gradcheck(model, batch, { scale: 1 / 3, h0 });
      for (const r of results) expect(r.maxRelativeError, r.name).toBeLessThan(1e-6);
      expect(gradcheckPasses(results)).toBe(true);
      // Row 1 resets at step 0: nothing flows back into its initial state.
      const S = model.stateSize / layers;
      for (let layer = 0; layer < layers; layer++) {
        for (let part = 0; part < S / 5; part++) {
          const at = layer * 3 * S + part * 3 * 5 + 5; // row 1 of this layer's h0 (or c0) block
          expect(Array.from(model.initialStateGradient().subarray(at, at + 5))).toEqual([0, 0, 0, 0, 0]);
        }
      }
    },
  );
});

describe('a reset equals starting a separate sequence', () => {
  it.each(cells.flatMap(([cell, activation]) => [1, 2].map((layers) => [cell, activation, layers] as const)))(
    '%s (%s), %i layer(s): same loss and gradients',
    (cell, activation, layers) => {
      const joined = RnnModel.initialized(config(cell, activation, layers), 5);
      const separate = RnnModel.initialized(config(cell, activation, layers), 5);
      // "0abc0de" fed as one row with a reset where the second document starts (its leading 0)...
      const one = batchWithResets([[0, 1, 2, 3, 0, 4, 5]], [[1, 2, 3, 0, 4, 5, 0]], [[0, 4]]);
      // ... and as two rows from h0 = 0.
      const two = batchFromRows(
        [
          [0, 1, 2, 3],
          [0, 4, 5],
        ],
        [
          [1, 2, 3, 0],
          [4, 5, 0],
        ],
      );
      expectSameLossAndGradients(joined, one, separate, two);
    },
  );
});

describe('carrying the final state between windows', () => {
  it.each(cells.flatMap(([cell, activation]) => [1, 2].map((layers) => [cell, activation, layers] as const)))(
    '%s (%s), %i layer(s): windows with the state carried equal one long unroll',
    (cell, activation, layers) => {
      const model = RnnModel.initialized(config(cell, activation, layers, 3), 9);
      const random = new Random(4);
      const B = 3;
      const length = 12;
      const rows = Array.from({ length: B }, () => Array.from({ length: length + 1 }, () => Math.floor(random.uniform() * 7)));
      const slice = (from: number, to: number) =>
        batchFromRows(
          rows.map((r) => r.slice(from, to)),
          rows.map((r) => r.slice(from + 1, to + 1)),
        );

      const whole = model.forward(slice(0, length));
      const wholeState = Float64Array.from(model.finalState());

      let carried: Float64Array | undefined;
      let windows = 0;
      for (const [from, to] of [
        [0, 5],
        [5, 10],
        [10, 12],
      ]) {
        windows += model.forward(slice(from, to), carried);
        carried = Float64Array.from(model.finalState());
      }
      expect(Array.from(carried!)).toEqual(Array.from(wholeState)); // bitwise: the same operations in the same order
      expect(Math.abs(windows - whole)).toBeLessThan(1e-12); // the loss sums add up in another order
    },
  );

  it('a padded row keeps the state of its last real step', () => {
    const model = RnnModel.initialized(config('lstm', 'tanh', 2), 2);
    model.forward(batchFromRows([[1, 2, 3]], [[2, 3, 4]]));
    const alone = Float64Array.from(model.finalState());
    model.forward(
      batchFromRows(
        [
          [5, 5, 5, 5, 5],
          [1, 2, 3],
        ],
        [
          [5, 5, 5, 5, 5],
          [2, 3, 4],
        ],
      ),
    );
    const state = model.finalState();
    const H = 5;
    for (let block = 0; block < 4; block++) {
      // each layer's h and c blocks: row 1 of the two-row batch equals the row alone
      expect(Array.from(state.subarray(block * 2 * H + H, block * 2 * H + 2 * H))).toEqual(Array.from(alone.subarray(block * H, (block + 1) * H)));
    }
  });
});

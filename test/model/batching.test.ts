/**
 * A batch is only a faster way to do several sequences at once: its loss and
 * gradients must equal the sums over its rows done one at a time, whatever the
 * rows' lengths and order (rows are reordered longest first and padded
 * positions are skipped).
 */
import { describe, expect, it } from 'vitest';
import { batchFromRows, RnnModel } from '../../src/index.js';
import { expectClose } from '../helpers.js';

describe.each([0, 4])('a padded batch equals its rows one by one (embed %i)', (embed) => {
  it('same summed loss and gradients', () => {
    const model = RnnModel.initialized({ cell: 'rnn', activation: 'tanh', vocabSize: 6, hidden: 5, embed, layers: 1, dtype: 'float64', init: 'scaled' }, 8);
    const inputs = [[1, 2], [0, 1, 2, 3, 4], [], [5, 4, 3]];
    const targets = [[2, 3], [1, 2, 3, 4, 5], [], [4, 3, 2]];

    const batch = batchFromRows(inputs, targets);
    expect(Array.from(batch.activeRows)).toEqual([3, 3, 2, 1, 1]);
    const batchLoss = model.forward(batch);
    model.backward({ scale: 1, clip: Infinity });
    const batchGrads = Float64Array.from(model.grads);

    let loss = 0;
    const grads = new Float64Array(model.grads.length);
    for (let r = 0; r < inputs.length; r++) {
      if (inputs[r].length === 0) continue;
      loss += model.forward(batchFromRows([inputs[r]], [targets[r]]));
      model.backward({ scale: 1, clip: Infinity });
      model.grads.forEach((g, i) => (grads[i] += g));
    }
    expect(Math.abs(batchLoss - loss)).toBeLessThan(1e-12);
    expectClose('gradients', batchGrads, grads, 1e-12);
  });
});

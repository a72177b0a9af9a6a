/**
 * The real model against the blog-exact oracle (src/model/blog-oracle.ts): the same loss and the
 * same gradients, for one sequence and for a packed batch of sequences of different lengths (the
 * batch's gradient is the sum of its sequences').
 */
import { describe, expect, it } from 'vitest';
import { batchFromRows, Random, referenceKernels, RnnModel, type ModelConfig } from '../../src/index.js';
import { blogBptt, type BlogWeights, type Matrix } from '../../src/model/blog-oracle.js';

const H = 4;
const V = 5;
const config: ModelConfig = { cell: 'rnn', activation: 'sigmoid', vocabSize: V, hidden: H, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' };

const matrix = (flat: ArrayLike<number>, rows: number, cols: number): Matrix =>
  Array.from({ length: rows }, (_, i) => Array.from(flat).slice(i * cols, (i + 1) * cols));
const blogWeights = (m: RnnModel): BlogWeights => {
  const w = m.weights;
  return { Wh: matrix(w.Wh, H, H), Wx: matrix(w.Wx, H, V), b1: Array.from(w.b1), U: matrix(w.U, V, H), b2: Array.from(w.b2) };
};
const flat = (g: BlogWeights) => ({ Wh: g.Wh.flat(), Wx: g.Wx.flat(), b1: g.b1, U: g.U.flat(), b2: g.b2 });

function expectClose(actual: ArrayLike<number>, expected: readonly number[], name: string): void {
  expect(actual.length, name).toBe(expected.length);
  const scale = Math.max(1e-12, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]) / scale, `${name}[${i}]`).toBeLessThan(1e-12);
}

describe('the blog-exact oracle', () => {
  const random = new Random(7);
  const sequence = (length: number) => Array.from({ length: length + 1 }, () => Math.floor(random.uniform() * V));

  it('is the real model on one sequence: loss (3.3) and every gradient ((5.2) summed by (4.1), dU, db2, dWx, db1)', () => {
    const model = RnnModel.initialized(config, 3, referenceKernels);
    const ids = sequence(6);
    const inputs = ids.slice(0, -1);
    const targets = ids.slice(1);
    const lossSum = model.forward(batchFromRows([inputs], [targets]));
    model.backward({ scale: 1, clip: Infinity });
    const oracle = blogBptt(blogWeights(model), inputs, targets);
    expect(Math.abs(lossSum - oracle.loss) / oracle.loss).toBeLessThan(1e-12);
    const expected = flat(oracle.grads);
    for (const name of ['Wh', 'Wx', 'b1', 'U', 'b2'] as const) expectClose(model.gradients[name], expected[name], name);
  });

  it('summed over sequences, is the real model on a packed batch of rows of different lengths', () => {
    const model = RnnModel.initialized(config, 11, referenceKernels);
    const rows = [5, 2, 7, 1, 4].map(sequence);
    const lossSum = model.forward(
      batchFromRows(
        rows.map((r) => r.slice(0, -1)),
        rows.map((r) => r.slice(1)),
      ),
    );
    model.backward({ scale: 1, clip: Infinity });
    const each = rows.map((r) => blogBptt(blogWeights(model), r.slice(0, -1), r.slice(1)));
    expect(Math.abs(lossSum - each.reduce((s, o) => s + o.loss, 0)) / lossSum).toBeLessThan(1e-12);
    for (const name of ['Wh', 'Wx', 'b1', 'U', 'b2'] as const) {
      const sum = each.map((o) => flat(o.grads)[name]).reduce((a, b) => a.map((v, i) => v + b[i]));
      expectClose(model.gradients[name], sum, name);
    }
  });
});

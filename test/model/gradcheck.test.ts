/**
 * Gradient check of the whole unrolled model (BPTT), float64, for both
 * activations, one-hot and embedding input, with padded and fully masked rows
 * and a non-zero h0: every parameter entry and every entry of h0.
 */
import { describe, expect, it } from 'vitest';
import { batchFromRows, gradcheck, gradcheckPasses, Random, RnnModel } from '../../src/index.js';

// relu has a kink at 0: a smaller ε keeps the stencil from straddling it (the seeds are fixed).
const epsilonFor = (activation: string) => (activation === 'relu' ? 1e-4 : undefined);

describe.each(['sigmoid', 'tanh', 'relu'] as const)('BPTT gradient check, %s', (activation) => {
  it.each([0, 5])('embed %i: every gradient within 1e-6 relative error', (embed) => {
    const model = RnnModel.initialized({ cell: 'rnn', activation, vocabSize: 7, hidden: 9, embed, layers: 1, dtype: 'float64', init: 'scaled' }, 11);
    const batch = batchFromRows([[1, 2, 3, 4, 5, 6, 0], [0, 3, 2], [4], []], [[2, 3, 4, 5, 6, 0, 1], [3, 2, 1], [0], []], 7);
    const random = new Random(3);
    const h0 = Float64Array.from({ length: 4 * 9 }, () => 0.5 * random.normal());
    const results = gradcheck(model, batch, { scale: 1 / 4, h0, epsilon: epsilonFor(activation) });
    expect(results.map((r) => r.name)).toEqual([...(embed ? ['embedding'] : []), 'Wh', 'Wx', 'b1', 'U', 'b2', 'h0']);
    for (const r of results) expect(r.maxRelativeError, r.name).toBeLessThan(1e-6);
    expect(gradcheckPasses(results)).toBe(true);
  });

  it("the seed's unscaled N(0, 1) weights pass too", () => {
    const model = RnnModel.initialized({ cell: 'rnn', activation, vocabSize: 5, hidden: 6, embed: 0, layers: 1, dtype: 'float64', init: 'seed' }, 2);
    const batch = batchFromRows(
      [
        [0, 1, 2, 3],
        [4, 4],
      ],
      [
        [1, 2, 3, 4],
        [4, 0],
      ],
      4,
    );
    expect(gradcheckPasses(gradcheck(model, batch, { scale: 1 / 2, epsilon: epsilonFor(activation) }))).toBe(true);
  });
});

describe('gradcheck itself', () => {
  it('catches a wrong gradient', () => {
    const model = RnnModel.initialized({ cell: 'rnn', activation: 'tanh', vocabSize: 5, hidden: 4, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' }, 2);
    const batch = batchFromRows([[0, 1, 2]], [[1, 2, 3]], 3);
    const original = model.backward.bind(model);
    model.backward = (options) => {
      const clipped = original(options);
      model.gradients.Wh[3] *= 1.001; // a 0.1% error in one entry
      return clipped;
    };
    const results = gradcheck(model, batch, { scale: 1 });
    expect(results.find((r) => r.name === 'Wh')!.maxRelativeError).toBeGreaterThan(1e-4);
    expect(gradcheckPasses(results)).toBe(false);
  });
});

describe('BPTT gradient check, LSTM (docs/derivations/lstm.md)', () => {
  it.each([0, 5])('embed %i: every gradient, and those of h0 and c0, within 1e-6 relative error', (embed) => {
    const model = RnnModel.initialized({ cell: 'lstm', activation: 'tanh', vocabSize: 7, hidden: 6, embed, layers: 1, dtype: 'float64', init: 'scaled' }, 5);
    expect(model.weights.Wh.length).toBe(4 * 6 * 6);
    const batch = batchFromRows([[1, 2, 3, 4, 5, 6, 0], [0, 3, 2], [4], []], [[2, 3, 4, 5, 6, 0, 1], [3, 2, 1], [0], []], 7);
    const random = new Random(8);
    const initial = Float64Array.from({ length: 4 * 2 * 6 }, () => 0.5 * random.normal()); // h0 then c0
    const results = gradcheck(model, batch, { scale: 1 / 4, h0: initial });
    for (const r of results) expect(r.maxRelativeError, r.name).toBeLessThan(1e-6);
    expect(gradcheckPasses(results)).toBe(true);
  });
});

describe('LSTM initialisation', () => {
  it("--forget-bias sets the forget gate's slice of b1, and nothing else", () => {
    const config = { cell: 'lstm', activation: 'tanh', vocabSize: 5, hidden: 4, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' } as const;
    const plain = RnnModel.initialized(config, 3);
    const biased = RnnModel.initialized({ ...config, forgetBias: 1 }, 3);
    expect(Array.from(biased.weights.b1.subarray(4, 8))).toEqual([1, 1, 1, 1]);
    expect(Array.from(biased.weights.b1.subarray(0, 4))).toEqual(Array.from(plain.weights.b1.subarray(0, 4)));
    expect(Array.from(biased.weights.Wh)).toEqual(Array.from(plain.weights.Wh));
  });
});

describe('BPTT gradient check, GRU (docs/derivations/gru.md)', () => {
  it.each([0, 5])('embed %i: every gradient (both biases) and that of h0 within 1e-6 relative error', (embed) => {
    const model = RnnModel.initialized({ cell: 'gru', activation: 'tanh', vocabSize: 7, hidden: 6, embed, layers: 1, dtype: 'float64', init: 'scaled' }, 6);
    expect(model.weights.Wh.length).toBe(3 * 6 * 6);
    const batch = batchFromRows([[1, 2, 3, 4, 5, 6, 0], [0, 3, 2], [4], []], [[2, 3, 4, 5, 6, 0, 1], [3, 2, 1], [0], []], 7);
    const random = new Random(9);
    const h0 = Float64Array.from({ length: 4 * 6 }, () => 0.5 * random.normal());
    const results = gradcheck(model, batch, { scale: 1 / 4, h0 });
    expect(results.map((r) => r.name)).toContain('bh');
    for (const r of results) expect(r.maxRelativeError, r.name).toBeLessThan(1e-6);
    expect(gradcheckPasses(results)).toBe(true);
  });
});

describe('BPTT gradient check, two stacked layers', () => {
  const units = [
    ['rnn', 'sigmoid'],
    ['rnn', 'tanh'],
    ['rnn', 'relu'],
    ['lstm', 'tanh'],
    ['gru', 'tanh'],
  ] as const;
  it.each(
    units.flatMap(
      ([cell, activation]) =>
        [
          [cell, activation, 0],
          [cell, activation, 4],
        ] as const,
    ),
  )("%s (%s), embed %i: every layer's gradients and both layers' initial states", (cell, activation, embed) => {
    // relu has kinks at 0: with seed 12 one pre-activation of the one-hot stack lies within the
    // stencil's ±2ε of 0 (the finite difference straddles the kink), so relu uses another seed.
    const seed = activation === 'relu' ? 21 : 12;
    const model = RnnModel.initialized({ cell, activation, vocabSize: 7, hidden: 6, embed, layers: 2, dtype: 'float64', init: 'scaled' }, seed);
    expect(model.layout.has('Wh_l1')).toBe(true);
    const batch = batchFromRows([[1, 2, 3, 4, 5, 6], [0, 3, 2], [4], []], [[2, 3, 4, 5, 6, 0], [3, 2, 1], [0], []], 6);
    const random = new Random(13);
    const initial = Float64Array.from({ length: 4 * model.stateSize }, () => 0.5 * random.normal());
    const results = gradcheck(model, batch, { scale: 1 / 4, h0: initial, epsilon: epsilonFor(activation) });
    expect(results.map((r) => r.name)).toContain('Wx_l1');
    for (const r of results) expect(r.maxRelativeError, r.name).toBeLessThan(1e-6);
    expect(gradcheckPasses(results)).toBe(true);
  });
});

describe('dropout between layers and before the output layer', () => {
  const config = { cell: 'lstm', activation: 'tanh', vocabSize: 7, hidden: 6, embed: 0, layers: 2, dtype: 'float64', init: 'scaled', dropout: 0.4 } as const;
  const batch = batchFromRows([[1, 2, 3, 4, 5, 6], [0, 3, 2], [4]], [[2, 3, 4, 5, 6, 0], [3, 2, 1], [0]], 6);

  it('with fixed masks, every gradient passes the gradient check', () => {
    const model = RnnModel.initialized(config, 4);
    expect(gradcheckPasses(gradcheck(model, batch, { scale: 1 / 3, dropoutSeed: 77 }))).toBe(true);
  });

  it.each(['rnn', 'lstm', 'gru'] as const)('%s with one layer (dropout only before the output layer): every gradient passes the gradient check', (cell) => {
    const model = RnnModel.initialized({ ...config, cell, layers: 1, embed: 3 }, 5);
    const results = gradcheck(model, batch, { scale: 1 / 3, dropoutSeed: 78 });
    for (const r of results) expect(r.maxRelativeError, r.name).toBeLessThan(1e-6);
    // The masks matter: with dropout the loss differs from the model's without.
    expect(model.forward(batch, undefined, 78)).not.toBe(model.forward(batch));
  });

  it('a dropped output entry passes no gradient: dU is zero where the mask zeroed h', () => {
    const model = RnnModel.initialized({ ...config, layers: 1, dropout: 0.95 }, 6); // almost every h(t) dropped
    model.forward(batch, undefined, 9);
    model.backward({ scale: 1, clip: Infinity });
    const dU = model.gradients.U;
    const zeroColumns = Array.from({ length: config.hidden }, (_, j) =>
      Array.from({ length: config.vocabSize }, (_, v) => dU[v * config.hidden + j]).every((x) => x === 0),
    );
    expect(zeroColumns.some(Boolean)).toBe(true); // a unit dropped at every position contributes nothing to dU
  });

  it('is on only when a seed is given: evaluation is deterministic and equals the model without dropout', () => {
    const model = RnnModel.initialized(config, 4);
    const plain = RnnModel.initialized({ ...config, dropout: 0 }, 4);
    const evaluation = model.forward(batch);
    expect(model.forward(batch)).toBe(evaluation);
    expect(plain.forward(batch)).toBe(evaluation);
    const training = model.forward(batch, undefined, 1);
    expect(training).not.toBe(evaluation);
    expect(model.forward(batch, undefined, 1)).toBe(training); // the same seed, the same masks
  });
});

/**
 * explainSample: the same sample as generate() for the same seed, and
 * probabilities that agree with the model's forward pass (the loss of the
 * sample as a training sequence is −Σ log ŷ).
 */
import { describe, expect, it } from 'vitest';
import { batchFromRows, BpttError, CharTokenizer, explainSample, generate, RnnModel, type Cell } from '../../src/index.js';

const tokenizer = CharTokenizer.fromText('abcde\nxyz\n');

describe.each(['rnn', 'lstm', 'gru'] as const)('explainSample, %s, 2 layers', (cell: Cell) => {
  const model = RnnModel.initialized({ cell, activation: 'tanh', vocabSize: tokenizer.size, hidden: 6, embed: 4, layers: 2, dtype: 'float64', init: 'scaled' }, 4);

  it.each([
    { seed: 1, temperature: 1 },
    { seed: 7, temperature: 0.7, topK: 3, prime: 'ab' },
    { seed: 3, temperature: 0 },
  ])('gives the sample generate() gives for %o', (options) => {
    const explained = explainSample(model, tokenizer, { ...options, maxLength: 30 });
    expect(explained.text).toBe(generate(model, tokenizer, { ...options, count: 1, maxLength: 30 }).samples[0] ?? '');
    expect(explained.text.startsWith(options.prime ?? '')).toBe(true);
  });

  it('its log-probability is minus the loss of the sample as a training sequence', () => {
    const explained = explainSample(model, tokenizer, { seed: 5, prime: 'x', maxLength: 40 });
    const ids = tokenizer.encode(explained.text);
    const ended = explained.tokens.at(-1)!.id === tokenizer.endId;
    expect(ended).toBe(true); // this seed ends its sample
    expect(explained.tokens.map((t) => t.text).join('')).toBe(explained.text + '\n');
    const lossSum = model.forward(batchFromRows([[tokenizer.endId, ...ids]], [[...ids, tokenizer.endId]]));
    expect(explained.logProbability).toBeCloseTo(-lossSum, 10);
    expect(explained.natsPerToken).toBeCloseTo(lossSum / (ids.length + 1), 10);
  });

  it('lists the most likely alternatives, most likely first, and the top layer\'s h', () => {
    const explained = explainSample(model, tokenizer, { seed: 2, alternatives: 3 });
    for (const token of explained.tokens) {
      expect(token.alternatives).toHaveLength(3);
      const p = token.alternatives.map((a) => a.probability);
      expect(p[0]).toBeGreaterThanOrEqual(p[1]);
      expect(p[1]).toBeGreaterThanOrEqual(p[2]);
      expect(token.probability).toBeLessThanOrEqual(p[0]);
      if (token.probability > p[2]) expect(token.alternatives.map((a) => a.id)).toContain(token.id);
      expect(token.hidden).toHaveLength(6);
    }
    // The first token's h is the top layer's state after reading '\n' from zeros.
    const state = new Float64Array(model.stateSize);
    const next = new Float64Array(model.stateSize);
    model.step(Int32Array.of(tokenizer.endId), state, next, new Float64Array(tokenizer.size));
    const top = model.stateSize - (cell === 'lstm' ? 12 : 6);
    expect(Array.from(explained.tokens[0].hidden)).toEqual(Array.from(Float32Array.from(next.subarray(top, top + 6))));
  });
});

it('explainSample rejects a prime with unknown characters', () => {
  const model = RnnModel.initialized({ cell: 'rnn', activation: 'sigmoid', vocabSize: tokenizer.size, hidden: 4, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' }, 1);
  expect(() => explainSample(model, tokenizer, { prime: 'Q' })).toThrow(BpttError);
});

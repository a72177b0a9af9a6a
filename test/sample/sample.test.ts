import { describe, expect, it } from 'vitest';
import { argmax, BpttError, CharTokenizer, generate, RnnModel, sampleIndex, softmaxWithTemperature } from '../../src/index.js';

describe('sampling primitives', () => {
  it('sampleIndex follows the cumulative distribution', () => {
    const probs = [0.1, 0.6, 0.3];
    expect(sampleIndex(probs, 0)).toBe(0);
    expect(sampleIndex(probs, 0.0999)).toBe(0);
    expect(sampleIndex(probs, 0.1)).toBe(1);
    expect(sampleIndex(probs, 0.69)).toBe(1);
    expect(sampleIndex(probs, 0.71)).toBe(2);
    expect(sampleIndex([0.5, 0.49999999, 0], 0.99999999999)).toBe(1); // rounding never picks a zero-probability token
  });

  it('temperature sharpens or flattens softmax', () => {
    const logits = Float64Array.from([1, 2, 3]);
    const cold = new Float64Array(3);
    const warm = new Float64Array(3);
    softmaxWithTemperature(cold, logits, 0.5);
    softmaxWithTemperature(warm, logits, 2);
    expect(cold[2]).toBeGreaterThan(warm[2]);
    expect(cold.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    const one = new Float64Array(3);
    softmaxWithTemperature(one, logits, 1);
    expect(one[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 14);
    expect(argmax(logits)).toBe(2);
  });
});

describe('generate', () => {
  const tokenizer = CharTokenizer.fromText('abcd');
  const model = RnnModel.initialized({ cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' }, 1);

  it('is reproducible from its seed, starts with the prime and respects the length limit', () => {
    const a = generate(model, tokenizer, { count: 5, seed: 3, prime: 'ab', maxLength: 6 });
    expect(generate(model, tokenizer, { count: 5, seed: 3, prime: 'ab', maxLength: 6 })).toEqual(a);
    expect(a.samples).toHaveLength(5);
    for (const s of a.samples) {
      expect(s.startsWith('ab')).toBe(true);
      expect(Array.from(s).length).toBeLessThanOrEqual(8);
      expect(s).not.toContain('\n');
    }
  });

  it('rejects excluded samples and reports how many', () => {
    const all = generate(model, tokenizer, { count: 20, seed: 1, maxLength: 2 });
    const exclude = new Set(all.samples.slice(0, 5));
    const result = generate(model, tokenizer, { count: 10, seed: 1, maxLength: 2, exclude });
    expect(result.samples.some((s) => exclude.has(s))).toBe(false);
    expect(result.attempts).toBe(result.samples.length + result.rejected);
  });

  it('greedy (temperature 0) is deterministic whatever the seed', () => {
    const a = generate(model, tokenizer, { count: 1, temperature: 0, seed: 1 });
    const b = generate(model, tokenizer, { count: 1, temperature: 0, seed: 99 });
    expect(a.samples).toEqual(b.samples);
  });

  it('names a prime character outside the vocabulary', () => {
    expect(() => generate(model, tokenizer, { prime: 'aZ' })).toThrowError(BpttError);
    expect(() => generate(model, tokenizer, { prime: 'aZ' })).toThrowError(/"Z" \(U\+005A\)/);
  });
});

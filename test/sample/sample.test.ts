import { describe, expect, it } from 'vitest';
import { argmax, BpttError, CharTokenizer, generate, keepTopK, keepTopP, Random, RnnModel, sampleIndex, softmaxWithTemperature } from '../../src/index.js';

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
  const model = RnnModel.initialized(
    { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' },
    1,
  );

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

describe('top-k and top-p', () => {
  it('keep the right tokens and renormalise', () => {
    const k = Float64Array.from([0.1, 0.4, 0.2, 0.3]);
    keepTopK(k, 2);
    expect(Array.from(k).map((v) => +v.toFixed(6))).toEqual([0, 0.571429, 0, 0.428571]);
    const p = Float64Array.from([0.1, 0.4, 0.2, 0.3]);
    keepTopP(p, 0.65); // 0.4 + 0.3 = 0.7 ≥ 0.65
    expect(Array.from(p).map((v) => +v.toFixed(6))).toEqual([0, 0.571429, 0, 0.428571]);
  });

  it('never emit an excluded token, over many draws', () => {
    const random = new Random(4);
    for (let trial = 0; trial < 200; trial++) {
      const base = Float64Array.from({ length: 9 }, () => random.uniform());
      const sum = base.reduce((a, b) => a + b);
      base.forEach((_, i) => (base[i] /= sum));
      const topK = Float64Array.from(base);
      keepTopK(topK, 3);
      const topP = Float64Array.from(base);
      keepTopP(topP, 0.5);
      for (let draw = 0; draw < 20; draw++) {
        const coin = random.uniform();
        expect(topK[sampleIndex(topK, coin)]).toBeGreaterThan(0);
        expect(topP[sampleIndex(topP, coin)]).toBeGreaterThan(0);
      }
      expect(Array.from(topK).filter((v) => v > 0)).toHaveLength(3);
    }
  });

  it('generate with top-k 1 is greedy', () => {
    const tokenizer = CharTokenizer.fromText('abcd');
    const model = RnnModel.initialized(
      { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' },
      1,
    );
    const greedy = generate(model, tokenizer, { count: 1, temperature: 0, maxLength: 12 });
    expect(generate(model, tokenizer, { count: 1, topK: 1, seed: 9, maxLength: 12 }).samples).toEqual(greedy.samples);
  });
});

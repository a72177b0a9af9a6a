/** Passages of running text from a stream-mode model: --length, a multi-line prime, --stop, document resets. */
import { describe, expect, it } from 'vitest';
import { CharTokenizer, generate, RnnModel, SequenceState } from '../../src/index.js';

describe('passages', () => {
  const tokenizer = CharTokenizer.fromText('ab c\nd');
  const model = RnnModel.initialized(
    { cell: 'lstm', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 4, layers: 2, dtype: 'float64', init: 'scaled' },
    1,
  );

  it('writes exactly length characters after the prime, past line ends', () => {
    const { samples } = generate(model, tokenizer, { count: 1, length: 500, prime: 'ab\nc', seed: 2 });
    expect(samples).toHaveLength(1);
    expect(samples[0].startsWith('ab\nc')).toBe(true);
    expect(samples[0].length).toBe(504);
    expect(samples[0].slice(4).split('\n').length).toBeGreaterThan(5); // a line end did not stop it
    // Without length a sample is a line: it stops at the first line end.
    for (const line of generate(model, tokenizer, { count: 5, maxLength: 500, seed: 2 }).samples) expect(line).not.toContain('\n');
  });

  it('still ends early at the stop text', () => {
    const { samples } = generate(model, tokenizer, { count: 3, length: 500, stop: 'c', seed: 4 });
    for (const sample of samples) {
      expect(sample.length).toBeLessThan(500);
      expect(sample).not.toContain('c');
    }
  });

  it('a passage resets the state where a document starts, as training does', () => {
    const ids = (text: string) => tokenizer.encode(text);
    // With documents ending at blank lines, "…\n\nb" reads b from the state a fresh start reads it from.
    const after = SequenceState.start(model, tokenizer, ids('ab c\n\nb'), 'blank-line');
    const fresh = SequenceState.start(model, tokenizer, ids('b'), 'blank-line');
    expect(Array.from(after.logits)).toEqual(Array.from(fresh.logits));
    // Without documents, the prime's whole text warms the state.
    const carried = SequenceState.start(model, tokenizer, ids('ab c\n\nb'));
    expect(Array.from(carried.logits)).not.toEqual(Array.from(fresh.logits));
    // A single line end is no document boundary with 'blank-line' (it is with 'line').
    const line = SequenceState.start(model, tokenizer, ids('ab\nb'), 'line');
    expect(Array.from(line.logits)).toEqual(Array.from(fresh.logits));
    expect(Array.from(SequenceState.start(model, tokenizer, ids('ab\nb'), 'blank-line').logits)).not.toEqual(Array.from(fresh.logits));
  });
});

import { describe, expect, it } from 'vitest';
import { BpttError, CharTokenizer, evaluate, explainSample, generate, lineSequences, RnnModel, type Explanation } from '../../src/index.js';

/** The seed's RNN written out (1.1), (1.2) with tanh, one-hot input, then (2.1): h(t) and θ(t) after each fed token. */
function naiveForward(model: RnnModel, tokens: number[]): { hidden: number[]; logits: number[] }[] {
  const { Wh, Wx, b1, U, b2 } = model.weights;
  const { hidden: H, vocabSize: V } = model.config;
  let h = new Array<number>(H).fill(0);
  return tokens.map((x) => {
    const z = Array.from({ length: H }, (_, i) => {
      let sum = Wx[i * V + x] + b1[i];
      for (let j = 0; j < H; j++) sum += Wh[i * H + j] * h[j];
      return sum;
    });
    h = z.map(Math.tanh);
    const logits = Array.from({ length: V }, (_, v) => {
      let sum = b2[v];
      for (let j = 0; j < H; j++) sum += U[v * H + j] * h[j];
      return sum;
    });
    return { hidden: h, logits };
  });
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b);
  return exps.map((e) => e / sum);
}

/** log p of a line under `bptt score`'s computation: '\n' + text → text + '\n' through the training forward pass. */
function scoreLogProbability(model: RnnModel, tokenizer: CharTokenizer, text: string): number {
  const { natsPerToken, tokens } = evaluate(model, lineSequences([text], tokenizer));
  return -natsPerToken * tokens;
}

function expectAlternativesAreTheMostLikelyOthers(explanation: Explanation, vocabSize: number, count: number, probabilities: (t: number) => number[]): void {
  explanation.tokens.forEach((token, t) => {
    const probs = probabilities(t);
    expect(token.alternatives).toHaveLength(Math.min(count, vocabSize - 1));
    const ids = token.alternatives.map((a) => a.id);
    expect(ids).not.toContain(token.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(probs[ids[i - 1]]).toBeGreaterThanOrEqual(probs[ids[i]]);
    const weakestListed = Math.min(...ids.map((id) => probs[id]));
    for (let id = 0; id < vocabSize; id++) if (id !== token.id && !ids.includes(id)) expect(probs[id]).toBeLessThanOrEqual(weakestListed);
    for (const a of token.alternatives) expect(Math.abs(a.probability - probs[a.id])).toBeLessThan(1e-12);
  });
}

describe('explainSample', () => {
  const tokenizer = CharTokenizer.fromText('abcdefgh');
  const model = RnnModel.initialized(
    { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 6, embed: 0, layers: 1, dtype: 'float64', init: 'seed' },
    5,
  );
  const end = tokenizer.endId;

  it('each probability is softmax of the logits of an independent forward pass, and hidden is the h(t) behind it', () => {
    const explanation = explainSample(model, tokenizer, { prime: 'ca', seed: 4, maxLength: 12 });
    const ids = explanation.tokens.map((token) => token.id);
    expect(explanation.text).toBe(tokenizer.decode(ids.filter((id) => id !== end)));
    // Fed: '\n', the prime, then every explained token but the last.
    const steps = naiveForward(model, [end, ...tokenizer.encode('ca'), ...ids.slice(0, -1)]).slice(2);
    expect(steps).toHaveLength(ids.length);
    explanation.tokens.forEach((token, t) => {
      const probs = softmax(steps[t].logits);
      expect(Math.abs(token.probability - probs[token.id])).toBeLessThan(1e-12);
      expect(Math.abs(token.logProbability - Math.log(probs[token.id]))).toBeLessThan(1e-12);
      expect(token.text).toBe(tokenizer.decode([token.id]));
      expect(token.hidden).toBeInstanceOf(Float32Array);
      expect(Array.from(token.hidden)).toEqual(steps[t].hidden.map(Math.fround));
    });
    expectAlternativesAreTheMostLikelyOthers(explanation, tokenizer.size, 5, (t) => softmax(steps[t].logits));
  });

  it('ends with the end token, and its log-probability is what bptt score gives the sample', () => {
    for (const seed of [1, 2, 3]) {
      const explanation = explainSample(model, tokenizer, { seed, maxLength: 40 });
      expect(explanation.tokens.at(-1)!.id).toBe(end);
      expect(explanation.tokens.slice(0, -1).every((token) => token.id !== end)).toBe(true);
      const sum = explanation.tokens.reduce((s, token) => s + token.logProbability, 0);
      expect(explanation.logProbability).toBeCloseTo(sum, 12);
      expect(explanation.natsPerToken).toBeCloseTo(-sum / explanation.tokens.length, 12);
      expect(Math.abs(explanation.logProbability - scoreLogProbability(model, tokenizer, explanation.text))).toBeLessThan(1e-10);
    }
  });

  it('draws the same sample as generate() with the same options', () => {
    for (const options of [{ seed: 11 }, { seed: 5, temperature: 0.6, topK: 3, prime: 'b' }, { seed: 2, topP: 0.7 }, { temperature: 0 }]) {
      const explanation = explainSample(model, tokenizer, options);
      const [sample] = generate(model, tokenizer, { ...options, count: 1 }).samples;
      expect(explanation.prime + explanation.text).toBe(sample);
    }
    // Empty and excluded samples are drawn again, as generate() does.
    const first = explainSample(model, tokenizer, { seed: 2 });
    const exclude = new Set([first.text]);
    const novel = explainSample(model, tokenizer, { seed: 2, exclude });
    expect(novel.text).not.toBe(first.text);
    expect(novel.text).toBe(generate(model, tokenizer, { seed: 2, exclude, count: 1 }).samples[0]);
  });

  it('with text: explains that text, scored as bptt score scores it, for a stacked LSTM with an embedding too', () => {
    const lstm = RnnModel.initialized(
      { cell: 'lstm', activation: 'tanh', vocabSize: tokenizer.size, hidden: 5, embed: 3, layers: 2, dtype: 'float64', init: 'seed' },
      2,
    );
    for (const m of [model, lstm]) {
      const explanation = explainSample(m, tokenizer, { text: 'bead', alternatives: 3 });
      expect(explanation.text).toBe('bead');
      expect(explanation.tokens.map((token) => token.text).join('')).toBe('bead\n');
      expect(Math.abs(explanation.logProbability - scoreLogProbability(m, tokenizer, 'bead'))).toBeLessThan(1e-10);
      expect(explanation.tokens[0].hidden).toHaveLength(m.config.hidden);
      for (const token of explanation.tokens) expect(token.alternatives).toHaveLength(3);
    }
    // A prime is context: only the text after it is explained.
    const primed = explainSample(model, tokenizer, { prime: 'be', text: 'ad' });
    expect(
      Math.abs(
        primed.logProbability -
          (scoreLogProbability(model, tokenizer, 'bead') -
            explainSample(model, tokenizer, { text: 'be' })
              .tokens.slice(0, 2)
              .reduce((s, token) => s + token.logProbability, 0)),
      ),
    ).toBeLessThan(1e-10);
  });

  it('stops at --max-length (no end token) and at the stop text (cut from the text)', () => {
    const cut = explainSample(model, tokenizer, { seed: 3, maxLength: 2, temperature: 2 });
    expect(cut.tokens.length).toBeLessThanOrEqual(2);
    if (cut.tokens.length === 2) expect(cut.tokens.every((token) => token.id !== end)).toBe(true);
    const full = explainSample(model, tokenizer, { seed: 8, maxLength: 60, temperature: 1.5 });
    const firstE = full.text.indexOf('e');
    if (firstE < 0) throw new Error(`sample ${full.text} has no "e"; choose another seed`);
    const stopped = explainSample(model, tokenizer, { seed: 8, maxLength: 60, temperature: 1.5, stop: 'e' });
    expect(stopped.text).toBe(full.text.slice(0, firstE));
    expect(stopped.tokens.map((token) => token.text).join('')).toBe(full.text.slice(0, firstE + 1));
  });

  it('names a character of the text outside the vocabulary', () => {
    expect(() => explainSample(model, tokenizer, { text: 'bxz' })).toThrowError(BpttError);
    expect(() => explainSample(model, tokenizer, { text: 'bxz' })).toThrowError(/"x"/);
  });
});

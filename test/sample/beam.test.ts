import { describe, expect, it } from 'vitest';
import { beamSearch, BpttError, CharTokenizer, evaluate, RnnModel, type BeamCompletion, type Sequence } from '../../src/index.js';

/**
 * log p of the tokens `ids` after the prime, from the training forward pass
 * (evaluate sums the cross-entropy (3.2) over a sequence): the line
 * '\n' + prime + ids (+ '\n' when finished), minus the prime's own part.
 */
function exactLogProbability(model: RnnModel, end: number, primeIds: number[], ids: number[], finished: boolean): number {
  const logProbOf = (tokens: number[]) => {
    if (tokens.length === 0) return 0;
    const sequence: Sequence = { input: [end, ...tokens.slice(0, -1)], target: tokens };
    const { natsPerToken, tokens: count } = evaluate(model, [sequence]);
    return -natsPerToken * count;
  };
  const all = [...primeIds, ...ids, ...(finished ? [end] : [])];
  return logProbOf(all) - logProbOf(primeIds);
}

/** Every completion of up to maxLength tokens, finished by the end token or cut at maxLength, ranked as beamSearch ranks them. */
function enumerate(model: RnnModel, tokenizer: CharTokenizer, maxLength: number, lengthPenalty = 0): BeamCompletion[] {
  const end = tokenizer.endId;
  const others = Array.from({ length: tokenizer.size }, (_, id) => id).filter((id) => id !== end);
  const completions: BeamCompletion[] = [];
  let prefixes: number[][] = [[]];
  for (let length = 0; length <= maxLength; length++) {
    for (const ids of prefixes) {
      for (const finished of length === maxLength ? [true, false] : [true]) {
        if (ids.length === 0) continue; // the empty name is left out
        const logProbability = exactLogProbability(model, end, [], ids, finished);
        const scored = ids.length + (finished ? 1 : 0);
        completions.push({
          text: tokenizer.decode(ids),
          ids,
          finished,
          logProbability,
          meanLogProbability: logProbability / scored,
          score: logProbability / scored ** lengthPenalty,
        });
      }
    }
    prefixes = prefixes.flatMap((ids) => others.map((token) => [...ids, token]));
  }
  // Sequences of exactly maxLength tokens are cut there by beamSearch: they can only be unfinished.
  const reachable = completions.filter((c) => !(c.finished && c.ids.length === maxLength));
  return reachable.sort((a, b) => Number(b.finished) - Number(a.finished) || b.score - a.score);
}

function expectSameRanking(actual: BeamCompletion[], expected: BeamCompletion[]): void {
  expect(actual.map((c) => c.text)).toEqual(expected.map((c) => c.text));
  expect(actual.map((c) => c.finished)).toEqual(expected.map((c) => c.finished));
  actual.forEach((c, i) => {
    expect(Math.abs(c.logProbability - expected[i].logProbability)).toBeLessThan(1e-12);
    expect(Math.abs(c.score - expected[i].score)).toBeLessThan(1e-12);
  });
}

describe('beamSearch on a model small enough to enumerate every sequence', () => {
  // Vocabulary of 4 ('\n', a, b, c), at most 3 tokens: 3 + 9 finished names + 27 cut ones.
  const tokenizer = CharTokenizer.fromText('abc');
  const maxLength = 3;
  const sequences = 3 + 9 + 27;
  const models = (['rnn', 'lstm'] as const).map((cell) =>
    // N(0, 1) weights (init 'seed'): sharp, distinct probabilities.
    RnnModel.initialized(
      { cell, activation: 'tanh', vocabSize: tokenizer.size, hidden: 5, embed: 0, layers: cell === 'rnn' ? 1 : 2, dtype: 'float64', init: 'seed' },
      7,
    ),
  );

  it.each(models.map((model) => [model.config.cell, model] as const))('%s: a beam as wide as the number of sequences ranks all of them exactly', (_, model) => {
    const exact = enumerate(model, tokenizer, maxLength);
    expect(exact).toHaveLength(sequences);
    const beam = beamSearch(model, tokenizer, { beamWidth: sequences, maxLength });
    expectSameRanking(beam, exact);
    expect(beam[0].text).toBe(exact[0].text); // the single best sequence
  });

  it('a beam as wide as the prefixes of the longest length (27) returns the exact top 27', () => {
    const [model] = models;
    const exact = enumerate(model, tokenizer, maxLength);
    expectSameRanking(beamSearch(model, tokenizer, { beamWidth: 27, maxLength }), exact.slice(0, 27));
  });

  it('with length penalty 1 it ranks by the mean log-probability per token, exactly', () => {
    const [model] = models;
    const exact = enumerate(model, tokenizer, maxLength, 1);
    const beam = beamSearch(model, tokenizer, { beamWidth: sequences, maxLength, lengthPenalty: 1 });
    expectSameRanking(beam, exact);
    for (const c of beam) expect(c.score).toBeCloseTo(c.meanLogProbability, 12);
  });
});

describe('beamSearch with a narrow beam', () => {
  const tokenizer = CharTokenizer.fromText('abcdefg');
  const model = RnnModel.initialized(
    { cell: 'gru', activation: 'tanh', vocabSize: tokenizer.size, hidden: 6, embed: 3, layers: 1, dtype: 'float64', init: 'seed' },
    3,
  );

  it('returns valid completions: scores equal the exact log-probabilities, ranked, distinct, within the length limit', () => {
    const prime = 'ab';
    const maxLength = 6;
    const beam = beamSearch(model, tokenizer, { prime, beamWidth: 3, maxLength });
    expect(beam).toHaveLength(3);
    expect(new Set(beam.map((c) => c.text)).size).toBe(3);
    const primeIds = tokenizer.encode(prime);
    for (const c of beam) {
      expect(c.text).toBe(prime + tokenizer.decode(c.ids));
      expect(c.ids.length).toBeLessThanOrEqual(maxLength);
      expect(c.ids).not.toContain(tokenizer.endId);
      expect(Math.abs(c.logProbability - exactLogProbability(model, tokenizer.endId, primeIds, c.ids, c.finished))).toBeLessThan(1e-12);
      expect(c.meanLogProbability).toBeCloseTo(c.logProbability / (c.ids.length + (c.finished ? 1 : 0)), 12);
    }
    for (let i = 1; i < beam.length; i++) {
      expect(Number(beam[i - 1].finished)).toBeGreaterThanOrEqual(Number(beam[i].finished));
      if (beam[i - 1].finished === beam[i].finished) expect(beam[i - 1].score).toBeGreaterThanOrEqual(beam[i].score);
    }
  });

  it.each([1, 2, 3, 5])('width %i: the same completions as the beam written out naively, every score from a forward pass', (width) => {
    const maxLength = 6;
    const end = tokenizer.endId;
    // The definition: extend every kept prefix by every token, keep the `width` most likely, repeat.
    let alive: number[][] = [[]];
    const finished: { ids: number[]; logProbability: number }[] = [];
    for (let length = 0; length < maxLength; length++) {
      const candidates: { ids: number[]; logProbability: number }[] = [];
      for (const ids of alive) {
        if (ids.length > 0) finished.push({ ids, logProbability: exactLogProbability(model, end, [], ids, true) });
        for (let token = 0; token < tokenizer.size; token++) {
          if (token !== end) candidates.push({ ids: [...ids, token], logProbability: exactLogProbability(model, end, [], [...ids, token], false) });
        }
      }
      alive = candidates
        .sort((a, b) => b.logProbability - a.logProbability)
        .slice(0, width)
        .map((c) => c.ids);
    }
    const byLogProbability = (a: { logProbability: number }, b: { logProbability: number }) => b.logProbability - a.logProbability;
    const cut = alive.map((ids) => ({ ids, logProbability: exactLogProbability(model, end, [], ids, false) }));
    const expected = [...finished.sort(byLogProbability), ...cut.sort(byLogProbability)].slice(0, width);

    const beam = beamSearch(model, tokenizer, { beamWidth: width, maxLength });
    expect(beam.map((c) => c.ids)).toEqual(expected.map((c) => c.ids));
    beam.forEach((c, i) => expect(Math.abs(c.logProbability - expected[i].logProbability)).toBeLessThan(1e-12));
  });

  it('a wider beam never finds a worse best completion here, and a width-1 beam is still a valid completion', () => {
    const narrow = beamSearch(model, tokenizer, { beamWidth: 1, maxLength: 8 });
    const wide = beamSearch(model, tokenizer, { beamWidth: 50, maxLength: 8 });
    expect(narrow).toHaveLength(1);
    expect(narrow[0].finished && wide[0].finished).toBe(true);
    expect(wide[0].logProbability).toBeGreaterThanOrEqual(narrow[0].logProbability);
    expect(Math.abs(narrow[0].logProbability - exactLogProbability(model, tokenizer.endId, [], narrow[0].ids, true))).toBeLessThan(1e-12);
  });

  it('leaves out excluded completions and ends at the stop text, which is cut off and scores no end token', () => {
    const best = beamSearch(model, tokenizer, { beamWidth: 4, maxLength: 8 });
    const exclude = new Set([best[0].text, best[2].text]);
    const without = beamSearch(model, tokenizer, { beamWidth: 4, maxLength: 8, exclude });
    expect(without.map((c) => c.text)).not.toContain(best[0].text);
    expect(without.map((c) => c.text)).not.toContain(best[2].text);
    expect(without.slice(0, 2).map((c) => c.text)).toEqual([best[1].text, best[3].text]);

    const stopped = beamSearch(model, tokenizer, { beamWidth: 5, maxLength: 8, stop: 'c' });
    for (const c of stopped) {
      expect(c.text).not.toContain('c');
      if (!c.finished) continue;
      const endedByStop = tokenizer.decode(c.ids).endsWith('c');
      expect(Math.abs(c.logProbability - exactLogProbability(model, tokenizer.endId, [], c.ids, !endedByStop))).toBeLessThan(1e-12);
    }
    expect(stopped.some((c) => tokenizer.decode(c.ids).endsWith('c'))).toBe(true);
  });

  it('rejects a beam width below 1 and a negative length penalty', () => {
    expect(() => beamSearch(model, tokenizer, { beamWidth: 0 })).toThrowError(BpttError);
    expect(() => beamSearch(model, tokenizer, { beamWidth: 2, lengthPenalty: -1 })).toThrowError(/length penalty/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  autoRecipe,
  DEFAULT_RECIPE,
  evaluate,
  fit,
  fitRecipe,
  OPTION_RANGES,
  prepareData,
  recipeOf,
  TEXT_RECIPE,
  type TrainingProgress,
} from '../../src/index.js';
import { FLAGS, flagKey } from '../../src/cli/flags.js';
import { dinosPath } from '../helpers.js';

const names = readFileSync(dinosPath, 'utf8').split('\n').filter(Boolean).slice(0, 300);
const small = { hidden: 24, embed: 8, batch: 32 } as const;

describe('recipeOf: the options of bptt train, in camelCase', () => {
  it('keeps the defaults when nothing is given, as a copy', () => {
    const recipe = recipeOf({}, DEFAULT_RECIPE);
    expect(recipe).toEqual(DEFAULT_RECIPE);
    expect(recipe).not.toBe(DEFAULT_RECIPE);
  });

  it('gives another optimizer its own learning rate, lets clipNorm replace clip, and a budget replace the epochs', () => {
    expect(recipeOf({ optimizer: 'adam' }, DEFAULT_RECIPE).learningRate).not.toBe(DEFAULT_RECIPE.learningRate);
    expect(recipeOf({ optimizer: 'adam', lr: 0.5 }, DEFAULT_RECIPE).learningRate).toBe(0.5);
    expect(recipeOf({ clipNorm: 1 }, DEFAULT_RECIPE).clip).toBe(Infinity);
    expect(recipeOf({ clipNorm: 1, clip: 3 }, DEFAULT_RECIPE).clip).toBe(3);
    const timed = recipeOf({ time: 10 }, DEFAULT_RECIPE);
    expect([timed.epochs, timed.timeSeconds, timed.patience]).toEqual([undefined, 10, DEFAULT_RECIPE.patience]);
    expect(recipeOf({ batch: 4, val: 0.2, minLr: 0.001, evalEvery: 7, eps: 1e-6 }, DEFAULT_RECIPE)).toMatchObject({
      batchSize: 4,
      validationFraction: 0.2,
      minLearningRate: 0.001,
      evaluateEvery: 7,
      epsilon: 1e-6,
    });
  });
});

describe('the options are checked as the flags are', () => {
  it('refuses a value out of range, of the wrong type, or an option that does not exist, naming it', () => {
    expect(() => fitRecipe(names, { hidden: 0 })).toThrow('option hidden is 0; give an integer from 1 to 8192');
    expect(() => fitRecipe(names, { batch: 2.5 })).toThrow('option batch is 2.5; give an integer');
    expect(() => fitRecipe(names, { lr: 0 })).toThrow('option lr is 0; give a number above 0');
    expect(() => fitRecipe(names, { time: Number.NaN })).toThrow('option time is NaN');
    expect(() => fitRecipe(names, { cell: 'transformer' as never })).toThrow('option cell is "transformer"; use one of rnn, lstm, gru');
    expect(() => fitRecipe(names, { shuffle: 'yes' as never })).toThrow('option shuffle is "yes"; give true or false');
    expect(() => fitRecipe(names, { hiden: 64 } as never)).toThrow('there is no option "hiden"');
    expect(fitRecipe(names, { clip: Infinity, val: 0, seed: 0, onProgress: () => {} }).clip).toBe(Infinity);
  });

  it("OPTION_RANGES are bptt train's flag ranges (src/cli/flags.ts), checked at each end", () => {
    let compared = 0;
    for (const flag of FLAGS.filter((f) => f.commands.includes('train') && f.parse)) {
      const key = flagKey(flag.name) as keyof typeof OPTION_RANGES;
      const range = OPTION_RANGES[key];
      if (!range) continue;
      const parse = (value: number) => flag.parse!(String(value));
      if (range.aboveMin) expect(() => parse(range.min), flag.name).toThrow();
      else expect(parse(range.min), flag.name).toBe(range.min);
      expect(() => parse(range.min - 1), flag.name).toThrow();
      if (Number.isFinite(range.max)) {
        expect(parse(range.max), flag.name).toBe(range.max);
        expect(() => parse(range.max + (range.integer ? 1 : range.max * 1e-3)), flag.name).toThrow();
      }
      if (range.integer) expect(() => parse(range.min + 0.5), flag.name).toThrow();
      else expect(parse((range.min + Math.min(range.max, range.min + 1)) / 2), flag.name).toBeTypeOf('number');
      compared++;
    }
    expect(compared).toBe(Object.keys(OPTION_RANGES).length);
  });
});

describe('fitRecipe: the recipe a text calls for', () => {
  const paragraph = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.\n\n';
  const prose = paragraph.repeat(80); // 8,960 characters: enough for TEXT_RECIPE's streams (4 × 32 × 64 = 8,192)

  it('a list is lines with the defaults; one string of short lines too; running text streams with TEXT_RECIPE', () => {
    expect(fitRecipe(names)).toEqual(DEFAULT_RECIPE);
    expect(fitRecipe(names.join('\n'))).toEqual(DEFAULT_RECIPE);
    expect(fitRecipe(prose)).toEqual(TEXT_RECIPE);
    expect(fitRecipe(prose, { hidden: 64 })).toEqual({ ...TEXT_RECIPE, hidden: 64 });
    expect(fitRecipe(prose.split('\n')).mode).toBe('lines');
  });

  it('decides as bptt train does (autoRecipe): running text too short for the streams trains in lines', () => {
    expect(autoRecipe(paragraph.repeat(20))).toMatchObject({ mode: 'lines', tooShortFor: 8192, tokenCount: paragraph.length * 20 });
    expect(fitRecipe(paragraph.repeat(20))).toEqual(DEFAULT_RECIPE);
    // Word tokens: the streams' windows hold words and marks, so those are counted (30 per paragraph).
    expect(autoRecipe(prose, 'word')).toMatchObject({ mode: 'lines', tooShortFor: 8192, tokenCount: 30 * 80 });
    expect(fitRecipe(prose, { tokens: 'word' }).mode).toBe('lines');
    expect(fitRecipe(paragraph.repeat(300), { tokens: 'word' })).toEqual({ ...TEXT_RECIPE, tokens: 'word' });
  });

  it('a given mode or preset wins; a line too long for mode lines trains in chunks', () => {
    expect(fitRecipe(prose, { mode: 'chunks' })).toEqual({ ...DEFAULT_RECIPE, mode: 'chunks' });
    expect(fitRecipe(prose, { preset: 'seed' }).mode).toBe('chunks');
    expect(fitRecipe('x '.repeat(3000), { tokens: 'word' }).mode).toBe('chunks');
    expect(fitRecipe(['x'.repeat(3000), 'y']).mode).toBe('chunks');
    expect(() => fitRecipe(prose, { preset: 'nope' })).toThrow(/no preset "nope"/);
  });
});

describe('fit', () => {
  it('trains on the fastest kernels and returns the weights of the best validation epoch', async () => {
    const events: TrainingProgress[] = [];
    const result = await fit(names, { ...small, epochs: 4, patience: 100, onProgress: (event) => events.push(event) });
    expect(result.model.kernels.name).not.toBe('reference');
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(epochs).toHaveLength(4);
    expect(events.filter((e) => e.type === 'step').length).toBe(result.position.step);
    const best = Math.min(...epochs.map((e) => (e.type === 'epoch' ? e.validationLoss : Infinity)));
    expect(result.validationLoss).toBe(best);
    // The returned weights are the best epoch's: evaluating them on the same split gives its loss.
    const { validation } = prepareData(names.join('\n'), result.recipe, 'names');
    expect(evaluate(result.model, validation).natsPerToken).toBeCloseTo(best, 5);
    expect(result.lines).toEqual(names);
    expect(result.tokenizer.kind).toBe('char');
  });

  it('keeps the best epoch, not the last, when the validation loss rises', async () => {
    // A large learning rate on few names: the validation loss rises again after its best.
    const result = await fit(names.slice(0, 60), { ...small, hidden: 64, epochs: 30, patience: 3, lr: 0.3, batch: 4 });
    expect(result.stoppedEarly).toBe(true);
    const { validation } = prepareData(names.slice(0, 60).join('\n'), result.recipe, 'names');
    expect(evaluate(result.model, validation).natsPerToken).toBeCloseTo(result.validationLoss, 5);
    expect(result.position.bestValidationLoss).toBe(result.validationLoss);
  });

  it('stops when its signal is aborted, rejecting with the reason', async () => {
    const controller = new AbortController();
    let steps = 0;
    const run = fit(names, {
      ...small,
      epochs: 50,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'step' && ++steps === 3) controller.abort(new Error('enough'));
      },
    });
    await expect(run).rejects.toThrow('enough');
    expect(steps).toBe(3);
    const aborted = AbortSignal.abort(new Error('before it began'));
    await expect(fit(names, { signal: aborted })).rejects.toThrow('before it began');
  });

  it('streams a long text, and refuses what the recipe cannot train on', async () => {
    const prose = 'the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat by the door.\n'.repeat(90);
    const result = await fit(prose, { ...small, steps: 3, seqLength: 16, batch: 4 });
    expect(result.recipe).toMatchObject({
      mode: 'stream',
      documents: TEXT_RECIPE.documents,
      learningRate: TEXT_RECIPE.learningRate,
      validationLimit: TEXT_RECIPE.validationLimit,
    });
    expect(result.lines).toEqual([]);
    expect(result.position.step).toBe(3);
    await expect(fit(['aaaa', 'aa'], small)).rejects.toThrow(/only one distinct character/);
    await expect(fit(prose, { mode: 'stream', tokens: 'word', minCount: 100 })).rejects.toThrow(/fewer than two different words seen at least 100 times/);
  });

  it('streams word tokens: the vocabulary counted over the text, windows of words and marks', async () => {
    const prose = 'the quick brown fox jumps over the lazy dog, while the cat sleeps on the warm mat.\n\n'.repeat(20);
    const result = await fit(prose, { ...small, mode: 'stream', tokens: 'word', steps: 3, seqLength: 8, batch: 4 });
    expect(result.recipe).toMatchObject({ mode: 'stream', tokens: 'word' });
    expect(result.tokenizer.kind).toBe('word');
    expect(result.tokenizer.tokens.slice(0, 3)).toEqual(['\n', '<unk>', 'the']);
    expect(result.tokenizer.size).toBe(2 + 16); // '\n', <unk>, 14 words, ',' and '.'
    expect(result.position.step).toBe(3);
    expect(Number.isFinite(result.validationLoss)).toBe(true);
  });
});

/**
 * Runs on long texts: a cosine over a time budget, the final evaluation that
 * fits in the budget, the text recipe and its default evaluation interval.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArrayTokenSource,
  decodeModelFile,
  encodeModelFile,
  evaluateStreams,
  evaluationStreams,
  learningRateAt,
  modelConfigOf,
  prepareStreams,
  RnnModel,
  streamEvaluateEvery,
  streamReadingOf,
  TEXT_RECIPE,
  Trainer,
  trainOptionsOf,
  type Recipe,
} from '../../src/index.js';
import { runIdentity, streamEvaluationInterval } from '../../src/train/recipe.js';
import { dinosPath } from '../helpers.js';

const dinos = readFileSync(dinosPath, 'utf8');

describe('a cosine over a time budget', () => {
  const schedule = { kind: 'cosine' as const, minLearningRate: 0.1 };
  it('falls from lr to min over the fraction of the budget spent', () => {
    expect(learningRateAt(1, schedule, 123, 0)).toBe(1);
    expect(learningRateAt(1, schedule, 5, 0.5)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(1, schedule, 7, 1)).toBe(0.1);
    expect(learningRateAt(1, schedule, 7, 1.5)).toBe(0.1);
  });
  it('still needs a length without a time budget', () => {
    expect(() => learningRateAt(1, schedule, 0)).toThrow(/needs to know how many steps/);
  });
});

describe('a time budget in stream mode', () => {
  const recipe: Recipe = {
    ...TEXT_RECIPE,
    hidden: 8,
    embed: 4,
    seqLength: 16,
    batchSize: 8,
    epochs: undefined,
    timeSeconds: 3,
    validationLimit: undefined,
    optimizer: 'adam',
    learningRate: 0.002,
    schedule: 'cosine',
  };
  /** A clock that moves 50 ms per reading: a step takes 50 ms, an evaluation too. */
  const clock = () => {
    let ms = 0;
    return () => (ms += 50);
  };

  it('evaluates the last weights within the budget, on a cosine over it', async () => {
    const data = prepareStreams(dinos, recipe, 'dinos.txt');
    const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed);
    const trainer = new Trainer(model, data.train, data.validation!, trainOptionsOf(recipe), { now: clock() });
    const rates: number[] = [];
    const evaluations: number[] = [];
    trainer.on('step', (e) => rates.push(e.learningRate));
    trainer.on('evaluation', (e) => evaluations.push(e.position.step));
    const end = await trainer.run();
    expect(evaluations).toEqual([end.step]); // the only evaluation: the budget ends within the first epoch
    expect(end.step).toBeLessThan(data.train.windows);
    expect(end.elapsedSeconds).toBeLessThanOrEqual(recipe.timeSeconds! + 0.05); // the final evaluation fits in the budget
    expect(end.elapsedSeconds).toBeGreaterThan(recipe.timeSeconds! - 0.5); // the estimate of the evaluation errs long (0.37 s here), not by much
    expect(rates[0]).toBeCloseTo(recipe.learningRate, 3);
    expect(rates.at(-1)!).toBeLessThan(0.05 * recipe.learningRate); // cosine near its end
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThanOrEqual(rates[i - 1]);
  });
});

describe('streamEvaluateEvery', () => {
  it('keeps evaluations at about 5% of the work, and at most 10 per budget', () => {
    // 110,000 held-out characters, steps of 32 × 64: an evaluation ≈ 18 steps of work → every 359 steps.
    expect(streamEvaluateEvery(10_000, 2048, 110_000)).toBe(359);
    expect(streamEvaluateEvery(10_000, 2048, 110_000, 8000)).toBe(800);
    expect(streamEvaluateEvery(10_000, 2048, 1000)).toBe(10);
    expect(streamEvaluateEvery(300, 2048, 110_000)).toBeUndefined(); // the epoch ends first
  });

  it("streamEvaluationInterval: bptt train's interval, the budget in steps (--steps, else --epochs of windows), streams only", () => {
    const recipe: Recipe = { ...TEXT_RECIPE, seqLength: 20, batchSize: 6 };
    const { train, validation } = prepareStreams(dinos, recipe, 'dinos.txt');
    const interval = (r: Recipe) =>
      streamEvaluateEvery(train.windows, r.batchSize * r.seqLength, validation!.tokens, r.steps ?? (r.epochs ?? NaN) * train.windows);
    expect(streamEvaluationInterval({ ...recipe, steps: 1400 }, train, validation!)).toBe(interval({ ...recipe, steps: 1400 }));
    expect(streamEvaluationInterval({ ...recipe, steps: 1400 }, train, validation!)).toBe(140); // 150 windows an epoch: at most 10 evaluations in 1400 steps
    expect(streamEvaluationInterval({ ...recipe, steps: undefined, epochs: 40 }, train, validation!)).toBe(
      interval({ ...recipe, steps: undefined, epochs: 40 }),
    );
    expect(streamEvaluationInterval({ ...recipe, steps: undefined, epochs: 1 }, train, validation!)).toBe(interval({ ...recipe, steps: undefined, epochs: 1 }));
    expect(streamEvaluationInterval(recipe, train, [])).toBeUndefined();
  });
});

describe('runIdentity', () => {
  it('is fixed by the trajectory (recipe without its budget, data, init), not by the budget', () => {
    const id = runIdentity(TEXT_RECIPE, 'abcd1234');
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(runIdentity({ ...TEXT_RECIPE, epochs: 99, steps: 5, timeSeconds: 3, patience: 2, evaluateEvery: 7 }, 'abcd1234')).toBe(id);
    expect(runIdentity({ ...TEXT_RECIPE, learningRate: TEXT_RECIPE.learningRate * 2 }, 'abcd1234')).not.toBe(id);
    expect(runIdentity(TEXT_RECIPE, 'abcd1235')).not.toBe(id);
    expect(runIdentity(TEXT_RECIPE, 'abcd1234', '/tmp/init.safetensors:10:5')).not.toBe(id);
  });
});

describe('evaluating a stream-mode model on held-out text', () => {
  it('gives the loss training reported on the held-out end, read from the model file', async () => {
    const recipe: Recipe = { ...TEXT_RECIPE, hidden: 12, embed: 6, seqLength: 20, batchSize: 6, epochs: undefined, steps: 15, documents: 'line' };
    const data = prepareStreams(dinos, recipe, 'dinos.txt');
    const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed);
    const trainer = new Trainer(model, data.train, data.validation!, trainOptionsOf(recipe));
    let reported = NaN;
    trainer.on('evaluation', (e) => (reported = e.validationLoss));
    await trainer.run();
    expect(Number.isFinite(reported)).toBe(true);

    // The held-out end as a text of its own, and the model as written to a file.
    const held = dinos.slice(dinos.length - (data.validation!.to - data.validation!.from));
    const saved = decodeModelFile(encodeModelFile(model, data.tokenizer, { stream: streamReadingOf(recipe) }), 'model.safetensors');
    expect(saved.metadata.stream).toEqual({ streams: 6, steps: 20, documents: 'line' });
    const ids = Int32Array.from(saved.tokenizer.encode(held));
    const streams = evaluationStreams(new ArrayTokenSource(ids), saved.tokenizer, saved.metadata.stream!);
    expect(streams.streams).toBe(data.validation!.streams);
    expect(evaluateStreams(saved.model, streams).natsPerToken).toBe(reported);
  });
});

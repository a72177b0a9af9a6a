/** Shared test helpers: fixture loading and array comparison with a readable report. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  DEFAULT_RECIPE,
  modelConfigOf,
  prepareData,
  RnnModel,
  Trainer,
  trainOptionsOf,
  type Batch,
  type Recipe,
  type Replica,
  type ReplicaChannel,
} from '../src/index.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The seed's data set (1,536 dinosaur names), a copy of shared/data/dinos.txt kept with the
 * fixtures so the suite also runs from a clone that has no shared/ folder beside it.
 */
export const dinosPath = join(repoRoot, 'test', 'fixtures', 'dinos.txt');

/** A Trainer on the seed's dinos.txt with the default recipe changed by `overrides`, and what it was built from. */
export function dinosaurTrainer(overrides: Partial<Recipe>) {
  const recipe: Recipe = { ...DEFAULT_RECIPE, ...overrides };
  const data = prepareData(readFileSync(dinosPath, 'utf8'), recipe, 'dinos.txt');
  const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed);
  return { recipe, data, model, trainer: new Trainer(model, data.train, data.validation, trainOptionsOf(recipe)) };
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', name), 'utf8')) as T;
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

/** Asserts |actual − expected| ≤ tolerance everywhere, naming the quantity when it fails. */
export function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  const diff = maxAbsDiff(actual, expected);
  expect(diff, `${name}: max |diff| = ${diff.toExponential(3)} > ${tolerance}`).toBeLessThanOrEqual(tolerance);
}

/**
 * Forward and backward (scale 1, no clipping) of two models, each on its own batch, expecting the
 * same loss and the same gradients to `tolerance`: two ways of computing one thing.
 */
export function expectSameLossAndGradients(a: RnnModel, batchA: Batch, b: RnnModel, batchB: Batch, tolerance = 1e-12): void {
  const lossA = a.forward(batchA);
  a.backward({ scale: 1, clip: Infinity });
  const lossB = b.forward(batchB);
  b.backward({ scale: 1, clip: Infinity });
  expect(Math.abs(lossA - lossB)).toBeLessThan(tolerance);
  expect(maxAbsDiff(a.grads, b.grads)).toBeLessThan(tolerance);
}

/** A ReplicaChannel to a replica on this thread: it computes its share when posted, before this thread's own. */
export function sameThreadChannel(replica: Replica): ReplicaChannel {
  let result: ReturnType<Replica['step']>;
  return { post: (request) => (result = replica.step(request)), answer: async () => result, close: () => {} };
}

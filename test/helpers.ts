/** Shared test helpers: fixture loading and array comparison with a readable report. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The seed's data set (1,536 dinosaur names), a copy of shared/data/dinos.txt kept with the
 * fixtures so the suite also runs from a clone that has no shared/ folder beside it.
 */
export const dinosPath = join(repoRoot, 'test', 'fixtures', 'dinos.txt');

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

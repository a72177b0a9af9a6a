/** docs/worked-example.md is what scripts/worked-example.ts computes now (it also checks Σ_k (5.2) against RnnModel.backward). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { workedExample, workedExamplePath } from '../../scripts/worked-example.js';

describe('the worked example', () => {
  it('is up to date (npm run docs:example)', () => {
    expect(readFileSync(workedExamplePath, 'utf8')).toBe(workedExample());
  });
});

import { describe, expect, it } from 'vitest';
import { waitForChange } from '../../src/cli/replica-flags.js';

describe("waitForChange (the replica threads' signal)", () => {
  it('returns true at once when the flag has changed already', () => {
    const flags = new Int32Array(new SharedArrayBuffer(8));
    flags[1] = 1;
    expect(waitForChange(flags, 1, 0, 0, 1000)).toBe(true);
  });

  it('gives up after the time limit, spinning or sleeping, and returns false', () => {
    const flags = new Int32Array(new SharedArrayBuffer(8));
    for (const spin of [0, 5]) {
      const started = performance.now();
      expect(waitForChange(flags, 1, 0, spin, 20)).toBe(false);
      expect(performance.now() - started).toBeGreaterThanOrEqual(19);
    }
  });
});

/** Issue 13, item 5: every epoch is shuffled, the first included, unless --no-shuffle; the seed preset keeps its first epoch's order. */
import { describe, expect, it } from 'vitest';
import { epochOrder } from '../../src/data/sequences.js';
import { DEFAULT_RECIPE, SEED_PRESET, trainOptionsOf } from '../../src/train/recipe.js';

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('epochOrder', () => {
  it('shuffles the first epoch of the default recipe (an alphabetical list is not learned in order)', () => {
    const order = epochOrder(100, 0, trainOptionsOf(DEFAULT_RECIPE));
    expect(order).not.toEqual(identity(100));
    expect([...order].sort((a, b) => a - b)).toEqual(identity(100));
    // Each epoch differs from the others, reproducibly.
    expect(epochOrder(100, 1, trainOptionsOf(DEFAULT_RECIPE))).not.toEqual(order);
    expect(epochOrder(100, 0, trainOptionsOf(DEFAULT_RECIPE))).toEqual(order);
  });

  it('keeps the data order with --no-shuffle, and in the seed preset’s first epoch only', () => {
    expect(epochOrder(100, 0, trainOptionsOf({ ...DEFAULT_RECIPE, shuffle: false }))).toEqual(identity(100));
    expect(epochOrder(100, 3, trainOptionsOf({ ...DEFAULT_RECIPE, shuffle: false }))).toEqual(identity(100));
    expect(epochOrder(100, 0, trainOptionsOf(SEED_PRESET))).toEqual(identity(100));
    expect(epochOrder(100, 1, trainOptionsOf(SEED_PRESET))).not.toEqual(identity(100));
  });
});

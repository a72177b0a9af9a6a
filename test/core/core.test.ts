import { describe, expect, it } from 'vitest';
import { allocate, BpttError, ParameterLayout, Random } from '../../src/index.js';

describe('Random', () => {
  it('is reproducible from its seeds and from a saved state', () => {
    const a = new Random(7, 1);
    const b = new Random(7, 1);
    const first = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(first);
    expect(new Random(7, 2).uniform()).not.toBe(first[0]);
    const state = a.getState();
    const next = a.uniform();
    const c = new Random(0);
    c.setState(state);
    expect(c.uniform()).toBe(next);
  });

  it('gives uniform values in [0, 1) and standard normals', () => {
    const r = new Random(1);
    let sum = 0;
    let squares = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      const z = r.normal();
      sum += z;
      squares += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(squares / n - 1)).toBeLessThan(0.05);
  });

  it("draws dropout masks from the generator's own 32-bit draws, in turn, and continues after them", () => {
    const p = 0.3;
    const mask = new Float32Array(10_001);
    const fast = new Random(11, 2);
    fast.dropoutMask(mask, p, 1 / (1 - p));
    const slow = new Random(11, 2);
    const expected = Float32Array.from(mask, () => (slow.nextUint32() < Math.floor(p * 2 ** 32) ? 0 : 1 / (1 - p)));
    expect(mask).toEqual(expected);
    expect(fast.getState()).toEqual(slow.getState());
    const dropped = mask.filter((value) => value === 0).length / mask.length;
    expect(dropped).toBeGreaterThan(0.28);
    expect(dropped).toBeLessThan(0.32);
    const none = new Float64Array(100);
    new Random(1).dropoutMask(none, 0, 1);
    expect(none.every((value) => value === 1)).toBe(true);
  });

  it('shuffles to a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Random(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});

describe('ParameterLayout', () => {
  const layout = new ParameterLayout([
    { name: 'W', shape: [2, 3], init: { kind: 'normal', std: 1 } },
    { name: 'b', shape: [2], init: { kind: 'zeros' } },
  ]);

  it('lays parameters end to end and hands out views into one array', () => {
    expect(layout.size).toBe(8);
    expect(layout.slots.map((s) => [s.name, s.offset, s.size])).toEqual([
      ['W', 0, 6],
      ['b', 6, 2],
    ]);
    const flat = layout.allocate('float64');
    const views = layout.views(flat);
    views.b[1] = 42;
    expect(flat[7]).toBe(42);
    expect(views.W.buffer).toBe(flat.buffer);
  });

  it('initialises by spec, reproducibly', () => {
    const a = allocate('float32', 8);
    const b = allocate('float32', 8);
    layout.initialize(a, new Random(5));
    layout.initialize(b, new Random(5));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a.subarray(6))).toEqual([0, 0]);
    expect(a.subarray(0, 6).every((v) => v !== 0)).toBe(true);
  });
});

describe('BpttError', () => {
  it('is one line: the problem, then the fix', () => {
    const error = new BpttError('data file x.txt is empty', 'give a file with some text');
    expect(error.message).toBe('data file x.txt is empty; give a file with some text');
    expect(error.message).not.toContain('\n');
  });
});

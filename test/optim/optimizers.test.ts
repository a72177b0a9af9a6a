/**
 * Each optimizer's update, worked out by hand for one or two steps, and
 * multi-step trajectories against torch.optim (test/fixtures/gen/optimizers_torch.py);
 * schedules at chosen steps and against torch.optim.lr_scheduler; clipping by
 * global norm against torch.nn.utils.clip_grad_norm_.
 */
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  BpttError,
  clipByGlobalNorm,
  createOptimizer,
  globalNorm,
  learningRateAt,
  OPTIMIZER_DEFAULTS,
  OPTIMIZERS,
  type OptimizerSpec,
  type Schedule,
} from '../../src/index.js';
import { expectClose, readFixture } from '../helpers.js';

/** Runs `steps` updates of one optimizer on float64 parameters, feeding the given gradients; returns the parameters after each. */
function trajectory(spec: OptimizerSpec, initial: number[], grads: number[][], rate: (step: number) => number): Float64Array[] {
  const params = Float64Array.from(initial);
  const optimizer = createOptimizer(spec, params.length, 'float64');
  return grads.map((g, step) => {
    optimizer.step(params, Float64Array.from(g), rate(step));
    return params.slice();
  });
}

/** One parameter, a gradient per step, float64: the parameter after each step. */
const scalarSteps = (spec: OptimizerSpec, p0: number, grads: number[], lr: number) =>
  trajectory(
    spec,
    [p0],
    grads.map((g) => [g]),
    () => lr,
  ).map((p) => p[0]);

describe('one or two steps, worked out by hand', () => {
  it('sgd: p − lr·g', () => {
    // 1 − 0.1·0.5 = 0.95
    expect(scalarSteps({ name: 'sgd' }, 1, [0.5], 0.1)[0]).toBeCloseTo(0.95, 15);
  });

  it('sgd with momentum: b = μ·b + g, p −= lr·b', () => {
    // b1 = 0.5, p1 = 1 − 0.05 = 0.95; b2 = 0.9·0.5 + 0.5 = 0.95, p2 = 0.95 − 0.1·0.95 = 0.855
    const [p1, p2] = scalarSteps({ name: 'sgd', momentum: 0.9 }, 1, [0.5, 0.5], 0.1);
    expect(p1).toBeCloseTo(0.95, 15);
    expect(p2).toBeCloseTo(0.855, 15);
  });

  it('sgd with Nesterov momentum: p −= lr·(g + μ·b)', () => {
    // b1 = 0.5, d1 = 0.5 + 0.9·0.5 = 0.95, p1 = 1 − 0.095 = 0.905;
    // b2 = 0.9·0.5 + 1 = 1.45, d2 = 1 + 0.9·1.45 = 2.305, p2 = 0.905 − 0.2305 = 0.6745
    const [p1, p2] = scalarSteps({ name: 'sgd', momentum: 0.9, nesterov: true }, 1, [0.5, 1], 0.1);
    expect(p1).toBeCloseTo(0.905, 15);
    expect(p2).toBeCloseTo(0.6745, 15);
  });

  it('sgd with L2 weight decay: g + λ·p', () => {
    // g' = 0.5 + 0.1·2 = 0.7, p = 2 − 0.1·0.7 = 1.93
    expect(scalarSteps({ name: 'sgd', weightDecay: 0.1 }, 2, [0.5], 0.1)[0]).toBeCloseTo(1.93, 15);
  });

  it("adagrad, the seed's rule: m += g², p −= lr·g/√(m + ε)", () => {
    // ε = 0: m1 = 4, p1 = 1 − 0.1·2/2 = 0.9; m2 = 4 + 1 = 5, p2 = 0.9 − 0.1·1/√5
    const [p1, p2] = scalarSteps({ name: 'adagrad', epsilon: 0 }, 1, [2, 1], 0.1);
    expect(p1).toBeCloseTo(0.9, 15);
    expect(p2).toBeCloseTo(0.9 - 0.1 / Math.sqrt(5), 15);
    // the seed's ε = 1e-8 sits inside the root: 1 − 0.2/√(4 + 1e-8)
    expect(scalarSteps({ name: 'adagrad' }, 1, [2], 0.1)[0]).toBe(1 - 0.2 / Math.sqrt(4 + 1e-8));
  });

  it('rmsprop: v = α·v + (1 − α)·g², p −= lr·g/(√v + ε)', () => {
    // v1 = 0.01·4 = 0.04, √v1 = 0.2, p1 = 1 − 0.01·2/0.2 = 0.9 (ε = 1e-8 aside)
    // v2 = 0.99·0.04 + 0.01·4 = 0.0796, p2 = 0.9 − 0.01·2/√0.0796
    const [p1] = scalarSteps({ name: 'rmsprop' }, 1, [2, 2], 0.01);
    expect(p1).toBe(1 - (0.01 * 2) / (0.2 + 1e-8));
    const [q1, q2] = scalarSteps({ name: 'rmsprop', epsilon: 0 }, 1, [2, 2], 0.01);
    expect(q1).toBeCloseTo(0.9, 15);
    expect(q2).toBeCloseTo(0.9 - 0.02 / Math.sqrt(0.0796), 15);
  });

  it('rmsprop with momentum: b = μ·b + g/(√v + ε), p −= lr·b', () => {
    // d1 = 2/0.2 = 10 = b1, p1 = 1 − 0.01·10 = 0.9; v2 = 0.0796, d2 = 2/√0.0796, b2 = 0.5·10 + d2
    const [p1, p2] = scalarSteps({ name: 'rmsprop', momentum: 0.5, epsilon: 1e-12 }, 1, [2, 2], 0.01);
    expect(p1).toBeCloseTo(0.9, 10);
    expect(p2).toBeCloseTo(0.9 - 0.01 * (5 + 2 / Math.sqrt(0.0796)), 10);
  });

  it('adam: bias-corrected moments make a constant gradient take steps of lr', () => {
    // t = 1: m = 0.1·2 = 0.2, v = 0.001·4 = 0.004; m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4; p = 1 − 0.01·2/(2 + ε)
    // t = 2: m = 0.38, v = 0.007996; m̂ = 0.38/0.19 = 2, v̂ = 0.007996/0.001999 = 4; p = 0.99 − 0.01
    const [p1, p2] = scalarSteps({ name: 'adam', epsilon: 1e-12 }, 1, [2, 2], 0.01);
    expect(p1).toBeCloseTo(0.99, 10);
    expect(p2).toBeCloseTo(0.98, 10);
    // A gradient that flips sign: t = 2: m = 0.9·0.2 − 0.2 = −0.02, m̂ = −0.02/0.19; v̂ = 4 as before
    const [, q2] = scalarSteps({ name: 'adam', epsilon: 1e-12 }, 1, [2, -2], 0.01);
    expect(q2).toBeCloseTo(0.99 + (0.01 * (0.02 / 0.19)) / 2, 10);
  });

  it('adam adds λ·p to the gradient; adamw shrinks the weight by lr·λ first', () => {
    // adam, t = 1: g' = 2 + 0.5·1 = 2.5, the step is still lr·g'/|g'| = 0.01 → 0.99
    expect(scalarSteps({ name: 'adam', weightDecay: 0.5, epsilon: 1e-12 }, 1, [2], 0.01)[0]).toBeCloseTo(0.99, 10);
    // adamw, t = 1: p = 1·(1 − 0.01·0.5) = 0.995, then − 0.01 → 0.985
    expect(scalarSteps({ name: 'adamw', weightDecay: 0.5, epsilon: 1e-12 }, 1, [2], 0.01)[0]).toBeCloseTo(0.985, 10);
    // adam's L2 term goes through the moments: t = 1 with g = 0 still moves p toward 0 by lr
    expect(scalarSteps({ name: 'adam', weightDecay: 0.5, epsilon: 1e-12 }, 1, [0], 0.01)[0]).toBeCloseTo(0.99, 10);
  });

  it('Adam counts its steps in counters.step, which a checkpoint keeps', () => {
    const adam = createOptimizer({ name: 'adam' }, 3, 'float64');
    adam.step(new Float64Array(3), new Float64Array([1, 2, 3]), 0.1);
    adam.step(new Float64Array(3), new Float64Array([1, 2, 3]), 0.1);
    expect(adam.counters).toEqual({ step: 2 });
    expect(Object.keys(adam.state).sort()).toEqual(['firstMoment', 'secondMoment']);
  });

  it('holds exactly the state each rule needs', () => {
    const names = (spec: OptimizerSpec) => Object.keys(createOptimizer(spec, 4, 'float32').state).sort();
    expect(names({ name: 'sgd' })).toEqual([]);
    expect(names({ name: 'sgd', momentum: 0.9 })).toEqual(['momentumBuffer']);
    expect(names({ name: 'adagrad' })).toEqual(['memory']);
    expect(names({ name: 'rmsprop' })).toEqual(['squareAverage']);
    expect(names({ name: 'rmsprop', momentum: 0.9 })).toEqual(['momentumBuffer', 'squareAverage']);
    expect(createOptimizer({ name: 'adamw' }, 4, 'float32').state.firstMoment).toBeInstanceOf(Float32Array);
  });

  it('refuses Nesterov without momentum, with the way out', () => {
    expect(() => createOptimizer({ name: 'sgd', nesterov: true }, 4, 'float32')).toThrowError(BpttError);
    expect(() => createOptimizer({ name: 'sgd', nesterov: true }, 4, 'float32')).toThrowError(/--momentum/);
  });

  it("uses PyTorch's defaults (AdamW's weight decay 0.01) and the seed's Adagrad epsilon", () => {
    expect(OPTIMIZERS).toEqual(['adagrad', 'sgd', 'rmsprop', 'adam', 'adamw']);
    expect(OPTIMIZER_DEFAULTS.adamw.weightDecay).toBe(0.01);
    expect(OPTIMIZER_DEFAULTS.adam.weightDecay).toBe(0);
    expect((createOptimizer({ name: 'adagrad' }, 1, 'float64') as Adagrad).epsilon).toBe(1e-8);
  });
});

interface OptimizerCase {
  name: string;
  settings: { optimizer: OptimizerSpec['name']; lr: number } & Omit<OptimizerSpec, 'name'>;
  initial: number[];
  grads: number[][];
  after: number[][];
}
interface Fixture {
  optimizers: OptimizerCase[];
  schedules: { name: string; lr: number; schedule: Schedule; rates: number[] }[];
  clipping: { maxNorm: number; grads: number[]; norm: number; clipped: number[] }[];
  composed: Omit<OptimizerCase, 'name' | 'after'> & { schedule: Schedule; maxNorm: number; norms: number[]; after: number[][] };
}
const fixture = readFixture<Fixture>('torch-optimizers.json');
const specOf = ({ optimizer, lr: _lr, ...rest }: OptimizerCase['settings']): OptimizerSpec => ({ name: optimizer, ...rest });

describe('trajectories match torch.optim in float64', () => {
  it.each(fixture.optimizers.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const after = trajectory(specOf(c.settings), c.initial, c.grads, () => c.settings.lr);
    after.forEach((params, step) => expectClose(`${c.name}, step ${step + 1}`, params, c.after[step], 1e-13));
    // the trajectory really moves and depends on the state: the last step is not the first step's rule replayed
    expect(Math.abs(c.after.at(-1)![0] - c.initial[0])).toBeGreaterThan(1e-3);
  });

  it('covers every optimizer', () => {
    expect(new Set(fixture.optimizers.map((c) => c.settings.optimizer))).toEqual(new Set(OPTIMIZERS));
  });

  it('clipping by norm, a schedule with warmup and AdamW together, step by step', () => {
    const c = fixture.composed;
    const params = Float64Array.from(c.initial);
    const optimizer = createOptimizer(specOf(c.settings), params.length, 'float64');
    c.grads.forEach((g, step) => {
      const grads = Float64Array.from(g);
      const norm = globalNorm(grads);
      expect(norm).toBeCloseTo(c.norms[step], 12);
      clipByGlobalNorm(grads, c.maxNorm, norm);
      optimizer.step(params, grads, learningRateAt(c.settings.lr, c.schedule, step));
      expectClose(`composed, step ${step + 1}`, params, c.after[step], 1e-13);
    });
  });
});

describe('learning-rate schedules', () => {
  const lr = 0.1;
  it('constant', () => {
    for (const step of [0, 1, 1000]) expect(learningRateAt(lr, { kind: 'constant' }, step)).toBe(lr);
  });

  it('step: × factor every N steps', () => {
    const schedule: Schedule = { kind: 'step', decayEvery: 10, decayFactor: 0.5 };
    expect(learningRateAt(lr, schedule, 9)).toBe(0.1);
    expect(learningRateAt(lr, schedule, 10)).toBe(0.05);
    expect(learningRateAt(lr, schedule, 25)).toBe(0.025);
    expect(learningRateAt(lr, { kind: 'step', decayEvery: 10 }, 10)).toBeCloseTo(0.01, 15); // torch's default γ 0.1
  });

  it('cosine: from lr to the minimum over S steps, then the minimum', () => {
    const schedule: Schedule = { kind: 'cosine', totalSteps: 100 };
    expect(learningRateAt(lr, schedule, 0)).toBe(0.1);
    expect(learningRateAt(lr, schedule, 50)).toBeCloseTo(0.05, 15); // cos(π/2) = 0: halfway
    expect(learningRateAt(lr, schedule, 100)).toBe(0);
    expect(learningRateAt(lr, schedule, 150)).toBe(0);
    expect(learningRateAt(lr, { ...schedule, minLearningRate: 0.02 }, 50)).toBeCloseTo(0.06, 15);
    expect(learningRateAt(lr, { ...schedule, minLearningRate: 0.02 }, 200)).toBe(0.02);
  });

  it('warmup: (s + 1)/W of the rate over the first W steps, combined with any schedule', () => {
    const warmup: Schedule = { kind: 'constant', warmupSteps: 10 };
    expect(learningRateAt(lr, warmup, 0)).toBeCloseTo(0.01, 15);
    expect(learningRateAt(lr, warmup, 4)).toBeCloseTo(0.05, 15);
    expect(learningRateAt(lr, warmup, 9)).toBe(0.1);
    expect(learningRateAt(lr, warmup, 20)).toBe(0.1);
    // step 4 of a cosine over 8 steps is halfway (0.05), and warmup is at 5/10 there
    expect(learningRateAt(lr, { kind: 'cosine', totalSteps: 8, warmupSteps: 10 }, 4)).toBeCloseTo(0.025, 15);
  });

  it('refuses a schedule that lacks a setting, naming the flag to give', () => {
    expect(() => learningRateAt(lr, { kind: 'step' }, 0)).toThrowError(/--decay-every/);
    expect(() => learningRateAt(lr, { kind: 'cosine' }, 0)).toThrowError(/--schedule-steps/);
  });

  it.each(fixture.schedules.map((s) => [s.name, s] as const))('%s matches torch.optim.lr_scheduler', (_name, s) => {
    const rates = s.rates.map((_, step) => learningRateAt(s.lr, s.schedule, step));
    expectClose(s.name, rates, s.rates, 1e-15);
  });
});

describe('clipping by global norm', () => {
  it('scales [3, 4] (norm 5) to norm 1 and leaves a gradient under the limit alone', () => {
    const grads = new Float64Array([3, 4]);
    expect(globalNorm(grads)).toBe(5);
    expect(clipByGlobalNorm(grads, 1)).toBe(true);
    expect(grads[0]).toBeCloseTo(0.6, 6);
    expect(grads[1]).toBeCloseTo(0.8, 6);
    const small = new Float32Array([3, 4]);
    expect(clipByGlobalNorm(small, 10)).toBe(false);
    expect([...small]).toEqual([3, 4]);
  });

  it.each(fixture.clipping.map((c, i) => [i, c] as const))('case %i matches clip_grad_norm_', (_i, c) => {
    const grads = Float64Array.from(c.grads);
    expect(globalNorm(grads)).toBeCloseTo(c.norm, 13);
    clipByGlobalNorm(grads, c.maxNorm);
    expectClose('clipped', grads, c.clipped, 1e-15);
  });
});

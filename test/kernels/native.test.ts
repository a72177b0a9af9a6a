/**
 * The native backend beyond the shared conformance suite (conformance.test.ts runs that on every
 * instruction set this CPU has): that it loads where it must, the float64 halves of the gate,
 * softmax and optimizer kernels, the thread pool's split products and elementwise kernels on
 * sizes big enough to be split, and the size checks that keep a wrong call from writing outside
 * an array.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon, NativeKernels, nativeInstructionSets, Random, referenceKernels as reference, type Kernels } from '../../src/index.js';
import { KERNEL_SIGNATURES, kernelParams, type KernelName } from '../../src/kernels/signatures.js';
import { repoRoot } from '../helpers.js';

const { addon, reason } = loadNativeAddon();
const random = new Random(8);

it('the native kernels load (required when BPTT_REQUIRE_NATIVE=1, as in CI); otherwise the reason is one line', () => {
  if (process.env.BPTT_REQUIRE_NATIVE === '1') expect(reason ?? 'loaded').toBe('loaded');
  if (addon) {
    expect(nativeInstructionSets()).toContain('portable');
    if (process.arch === 'x64') expect(nativeInstructionSets().length).toBeGreaterThan(1);
  } else expect(reason).toMatch(/^[^\n]+$/);
});

type Floats = Float32Array | Float64Array;
function filled<F extends typeof Float32Array | typeof Float64Array>(F: F, n: number, scale = 1): InstanceType<F> {
  const array = new F(n) as InstanceType<F>;
  for (let i = 0; i < n; i++) array[i] = scale * random.normal();
  return array;
}
function worst(a: Floats, b: Floats): number {
  let scale = 1e-30;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

describe.runIf(addon).each(nativeInstructionSets())('native-%s', (isa) => {
  const kernels = () => NativeKernels.create(isa);

  it('fromAddon (a build loaded by the caller, as bench/native compares two): its kernels compute on any arrays; an instruction set it lacks is refused', () => {
    const k = NativeKernels.fromAddon(addon!, isa);
    expect(k.name).toBe(`native-${isa}`);
    const [m, kk, n] = [13, 37, 50];
    const a = filled(Float64Array, m * kk);
    const b = filled(Float64Array, kk * n);
    const [out, expected] = [new Float64Array(m * n), new Float64Array(m * n)];
    k.matmulAB(out, a, b, m, kk, n, false);
    reference.matmulAB(expected, a, b, m, kk, n, false);
    expect(worst(out, expected)).toBeLessThan(1e-12);
    expect(() => NativeKernels.fromAddon(addon!, 'no-such-isa')).toThrow(/does not run the no-such-isa kernels/);
  });

  it('float64: gates, softmax + cross-entropy, activations and optimizers match the reference to 1e-12', () => {
    const k = kernels();
    const rows = 5;
    const H = 19;
    const n = rows * H;
    const F = Float64Array;
    const run = (name: string, lengths: number[], call: (kk: Kernels, arrays: Float64Array[]) => void, outputs: number[]) => {
      const inputs = lengths.map((l) => filled(F, l, 2));
      const mine = inputs.map((a) => F.from(a));
      const theirs = inputs.map((a) => F.from(a));
      call(k, mine);
      call(reference, theirs);
      for (const o of outputs) expect(worst(mine[o], theirs[o]), `${name} output ${o}`).toBeLessThan(1e-12);
    };
    run('lstmGates', [4 * n, n, n, n], (kk, [gates, c, h, cPrev]) => kk.lstmGates(gates, c, h, cPrev, rows, H), [0, 1, 2]);
    run(
      'lstmGatesBackward',
      [4 * n, n, n, 4 * n, n, n],
      (kk, [dGates, kappa, gamma, gates, c, cPrev]) => {
        reference.sigmoid(gates, 4 * n);
        kk.lstmGatesBackward(dGates, kappa, gamma, gates, c, cPrev, rows, H);
      },
      [0, 1],
    );
    run('gruGates', [3 * n, 3 * n, n, n, n], (kk, [gates, p, qn, hPrev, h]) => kk.gruGates(gates, p, qn, hPrev, h, rows, H), [0, 2, 4]);
    run(
      'gruGatesBackward',
      [3 * n, 3 * n, n, n, 3 * n, n, n],
      (kk, [dq, dp, gammaPrev, gamma, gates, qn, hPrev]) => {
        reference.sigmoid(gates, 3 * n);
        kk.gruGatesBackward(dq, dp, gammaPrev, gamma, gates, qn, hPrev, rows, H);
      },
      [0, 1, 2],
    );
    for (const act of ['sigmoid', 'tanh', 'relu'] as const) run(act, [n], (kk, [x]) => kk[act](x, n), [0]);
    for (const back of ['sigmoidBackward', 'tanhBackward', 'reluBackward'] as const) run(back, [n, n, n], (kk, [dz, g, h]) => kk[back](dz, g, h, n), [0]);
    run('adagrad', [n, n, n], (kk, [p, g, m]) => kk.adagradStep(p, g, m.map(Math.abs), 0.1, 1e-8, n), [0]);
    run('rmsprop', [n, n, n, n], (kk, [p, g, s, b]) => kk.rmspropStep(p, g, s.map(Math.abs), b, n, 0.01, 0.99, 1e-8, 0.9), [0, 3]);
    run('adam', [n, n, n, n], (kk, [p, g, m, v]) => kk.adamStep(p, g, m, v.map(Math.abs), n, 0.9, 0.999, 1e-8, 0.01, 0.5, 0.999), [0, 2]);
    for (const V of [3, 9, 27]) {
      const logits = filled(F, rows * V, 4);
      const targets = Int32Array.from({ length: rows }, (_, r) => (r * 7) % V);
      const mask = Float32Array.from({ length: rows }, (_, r) => (r === 2 ? 0 : 1));
      const [mine, theirs] = [F.from(logits), F.from(logits)];
      const loss = k.softmaxCrossEntropy(mine, targets, mask, rows, V);
      const lossRef = reference.softmaxCrossEntropy(theirs, targets, mask, rows, V);
      expect(Math.abs(loss - lossRef) / lossRef, `loss V ${V}`).toBeLessThan(1e-12);
      expect(worst(mine, theirs), `softmax V ${V}`).toBeLessThan(1e-12);
      k.softmaxCrossEntropyBackward(mine, targets, mask, 0.3, rows, V);
      reference.softmaxCrossEntropyBackward(theirs, targets, mask, 0.3, rows, V);
      expect(worst(mine, theirs), `softmax backward V ${V}`).toBeLessThan(1e-12);
    }
  });

  it.each([1, 2])('with %i pool thread(s): products, activations, gates and softmax big enough to be split match the reference', (threads) => {
    const k = kernels();
    const before = k.threads;
    k.threads = threads;
    try {
      for (const F of [Float32Array, Float64Array]) {
        const tolerance = F === Float64Array ? 1e-12 : 2e-5;
        const [m, kk, n] = [203, 131, 77];
        const a = filled(F, m * kk);
        const b = filled(F, kk * n);
        const out = filled(F, m * n);
        const expected = F.from(out);
        k.matmulAB(out, a, b, m, kk, n, true);
        reference.matmulAB(expected, a, b, m, kk, n, true);
        expect(worst(out, expected), 'A·B').toBeLessThan(tolerance);
        const aT = filled(F, 1000 * m);
        const big = filled(F, 1000 * n);
        k.matmulAtBAccumulate(out, aT, big, m, 1000, n);
        reference.matmulAtBAccumulate(expected, aT, big, m, 1000, n);
        expect(worst(out, expected), 'Aᵀ·B, K = 1000 (four K blocks)').toBeLessThan(tolerance);
        const small = filled(F, 24 * kk); // few rows, several panels: split by panels
        const wide = filled(F, kk * 300);
        const [o1, o2] = [new F(24 * 300), new F(24 * 300)];
        k.matmulAB(o1, small, wide, 24, kk, 300, false);
        reference.matmulAB(o2, small, wide, 24, kk, 300, false);
        expect(worst(o1, o2), 'A·B by panels').toBeLessThan(tolerance);

        const length = 70_001;
        for (const act of ['sigmoid', 'tanh'] as const) {
          const z = filled(F, length, 3);
          const [x, y] = [F.from(z), F.from(z)];
          k[act](x, length);
          reference[act](y, length);
          expect(worst(x, y), act).toBeLessThan(F === Float64Array ? 1e-12 : 1e-6);
        }
        const rows = 600;
        const H = 64;
        const gates = filled(F, rows * 4 * H);
        const cPrev = filled(F, rows * H);
        const [g1, g2, c1, c2, h1, h2] = [F.from(gates), F.from(gates), new F(rows * H), new F(rows * H), new F(rows * H), new F(rows * H)];
        k.lstmGates(g1, c1, h1, cPrev, rows, H);
        reference.lstmGates(g2, c2, h2, cPrev, rows, H);
        expect(worst(h1, h2), 'lstmGates').toBeLessThan(F === Float64Array ? 1e-12 : 1e-6);
        const V = 27;
        const logitRows = 4000;
        const logits = filled(F, logitRows * V, 3);
        const targets = Int32Array.from({ length: logitRows }, (_, r) => r % V);
        const mask = new Float32Array(logitRows).fill(1);
        const [p1, p2] = [F.from(logits), F.from(logits)];
        const loss = k.softmaxCrossEntropy(p1, targets, mask, logitRows, V);
        const lossRef = reference.softmaxCrossEntropy(p2, targets, mask, logitRows, V);
        expect(Math.abs(loss - lossRef) / lossRef).toBeLessThan(F === Float64Array ? 1e-12 : 1e-5);
        expect(worst(p1, p2), 'softmax').toBeLessThan(F === Float64Array ? 1e-12 : 1e-6);
      }
    } finally {
      k.threads = before;
    }
  });

  it('has every kernel of the signature table, and takes its parameters: arrays of the declared lengths run, one element short is refused', () => {
    const k = kernels();
    const dims = { m: 3, k: 4, n: 5, rows: 3, cols: 4, hidden: 2, vocab: 5, length: 7 };
    const scalar = (type: string, name: string) =>
      type === 'bool' ? name === 'accumulate' : type === 'dtype' ? 'float32' : name in dims ? dims[name as keyof typeof dims] : 0.5;
    let calls = 0;
    for (const name of Object.keys(KERNEL_SIGNATURES) as KernelName[]) {
      const params = kernelParams(KERNEL_SIGNATURES[name]);
      expect((k as unknown as Record<string, (...args: unknown[]) => unknown>)[name].length, name).toBe(params.length);
      if (name === 'allocate' || name === 'packedSize') continue; // host-side: the shared memory, packedSize
      expect(typeof addon!.kernels[isa][name], name).toBe('function');
      // A length is an expression of the scalars (and of this, the kernels); an array sized by its own length is any size.
      const lengthOf = (expression: string, own: string) =>
        expression === `${own}.length`
          ? own === 'packed'
            ? k.packedSize('float32', dims.k, dims.n)
            : dims.vocab * dims.cols
          : (Function(...Object.keys(dims), 'packed', `return ${expression}`).call(k, ...Object.values(dims), new Float32Array(1)) as number);
      const argumentsWith = (short?: string) =>
        params.map((p) => {
          if (p.kind === 'scalar') return scalar(p.type, p.name);
          const length = lengthOf(p.length, p.name) - (p.name === short ? 1 : 0);
          return p.element === 'int32' ? new Int32Array(length) : new Float32Array(length);
        });
      const call = (args: unknown[]) => (k as unknown as Record<string, (...args: unknown[]) => unknown>)[name](...args);
      expect(() => call(argumentsWith()), name).not.toThrow();
      for (const p of params) {
        if (p.kind !== 'array' || p.length === `${p.name}.length`) continue;
        expect(() => call(argumentsWith(p.name)), `${name} with ${p.name} one element short`).toThrow(RangeError);
        calls++;
      }
    }
    expect(calls).toBeGreaterThan(70);
  });

  it('refuses calls whose sizes exceed the arrays, out-of-vocabulary ids and mixed float types (RangeError, nothing written)', () => {
    const k = kernels();
    const out = new Float32Array(6);
    expect(() => k.matmulAB(out, new Float32Array(6), new Float32Array(6), 2, 3, 4, false)).toThrow(RangeError);
    expect(() => k.sigmoid(new Float32Array(3), 4)).toThrow(RangeError);
    expect(() => k.add(new Float32Array(4), new Float64Array(4), 4)).toThrow(/mixed/);
    expect(() => k.addWeightColumns(new Float32Array(6), new Float32Array(6), Int32Array.from([0, 3]), 2, 3, 2)).toThrow(/vocabulary/);
    expect(() => k.gatherRows(new Float32Array(4), new Float32Array(4), Int32Array.from([2]), 1, 2)).toThrow(/vocabulary/);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    const zeroed = k.allocate('float64', 1001);
    expect(zeroed).toBeInstanceOf(Float64Array);
    expect(zeroed.length).toBe(1001);
    expect(zeroed.every((v) => v === 0)).toBe(true);
  });
});

describe.runIf(addon)("the native kernels' memory", () => {
  it('holds arrays past 2 GiB (the top pointer is unsigned), and a request that does not fit leaves it usable', () => {
    const k = NativeKernels.create();
    const filler = k.allocate('float32', 2 ** 29 + 1024); // 2 GiB and a little: what follows lies past 2³¹ bytes
    expect(filler.byteOffset + filler.byteLength).toBeGreaterThan(2 ** 31);
    const a = k.allocate('float32', 16);
    const b = k.allocate('float32', 16);
    expect(a.byteOffset).toBeGreaterThan(2 ** 31);
    a.fill(1.5);
    b.fill(2);
    k.add(a, b, 16); // the kernel reads and writes there
    expect(Array.from(a)).toEqual(Array(16).fill(3.5));
    expect(() => k.allocate('float32', 2 ** 29)).toThrow(/memory is full/); // 2 GiB more is past the 4 GiB limit
    const c = k.allocate('float32', 16);
    expect(c.byteOffset).toBe(b.byteOffset + 64);
  });
});

describe('bptt with --backend native', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it('without the addon: one line saying why and how to get it, exit 2', () => {
    const result = cli(['bench', '--backend', 'native', '--preset', 'small', '--seconds', '0.1'], {
      BPTT_NATIVE_ADDON: join(repoRoot, 'build', 'no-such-addon.node'),
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/native kernels are not available: they are not built.*npm rebuild bptt/);
  });

  it.runIf(addon)('the training header and bench name the native backend and its threads', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bptt-native-'));
    const train = cli([
      'train',
      '--backend',
      'native',
      '--threads',
      '2',
      '--hidden',
      '16',
      '--steps',
      '3',
      '--print',
      '0',
      '--out',
      join(folder, 'native.safetensors'),
    ]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/native-\w+ kernels, 2 threads/);
    const bench = cli(['bench', '--preset', 'small', '--backend', 'native', '--threads', '2', '--seconds', '0.2', '--json']);
    expect(bench.status, bench.stderr).toBe(0);
    const lines = bench.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.backend.replace(/^native-\w+$/, 'native'), l.threads])).toEqual([
      ['reference', 1],
      ['native', 2],
    ]);
    expect(lines[1].ratio_to_reference).toBeGreaterThan(1);
    expect(lines[1].peak_gflops_per_core).toBeGreaterThan(0);
  });
});

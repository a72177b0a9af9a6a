/**
 * The native kernels' matrix products on the seed workload's shapes (or the text workload's: an LSTM
 * of 256, 32 streams × windows of 64, embedding 64), one thread, GFLOP/s from the best of repeated
 * calls in CPU time, and the multiply-add peak (docs/performance.md).
 *
 *   npx tsx bench/native/products.ts [avx512|avx2|portable] [seed|text] [OTHER.node]
 *
 * With OTHER.node (another build of the addon, e.g. the previous commit's build/Release/bptt_native.node
 * copied aside), each product runs on both builds in turn, in ROUNDS rounds (default 5) on the same
 * arrays, and prints both figures and this build's speed-up in each round: between processes, best-of
 * timings of the same code differ by up to 2× on a shared machine, within one process far less.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { NativeKernels, type DType, type NativeAddon } from '../../src/index.js';

const [isa, set = 'seed', otherPath] = process.argv.slice(2);
const kernels = NativeKernels.create(isa);
kernels.threads = 1;
const other = otherPath ? NativeKernels.fromAddon(createRequire(import.meta.url)(resolve(otherPath)) as NativeAddon, kernels.isa) : undefined;
if (other) other.threads = 1;
const rounds = other ? Number(process.env.ROUNDS ?? 5) : 1;

function bestMicroseconds(call: () => void, repeats: number): number {
  call();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = process.cpuUsage();
    call();
    const used = process.cpuUsage(start);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

const SHAPES: Record<string, [string, number, number, number][]> = {
  seed: [
    ['packed', 512, 256, 256],
    ['packed', 16, 128, 128],
    ['AtB', 256, 7680, 256],
    ['ABt', 7680, 256, 27],
    ['AB', 7680, 27, 256],
    ['AtB', 27, 7680, 256],
  ],
  // One window: 32 rows a step through the 4 gates (4·256 columns), then products over its 2,048 positions.
  text: [
    ['packed', 32, 256, 1024],
    ['packed', 2048, 64, 1024],
    ['AtB', 1024, 2048, 256],
    ['AtB', 1024, 2048, 64],
    ['AB', 2048, 1024, 64],
    ['ABt', 2048, 256, 27],
    ['AB', 2048, 27, 256],
  ],
};
const gflops = (m: number, k: number, n: number, us: number) => ((2 * m * k * n) / us / 1e3).toFixed(1).padStart(6);
for (const dtype of ['float32', 'float64'] as DType[]) {
  const filled = (n: number) => {
    const array = kernels.allocate(dtype, n);
    for (let i = 0; i < n; i++) array[i] = Math.random() - 0.5;
    return array;
  };
  for (const [kind, m, k, n] of SHAPES[set]) {
    const a = filled(m * k);
    const b = filled(k * n);
    const out = filled(m * n);
    const packed = kernels.allocate(dtype, kernels.packedSize(dtype, k, n));
    kernels.pack(packed, b, k, n, false);
    // The other build works on the same arrays: the addon takes any typed array's memory.
    const product = (x: NativeKernels) =>
      kind === 'packed'
        ? () => x.matmulPacked(out, a, packed, m, k, n, false)
        : kind === 'AtB'
          ? () => x.matmulAtBAccumulate(out, a, b, m, k, n)
          : kind === 'ABt'
            ? () => x.matmulABt(out, a, b, m, k, n, false)
            : () => x.matmulAB(out, a, b, m, k, n, false);
    const repeats = m * k * n > 1e7 ? 20 : 200;
    const shape = `${kernels.name} ${dtype} ${kind.padEnd(6)} ${`${m}×${k}×${n}`.padEnd(13)}`;
    if (!other) {
      const us = bestMicroseconds(product(kernels), repeats);
      console.log(`${shape} ${us.toFixed(0).padStart(7)} µs ${gflops(m, k, n, us)} GFLOP/s`);
      continue;
    }
    const [mine, theirs, ratios]: number[][] = [[], [], []];
    for (let round = 0; round < rounds; round++) {
      theirs.push(bestMicroseconds(product(other), repeats));
      mine.push(bestMicroseconds(product(kernels), repeats));
      ratios.push(theirs[round] / mine[round]);
    }
    const median = [...ratios].sort((x, y) => x - y)[Math.floor(rounds / 2)];
    console.log(
      `${shape} other ${gflops(m, k, n, Math.min(...theirs))}, this ${gflops(m, k, n, Math.min(...mine))} GFLOP/s (best); ` +
        `this ÷ other per round ${ratios.map((r) => r.toFixed(2)).join(' ')}, median ${median.toFixed(2)}`,
    );
  }
}
console.log(`${kernels.name} multiply-add peak, float32: ${kernels.multiplyAddPeak().toFixed(1)} GFLOP/s (wall clock, best of 0.3 s)`);

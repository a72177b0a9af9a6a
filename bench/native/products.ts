/**
 * The native kernels' matrix products on the seed workload's shapes (or the text workload's: an LSTM
 * of 256, 32 streams × windows of 64, embedding 64), one thread, GFLOP/s from the best of repeated
 * calls in CPU time, and the multiply-add peak (docs/performance.md).
 *
 *   npx tsx bench/native/products.ts [avx512|avx2|portable] [seed|text]
 */
import { NativeKernels, type DType } from '../../src/index.js';

const kernels = NativeKernels.create(process.argv[2]);
kernels.threads = 1;

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
const shapes = SHAPES[process.argv[3] ?? 'seed'];
for (const dtype of ['float32', 'float64'] as DType[]) {
  const filled = (n: number) => {
    const array = kernels.allocate(dtype, n);
    for (let i = 0; i < n; i++) array[i] = Math.random() - 0.5;
    return array;
  };
  for (const [kind, m, k, n] of shapes) {
    const a = filled(m * k);
    const b = filled(k * n);
    const out = filled(m * n);
    const packed = kernels.allocate(dtype, kernels.packedSize(dtype, k, n));
    kernels.pack(packed, b, k, n, false);
    const call =
      kind === 'packed'
        ? () => kernels.matmulPacked(out, a, packed, m, k, n, false)
        : kind === 'AtB'
          ? () => kernels.matmulAtBAccumulate(out, a, b, m, k, n)
          : kind === 'ABt'
            ? () => kernels.matmulABt(out, a, b, m, k, n, false)
            : () => kernels.matmulAB(out, a, b, m, k, n, false);
    const us = bestMicroseconds(call, m * k * n > 1e7 ? 20 : 200);
    console.log(
      `${kernels.name} ${dtype} ${kind.padEnd(6)} ${`${m}×${k}×${n}`.padEnd(13)} ${us.toFixed(0).padStart(7)} µs ${((2 * m * k * n) / us / 1e3).toFixed(1).padStart(6)} GFLOP/s`,
    );
  }
}
console.log(`${kernels.name} multiply-add peak, float32: ${kernels.multiplyAddPeak().toFixed(1)} GFLOP/s (wall clock, best of 0.3 s)`);

/**
 * How the native kernels should use two threads: a pool inside every kernel call, or worker
 * replicas each on part of a batch's rows (src/train/data-parallel.ts). Wall-clock tokens/s of
 * one thread, the pool and the workers, switched in one process (docs/performance.md).
 *
 *   npx tsx bench/native/threading.ts [workloads: seed,small,lstm] [seconds] [rounds]
 */
import { WORKLOADS } from '../../src/cli/bench.js';
import { loadCorpus } from '../../src/cli/corpus.js';
import { startDataParallel } from '../../src/cli/threads.js';
import { benchmarkTraining, NativeKernels, prepareData } from '../../src/index.js';

const [names = 'seed,small,lstm', seconds = '3', rounds = '2'] = process.argv.slice(2);
const corpus = loadCorpus('dinosaurs');
for (let round = 1; round <= Number(rounds); round++) {
  for (const name of names.split(',')) {
    const { recipe } = WORKLOADS[name];
    const data = prepareData(corpus.text, recipe, corpus.source);
    const results: string[] = [];
    for (const [mode, threads] of [
      ['pool', 1],
      ['pool', 2],
      ['workers', 2],
    ] as const) {
      process.env.BPTT_NATIVE_THREADS = mode; // read by startDataParallel
      const result = await benchmarkTraining(NativeKernels.create(), recipe, data.train, data.tokenizer.size, Number(seconds), (model) =>
        startDataParallel(model, threads),
      );
      results.push(`${threads === 1 ? '1 thread' : `${mode}, 2 threads`} ${Math.round(result.tokensPerSecond).toLocaleString('en-US')}`);
    }
    console.log(`round ${round}, ${name}: ${results.join('   ')}`);
  }
}

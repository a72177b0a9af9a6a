/**
 * `bptt bench`: training throughput of each kernel backend on the seed's
 * workload and a small one, with each backend's ratio to the pure-TypeScript
 * reference measured in the same run.
 */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { availableBackends, BACKENDS, loadKernels, type Backend } from '../kernels/select.js';
import { NativeKernels } from '../kernels/native/native-kernels.js';
import { WasmKernels } from '../kernels/wasm/wasm-kernels.js';
import { benchmarkTraining, trainingFlopsPerToken } from '../train/benchmark.js';
import { DEFAULT_RECIPE, modelConfigOf, prepareData, SEED_PRESET, type Recipe } from '../train/recipe.js';
import { loadCorpus } from './corpus.js';
import { choiceOption, integerOption, numberOption } from './options.js';
import { startDataParallel } from './threads.js';
import { availableParallelism } from 'node:os';

/** The workloads: the seed's notebook (in float32), and a small, latency-bound one. */
/**
 * The small workloads' shape, fixed here rather than taken from the defaults (which may change): the
 * peers in bench/peers run exactly this, one layer, no dropout, Adagrad 0.1.
 */
const SMALL_SHAPE: Recipe = { ...DEFAULT_RECIPE, layers: 1, hidden: 128, embed: 0, dropout: 0, batchSize: 32, learningRate: 0.1, clip: 5, validationFraction: 0, patience: undefined };

export const WORKLOADS: Record<string, { describe: string; recipe: Recipe }> = {
  seed: {
    describe: 'the seed: sigmoid RNN, D_h 256, V 27, batches of 512 chunks of 15 steps, one-hot, Adagrad, float32',
    recipe: { ...SEED_PRESET, dtype: 'float32' },
  },
  small: {
    describe: 'small: tanh RNN, D_h 128, batches of 32 names, one-hot, Adagrad, float32',
    recipe: { ...SMALL_SHAPE, cell: 'rnn', activation: 'tanh' },
  },
  lstm: {
    describe: 'lstm: LSTM, D_h 128, batches of 32 names, one-hot, Adagrad, float32',
    recipe: { ...SMALL_SHAPE, cell: 'lstm' },
  },
  gru: {
    describe: 'gru: GRU, D_h 128, batches of 32 names, one-hot, Adagrad, float32',
    recipe: { ...SMALL_SHAPE, cell: 'gru' },
  },
};

interface BenchFlags {
  preset?: string;
  backend?: Backend;
  threads?: number;
  seconds: number;
  json?: boolean;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('training throughput (tokens/s) per kernel backend, with ratios to the pure-TypeScript reference')
    .option('--preset <name>', `one workload: ${Object.keys(WORKLOADS).join(', ')} (default: all)`, choiceOption('--preset', Object.keys(WORKLOADS)))
    .option('--backend <name>', 'one backend besides the reference (default: every one available)', choiceOption('--backend', BACKENDS))
    .option('--threads <N>', 'threads for the WebAssembly and native backends (default: 1 and every core)', integerOption('--threads', 1, 64))
    .option('--seconds <S>', 'timed seconds per backend and workload', numberOption('--seconds', 0, 600, { exclusiveMin: true }), 3)
    .option('--json', 'print one JSON object per measurement')
    .action(async (flags: BenchFlags) => {
      const corpus = loadCorpus('dinosaurs');
      const backends: Backend[] = flags.backend && flags.backend !== 'auto' ? [...new Set<Backend>(['reference', flags.backend])] : await availableBackends();
      if (!backends.includes('reference')) backends.push('reference');
      const workloads = flags.preset ? [flags.preset] : Object.keys(WORKLOADS);
      if (!flags.json) process.stdout.write(`bptt bench on Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`);
      // Each backend's arithmetic ceiling on one core, measured now: what a share of it the training reaches.
      const peaks = new Map<string, number>();
      for (const backend of backends) {
        const kernels = await loadKernels(backend);
        if (kernels instanceof WasmKernels || kernels instanceof NativeKernels) peaks.set(kernels.name, kernels.multiplyAddPeak());
      }
      if (!flags.json && peaks.size > 0) {
        const list = [...peaks].map(([name, peak]) => `${name} ${peak.toFixed(1)}`).join(', ');
        process.stdout.write(`multiply-add peak of one core, GFLOP/s (registers only, measured now): ${list}\n`);
      }
      for (const name of workloads) {
        const { describe, recipe } = WORKLOADS[name];
        const data = prepareData(corpus.text, recipe, corpus.source);
        const flopsPerToken = trainingFlopsPerToken(modelConfigOf(recipe, data.tokenizer.size));
        if (!flags.json) process.stdout.write(`\n${describe}; ${Math.round(flopsPerToken / 1000)}k FLOPs per token\n`);
        let reference = 0;
        // The reference first: every other measurement is reported as a multiple of it.
        for (const backend of ['reference', ...backends.filter((b) => b !== 'reference')] as Backend[]) {
          const threadCounts = backend === 'reference' ? [1] : flags.threads ? [flags.threads] : [...new Set([1, availableParallelism()])];
          for (const threads of threadCounts) {
            const kernels = await loadKernels(backend);
            const result = await benchmarkTraining(kernels, recipe, data.train, data.tokenizer.size, flags.seconds, (model) => startDataParallel(model, threads));
            if (backend === 'reference') reference = result.tokensPerSecond;
            const ratio = result.tokensPerSecond / reference;
            const gflops = (result.tokensPerSecond * flopsPerToken) / 1e9;
            const peak = peaks.get(result.backend);
            if (flags.json) {
              process.stdout.write(
                `${JSON.stringify({ workload: name, backend: result.backend, threads: result.threads, tokens_per_s: Math.round(result.tokensPerSecond), ratio_to_reference: ratio, steps: result.steps, seconds: result.seconds, flops_per_token: flopsPerToken, gflops_per_s: gflops, peak_gflops_per_core: peak ?? null })}\n`,
              );
            } else {
              const label = `${result.backend}, ${result.threads} thread${result.threads > 1 ? 's' : ''}`;
              // The share of the ceiling: `threads` cores of this backend's measured peak.
              const share = peak ? `, ${Math.round((100 * gflops) / (peak * result.threads))}% of peak` : '';
              process.stdout.write(
                `  ${label.padEnd(24)} ${Math.round(result.tokensPerSecond).toLocaleString('en-US').padStart(10)} tokens/s   ${ratio.toFixed(2).padStart(6)}× reference   ${gflops.toFixed(1).padStart(5)} GFLOP/s${share}   (${result.steps} steps in ${result.seconds.toFixed(1)} s)\n`,
              );
            }
          }
        }
      }
    });
}

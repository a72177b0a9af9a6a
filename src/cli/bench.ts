/**
 * `bptt bench`: training throughput of each kernel backend on the seed's
 * workload and a small one, with each backend's ratio to the pure-TypeScript
 * reference measured in the same run.
 */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { availableBackends, loadKernels, type Backend } from '../kernels/select.js';
import { NativeKernels } from '../kernels/native/native-kernels.js';
import { WasmKernels } from '../kernels/wasm/wasm-kernels.js';
import { benchmarkTraining, trainingFlopsPerToken, workloadData, WORKLOADS } from '../train/benchmark.js';
import { modelConfigOf } from '../train/recipe.js';
import { loadCorpus } from './corpus.js';
import { addFlags, checkedFlags } from './flags.js';
import { startDataParallel } from './threads.js';
import { availableParallelism } from 'node:os';

/** The workloads live in the library (src/train/benchmark.ts); re-exported for the benches that import them from here. */
export { WORKLOADS };

interface BenchFlags {
  preset?: string;
  backend?: Backend;
  threads?: number;
  seconds: number;
  json?: boolean;
}

export function registerBench(program: Command): void {
  addFlags(
    program.command('bench').description('training throughput (tokens/s) per kernel backend, with ratios to the pure-TypeScript reference'),
    'bench',
  ).action(async (values: Record<string, unknown>) => {
    const flags = checkedFlags<BenchFlags>('bench', values);
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
      // Mode stream (the text workload) reads the names as one running text.
      const data = workloadData(recipe, corpus.text, corpus.source);
      const flopsPerToken = trainingFlopsPerToken(modelConfigOf(recipe, data.vocabSize));
      if (!flags.json) process.stdout.write(`\n${describe}; ${Math.round(flopsPerToken / 1000)}k FLOPs per token\n`);
      let reference = 0;
      // The reference first: every other measurement is reported as a multiple of it.
      for (const backend of ['reference', ...backends.filter((b) => b !== 'reference')] as Backend[]) {
        const threadCounts = backend === 'reference' ? [1] : flags.threads ? [flags.threads] : [...new Set([1, availableParallelism()])];
        for (const threads of threadCounts) {
          const kernels = await loadKernels(backend);
          // The reference is only the ratios' denominator, and slow (a step of the text workload takes 15 s): one step after one warm-up.
          const steps = backend === 'reference' ? { warmupSteps: 1, minSteps: 1 } : {};
          const result = await benchmarkTraining(
            kernels,
            recipe,
            data.train,
            data.vocabSize,
            flags.seconds,
            (model) => startDataParallel(model, threads),
            steps,
          );
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

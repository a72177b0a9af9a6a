/**
 * Training speed in tokens per CPU-second, one thread: the native kernels against wasm-relaxed,
 * alternating in one process (docs/performance.md, "Native kernels: measured").
 *
 *   npx tsx bench/native/cpu-time.ts [workloads: seed,small,lstm,gru,text] [steps] [rounds] [float32|float64] [OTHER.node]
 *
 * With OTHER.node (another build of the addon, e.g. the previous commit's build/Release/bptt_native.node
 * copied aside), this build's native kernels run against that build's instead of wasm-relaxed.
 *
 * CPU time (process.cpuUsage) counts what this thread itself spent, so on a busy shared machine it
 * moves far less than wall-clock tokens/s; it does not show threading, only one core's efficiency.
 */
import { WORKLOADS } from '../../src/cli/bench.js';
import { loadCorpus } from '../../src/cli/corpus.js';
import { enableRelaxedSimd } from '../../src/cli/engine.js';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import {
  loadKernels,
  modelConfigOf,
  NativeKernels,
  RnnModel,
  workloadData,
  Trainer,
  trainOptionsOf,
  type DType,
  type Kernels,
  type NativeAddon,
} from '../../src/index.js';

enableRelaxedSimd();
const [names = 'seed,small,lstm,gru', steps = '20', rounds = '2', dtype = 'float32', otherPath] = process.argv.slice(2);
const other = otherPath ? (createRequire(import.meta.url)(resolve(otherPath)) as NativeAddon) : undefined;
if (other) other.setThreads(1);
// Each contender's kernels, built anew per run; the other build's name gets a mark.
const contenders: [string, () => Promise<Kernels>][] = [
  ['', () => loadKernels('native')],
  other ? [' (other build)', async () => NativeKernels.fromAddon(other)] : ['', () => loadKernels('wasm-relaxed')],
];
const corpus = loadCorpus('dinosaurs');
for (let round = 0; round < Number(rounds); round++) {
  for (const name of names.split(',')) {
    const results: string[] = [];
    const rates: number[] = [];
    for (const [mark, kernelsOf] of contenders) {
      const recipe = { ...WORKLOADS[name].recipe, dtype: dtype as DType };
      const data = workloadData(recipe, corpus.text, corpus.source);
      const model = RnnModel.initialized(modelConfigOf(recipe, data.vocabSize), recipe.seed, await kernelsOf());
      const trainer = new Trainer(model, data.train, [], { ...trainOptionsOf(recipe), epochs: undefined, timeBudgetSeconds: undefined, maxSteps: undefined });
      for (let i = 0; i < 3; i++) await trainer.trainStepAsync();
      let tokens = 0;
      const start = process.cpuUsage();
      for (let i = 0; i < Number(steps); i++) tokens += (await trainer.trainStepAsync()).tokens;
      const used = process.cpuUsage(start);
      rates.push(tokens / ((used.user + used.system) / 1e6));
      results.push(`${model.kernels.name}${mark} ${Math.round(rates[rates.length - 1]).toLocaleString('en-US')}`);
    }
    console.log(`round ${round + 1}, ${name}, ${dtype}: tokens per CPU-second, 1 thread: ${results.join('   ')}   ratio ${(rates[0] / rates[1]).toFixed(3)}`);
  }
}

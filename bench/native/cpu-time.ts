/**
 * Training speed in tokens per CPU-second, one thread: the native kernels against wasm-relaxed,
 * alternating in one process (docs/performance.md, "Native kernels: measured").
 *
 *   npx tsx bench/native/cpu-time.ts [workloads: seed,small,lstm,gru] [steps] [rounds] [float32|float64]
 *
 * CPU time (process.cpuUsage) counts what this thread itself spent, so on a busy shared machine it
 * moves far less than wall-clock tokens/s; it does not show threading, only one core's efficiency.
 */
import { WORKLOADS } from '../../src/cli/bench.js';
import { loadCorpus } from '../../src/cli/corpus.js';
import { enableRelaxedSimd } from '../../src/cli/engine.js';
import { loadKernels, modelConfigOf, RnnModel, workloadData, Trainer, trainOptionsOf, type DType } from '../../src/index.js';

enableRelaxedSimd();
const [names = 'seed,small,lstm,gru', steps = '20', rounds = '2', dtype = 'float32'] = process.argv.slice(2);
const corpus = loadCorpus('dinosaurs');
for (let round = 0; round < Number(rounds); round++) {
  for (const name of names.split(',')) {
    const results: string[] = [];
    for (const backend of ['native', 'wasm-relaxed'] as const) {
      const recipe = { ...WORKLOADS[name].recipe, dtype: dtype as DType };
      const data = workloadData(recipe, corpus.text, corpus.source);
      const model = RnnModel.initialized(modelConfigOf(recipe, data.vocabSize), recipe.seed, await loadKernels(backend));
      const trainer = new Trainer(model, data.train, [], { ...trainOptionsOf(recipe), epochs: undefined, timeBudgetSeconds: undefined, maxSteps: undefined });
      for (let i = 0; i < 3; i++) await trainer.trainStepAsync();
      let tokens = 0;
      const start = process.cpuUsage();
      for (let i = 0; i < Number(steps); i++) tokens += (await trainer.trainStepAsync()).tokens;
      const used = process.cpuUsage(start);
      results.push(`${model.kernels.name} ${Math.round(tokens / ((used.user + used.system) / 1e6)).toLocaleString('en-US')}`);
    }
    console.log(`round ${round + 1}, ${name}, ${dtype}: tokens per CPU-second, 1 thread: ${results.join('   ')}`);
  }
}

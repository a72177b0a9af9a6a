/**
 * A/B of two versions of the TypeScript around the kernels (model, cells, sweep, trainer, wasm
 * wrappers), in one process: a baseline checkout of another commit against this one, both on the
 * same build of the WebAssembly kernels, on a `bptt bench` workload, one thread.
 *
 *   git worktree add /tmp/baseline REV && ln -s "$PWD/node_modules" /tmp/baseline/node_modules
 *   npx tsx bench/model-ab.ts /tmp/baseline [preset: seed|small|lstm|gru] [seconds]
 *
 * As bench/kernels-ab.ts: the two models train side by side, one step each in turn, so that the
 * machine's other load slows both alike; it prints each one's tokens/s, their ratio and the median
 * of the per-step ratios.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKLOADS } from '../src/cli/bench.js';
import { loadCorpus } from '../src/cli/corpus.js';
import { enableRelaxedSimd } from '../src/cli/engine.js';
import * as current from '../src/index.js';
import { WasmKernels } from '../src/kernels/wasm/wasm-kernels.js';

enableRelaxedSimd();
const [baselineDir, preset = 'small', secondsText = '8'] = process.argv.slice(2);
const workload = WORKLOADS[preset];
if (!baselineDir || !workload) {
  console.error(`usage: npx tsx bench/model-ab.ts BASELINE_CHECKOUT [${Object.keys(WORKLOADS).join('|')}] [seconds]`);
  process.exit(2);
}
const baseline = (await import(pathToFileURL(join(baselineDir, 'src', 'index.ts')).href)) as typeof current;
const baselineWasm = (await import(pathToFileURL(join(baselineDir, 'src', 'kernels', 'wasm', 'wasm-kernels.ts')).href)) as { WasmKernels: typeof WasmKernels };

const { recipe } = workload;
const corpus = loadCorpus('dinosaurs');
const data = current.prepareData(corpus.text, recipe, corpus.source);
const options = { ...current.trainOptionsOf(recipe), epochs: undefined, timeBudgetSeconds: undefined, maxSteps: undefined };
const config = current.modelConfigOf(recipe, data.tokenizer.size);
const trainers = [
  new baseline.Trainer(baseline.RnnModel.initialized(config, recipe.seed, await baselineWasm.WasmKernels.create('relaxed')), data.train, [], options),
  new current.Trainer(current.RnnModel.initialized(config, recipe.seed, await WasmKernels.create('relaxed')), data.train, [], options),
];
const runs = trainers.map((trainer) => ({ trainer, milliseconds: 0, tokens: 0 }));
for (let i = 0; i < 3; i++) for (const run of runs) await run.trainer.trainStepAsync(); // compiled and warm

const stepRatios: number[] = [];
const started = performance.now();
while (performance.now() - started < Number(secondsText) * 1000 || stepRatios.length < 5) {
  const times = [0, 0];
  // Which one goes first alternates, so that neither always inherits the other's garbage or cache state.
  const order = stepRatios.length % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) {
    const t = performance.now();
    runs[i].tokens += (await runs[i].trainer.trainStepAsync()).tokens;
    times[i] = performance.now() - t;
    runs[i].milliseconds += times[i];
  }
  stepRatios.push(times[0] / times[1]);
}
const [old, now] = runs.map((run) => (run.tokens / run.milliseconds) * 1000);
stepRatios.sort((a, b) => a - b);
console.log(`${preset}, wasm-relaxed, 1 thread: baseline ${old.toFixed(0)} tokens/s, current ${now.toFixed(0)} tokens/s`);
console.log(
  `current / baseline = ${(now / old).toFixed(3)}; median per-step ratio ${stepRatios[stepRatios.length >> 1].toFixed(3)} over ${stepRatios.length} pairs`,
);

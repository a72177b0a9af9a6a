/**
 * A/B of two builds of the WebAssembly kernels, in one process: a baseline (another commit's
 * generated module) against the current one, on a `bptt bench` workload, one thread.
 *
 *   git show REV:src/kernels/wasm/generated/relaxed.ts > /tmp/baseline.ts
 *   npx tsx bench/kernels-ab.ts /tmp/baseline.ts [preset: seed|small|lstm|gru] [seconds]
 *
 * Two identical models (same seed, same batches) train side by side, one step each in turn, so
 * that whatever else the machine is doing slows both alike: on this shared machine separate runs
 * of the same code differ by up to 20%, while the ratio here repeats within about 1%. It prints
 * each build's tokens/s, their ratio, and the median of the per-step ratios. (Alternating steps
 * leaves each model's caches cold for the other: absolute numbers are lower than `bptt bench`'s.)
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { WORKLOADS } from '../src/cli/bench.js';
import { loadCorpus } from '../src/cli/corpus.js';
import { enableRelaxedSimd } from '../src/cli/engine.js';
import { WasmKernels, type WasmVariant } from '../src/kernels/wasm/wasm-kernels.js';
import { modelConfigOf, prepareData, RnnModel, Trainer, trainOptionsOf } from '../src/index.js';

enableRelaxedSimd();
const [baselinePath, preset = 'small', secondsText = '8'] = process.argv.slice(2);
const workload = WORKLOADS[preset];
if (!baselinePath || !workload) {
  console.error(`usage: npx tsx bench/kernels-ab.ts BASELINE.ts [${Object.keys(WORKLOADS).join('|')}] [seconds]`);
  process.exit(2);
}
// The generated file names its variant in its first line: "(relaxed: --enable simd ...)".
const variant = (/\((scalar|simd|relaxed):/.exec(readFileSync(baselinePath, 'utf8'))?.[1] ?? 'relaxed') as WasmVariant;
const { bytesBase64 } = (await import(pathToFileURL(baselinePath).href)) as { bytesBase64: string };
const baseline = await WasmKernels.fromBytes(
  variant,
  Uint8Array.from(atob(bytesBase64), (c) => c.charCodeAt(0)),
);
const current = await WasmKernels.create(variant);

const { recipe } = workload;
const corpus = loadCorpus('dinosaurs');
const data = prepareData(corpus.text, recipe, corpus.source);
const trainerOf = (kernels: WasmKernels) =>
  new Trainer(RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed, kernels), data.train, [], {
    ...trainOptionsOf(recipe),
    epochs: undefined,
    timeBudgetSeconds: undefined,
    maxSteps: undefined,
  });
const runs = [trainerOf(baseline), trainerOf(current)].map((trainer) => ({ trainer, milliseconds: 0, tokens: 0 }));
for (let i = 0; i < 3; i++) for (const run of runs) await run.trainer.trainStepAsync(); // compiled and warm

const stepRatios: number[] = [];
const started = performance.now();
while (performance.now() - started < Number(secondsText) * 1000 || stepRatios.length < 5) {
  const times = [];
  for (const run of runs) {
    const t = performance.now();
    run.tokens += (await run.trainer.trainStepAsync()).tokens;
    times.push(performance.now() - t);
    run.milliseconds += times[times.length - 1];
  }
  stepRatios.push(times[0] / times[1]);
}
const [old, now] = runs.map((run) => (run.tokens / run.milliseconds) * 1000);
stepRatios.sort((a, b) => a - b);
console.log(`${preset}, wasm-${variant}, 1 thread: baseline ${old.toFixed(0)} tokens/s, current ${now.toFixed(0)} tokens/s`);
console.log(
  `current / baseline = ${(now / old).toFixed(3)}; median per-step ratio ${stepRatios[stepRatios.length >> 1].toFixed(3)} over ${stepRatios.length} pairs`,
);

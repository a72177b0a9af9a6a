/**
 * The browser benchmark, in a Web Worker: the same library, kernels and
 * workloads as `bptt bench` in Node, measured on one thread.
 */
import { benchmarkTraining, loadKernels, prepareData, type Backend, type Recipe } from '../../src/index.js';
import dinosaurs from '../../node_modules/dinosaurs/dinosaurs.csv';

interface Request {
  workload: string;
  recipe: Recipe;
  backends: Backend[];
  seconds: number;
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const { workload, recipe, backends, seconds } = event.data;
  const text = [...new Set((dinosaurs as string).split('\n').filter(Boolean))].join('\n') + '\n';
  const data = prepareData(text, recipe, 'dinosaurs');
  const results = [];
  for (const backend of backends) {
    const kernels = await loadKernels(backend);
    const result = await benchmarkTraining(kernels, recipe, data.train, data.tokenizer.size, seconds);
    results.push({ workload, backend: result.backend, threads: 1, tokens_per_s: Math.round(result.tokensPerSecond), steps: result.steps });
  }
  self.postMessage(results);
};

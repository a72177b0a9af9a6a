/**
 * Before training: a run whose memory (train/memory.ts's estimate) exceeds what its kernels can
 * hold is refused with one line naming the flags that lower its largest part.
 */
import { totalmem } from 'node:os';
import { BpttError } from '../core/errors.js';
import { TokenStreams } from '../data/stream.js';
import type { Kernels } from '../kernels/kernels.js';
import { NativeKernels, NATIVE_HEAP_BYTES } from '../kernels/native/native-kernels.js';
import { WasmKernels, WASM_HEAP_BYTES } from '../kernels/wasm/wasm-kernels.js';
import type { ModelConfig } from '../model/config.js';
import { runShapeOf, trainingMemory } from '../train/memory.js';
import type { Recipe } from '../train/recipe.js';
import type { TrainingData } from './train-data.js';

export function checkMemory(recipe: Recipe, data: TrainingData, config: ModelConfig, kernels: Kernels, threads: number): void {
  const shape = runShapeOf(recipe, data.train, data.validation, threads);
  const estimate = trainingMemory(config, shape);
  // The WebAssembly and native kernels keep every array in one WebAssembly memory: at most 1 GiB for the
  // WebAssembly kernels (WASM_HEAP_BYTES), 4 GiB for the native ones (NATIVE_HEAP_BYTES).
  const heap = kernels instanceof WasmKernels ? WASM_HEAP_BYTES : kernels instanceof NativeKernels ? NATIVE_HEAP_BYTES : undefined;
  const wasm = heap !== undefined;
  const limit = heap ?? totalmem();
  if (estimate.bytes <= limit) return;
  // The flags that shrink the largest part; a big vocabulary (word tokens) weighs on the weights and the probabilities.
  const largest = Math.max(estimate.weights, estimate.activations, estimate.threads);
  const vocabulary =
    config.vocabSize > 4 * config.hidden
      ? [`the vocabulary (${config.vocabSize} tokens${recipe.tokens === 'word' ? ': raise --min-count or lower --max-vocab' : ''})`]
      : [];
  const length = data.train instanceof TokenStreams || recipe.mode === 'chunks' ? '--seq-length' : `the longest lines (${shape.steps} steps)`;
  const flags =
    largest === estimate.weights
      ? ['--hidden', '--embed', '--layers', ...vocabulary]
      : largest === estimate.activations
        ? ['--hidden', '--batch', length, ...vocabulary]
        : ['--threads'];
  const lower = flags.length > 1 ? `${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}` : flags[0];
  const what = wasm
    ? `the ${kernels.name} kernels' heap of ${gib(limit)} (the limit of their memory, not of this machine; --backend reference runs in ordinary memory, slower)`
    : `this machine's ${gib(limit)} of memory`;
  throw new BpttError(
    `this run needs about ${gib(estimate.bytes)} (weights, gradients and optimizer state ${gib(estimate.weights)}, activations ${gib(estimate.activations)}, thread replicas ${gib(estimate.threads)}), more than ${what}`,
    `lower ${lower}`,
  );
}

const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

/**
 * The library in two functions: `train(texts, options)` → a Model, and
 * `loadModel(file)` → the same Model again. Both compute on the fastest
 * kernels this engine runs (WebAssembly SIMD where it can), loaded once per model.
 */
import type { Kernels } from '../kernels/kernels.js';
import { loadKernels, type Backend } from '../kernels/select.js';
import { fit, type FitOptions } from '../train/fit.js';
import { streamReadingOf } from '../train/recipe.js';
import { readModel } from './load.js';
import { Model } from './model.js';
import type { ModelSource } from './source.js';

/**
 * Trains a model on `texts`: a list of lines (names, words), or one string (a list of lines, or
 * running text, which trains as a stream). The options are `bptt train`'s flags in camelCase
 * (`{ time: 10, cell: 'gru', hidden: 256 }`), with the same defaults; the weights of the epoch with
 * the best validation loss are the ones kept.
 *
 * @example
 * const model = await train(names, { time: 10 });
 * model.sample({ count: 5, temperature: 0.8, novel: true });
 */
export async function train(texts: string | readonly string[], options: FitOptions = {}): Promise<Model> {
  const result = await fit(texts, options);
  const { step, epoch, elapsedSeconds } = result.position;
  const training = { validationLoss: result.validationLoss, steps: step, epochs: epoch, seconds: elapsedSeconds, stoppedEarly: result.stoppedEarly };
  return new Model(result.model, result.tokenizer, { trainingLines: result.lines, training, stream: streamReadingOf(result.recipe), data: result.data });
}

/** Where `loadModel` computes. */
export interface LoadOptions {
  /** The kernels to compute with (default: `loadKernels(backend)`). */
  kernels?: Kernels;
  /** Which kernels to load when `kernels` is not given (default 'auto': the fastest available). */
  backend?: Backend;
}

/** Reads a model file (`Model.toBytes()`, or `bptt train`'s output): its bytes, a URL, or a path in Node. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  return readModel(source, options.kernels ?? (await loadKernels(options.backend ?? 'auto')));
}

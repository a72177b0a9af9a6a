/**
 * bptt/inference: load a model file, sample and score, and nothing else; a small
 * bundle for a web page. It computes with the pure-TypeScript kernels unless given
 * others: sampling a name takes a few milliseconds, and the page needs no WebAssembly.
 */
import type { Kernels } from './kernels/kernels.js';
import { referenceKernels } from './kernels/reference.js';
import { readModel } from './api/load.js';
import type { Model } from './api/model.js';
import type { ModelSource } from './api/source.js';

export { Model, type ModelDetails, type SampleOptions, type Score, type TrainingSummary } from './api/model.js';
export type { ModelSource } from './api/source.js';
export type { StreamReading, TrainingDataRecord } from './io/model-file.js';
export { BpttError } from './core/errors.js';

/** Reads a model file (bytes, a URL, or a path in Node); `kernels` defaults to the pure-TypeScript ones. */
export async function loadModel(source: ModelSource, options: { kernels?: Kernels } = {}): Promise<Model> {
  return readModel(source, options.kernels ?? referenceKernels);
}

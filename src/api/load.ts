/** A model file (bytes, URL or path) → a Model on the given kernels. */
import { decodeModelFile } from '../io/model-file.js';
import type { Kernels } from '../kernels/kernels.js';
import { Model } from './model.js';
import { readModelSource, type ModelSource } from './source.js';

export async function readModel(source: ModelSource, kernels: Kernels): Promise<Model> {
  const { bytes, name } = await readModelSource(source);
  const { model, tokenizer, metadata } = decodeModelFile(bytes, name, kernels);
  return new Model(model, tokenizer, { stream: metadata.stream, data: metadata.data });
}

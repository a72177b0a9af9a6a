/**
 * Measuring training throughput: real (unmasked) tokens per second of full
 * training steps (forward, BPTT, clipping, Adagrad) on a given kernel
 * backend. Used by `bptt bench`; ratios between backends measured in the
 * same process are what to compare, since machines are shared and noisy.
 */
import type { Sequence } from '../data/sequences.js';
import type { TokenStreams } from '../data/stream.js';
import type { Kernels } from '../kernels/kernels.js';
import { kernelThreads } from '../kernels/native/native-kernels.js';
import { gatesPerUnit, type ModelConfig } from '../model/config.js';
import { RnnModel } from '../model/rnn-model.js';
import { DEFAULT_RECIPE, modelConfigOf, NOTEBOOK_PRESET, prepareData, prepareStreams, TEXT_RECIPE, trainOptionsOf, type Recipe } from './recipe.js';
import type { DataParallel } from './data-parallel.js';
import { Trainer } from './trainer.js';

/**
 * Floating-point operations of one training step per real token, counting the matrix products
 * (2 per multiply-add): forward, γ back and the weight gradient, 3 products each, for the
 * recurrent weights (G gates × H × H), a dense input (G·H × d; one-hot input is a gather) and
 * the output layer (V × H). The elementwise work is left out: it is O(H), the products O(H²).
 */
export function trainingFlopsPerToken(config: ModelConfig): number {
  const { hidden: H, vocabSize: V, embed, layers } = config;
  const units = gatesPerUnit(config.cell) * H;
  let flops = 6 * V * H;
  for (let layer = 0; layer < layers; layer++) {
    const input = layer > 0 ? H : embed;
    flops += 6 * units * (H + input);
  }
  return flops;
}

/** What benchmarkTraining measured. */
export interface BenchmarkResult {
  backend: string;
  tokensPerSecond: number;
  steps: number;
  tokens: number;
  seconds: number;
}

/**
 * Trains `recipe` on `data` (sequences, or a text's streams in mode stream) for about `seconds`
 * (after `warmupSteps`) and reports tokens/s. `startParallel` spreads the steps over threads.
 */
export async function benchmarkTraining(
  kernels: Kernels,
  recipe: Recipe,
  data: readonly Sequence[] | TokenStreams,
  vocabSize: number,
  seconds: number,
  startParallel?: (model: RnnModel) => Promise<DataParallel | undefined>,
  { warmupSteps = 2, minSteps = 3 }: { warmupSteps?: number; minSteps?: number } = {},
): Promise<BenchmarkResult & { threads: number }> {
  const model = RnnModel.initialized(modelConfigOf(recipe, vocabSize), recipe.seed, kernels);
  const parallel = await startParallel?.(model);
  const trainer = new Trainer(
    model,
    data,
    [],
    { ...trainOptionsOf(recipe), epochs: undefined, timeBudgetSeconds: undefined, maxSteps: undefined },
    { parallel },
  );
  for (let i = 0; i < warmupSteps; i++) await trainer.trainStepAsync();
  let tokens = 0;
  let steps = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000 || steps < minSteps) {
    tokens += (await trainer.trainStepAsync()).tokens;
    steps++;
    elapsed = performance.now() - started;
  }
  parallel?.close();
  return {
    backend: kernels.name,
    threads: parallel?.threads ?? kernelThreads(kernels),
    tokensPerSecond: tokens / (elapsed / 1000),
    steps,
    tokens,
    seconds: elapsed / 1000,
  };
}

/**
 * The small workloads' shape, fixed here rather than taken from the defaults (which may change): the
 * peers in bench/peers run exactly this, one layer, no dropout, Adagrad 0.1.
 */
const SMALL_SHAPE: Recipe = {
  ...DEFAULT_RECIPE,
  layers: 1,
  hidden: 128,
  embed: 0,
  dropout: 0,
  batchSize: 32,
  learningRate: 0.1,
  clip: 5,
  validationFraction: 0,
  patience: undefined,
};

/**
 * The long-text shape of issue 15 (TEXT_RECIPE's as it was chosen, fixed here like SMALL_SHAPE): an LSTM
 * of 256 over an embedding of 64, 32 streams × windows of 64 in mode stream, dropout 0.4, Adagrad 0.04.
 * bench/peers/torch_stream.py trains the same with nn.LSTM.
 */
const TEXT_SHAPE: Recipe = {
  ...TEXT_RECIPE,
  cell: 'lstm',
  layers: 1,
  hidden: 256,
  embed: 64,
  batchSize: 32,
  seqLength: 64,
  dropout: 0.4,
  learningRate: 0.04,
  clip: 5,
  validationFraction: 0,
  patience: undefined,
};

export const WORKLOADS: Record<string, { describe: string; recipe: Recipe }> = {
  seed: {
    describe: 'the seed: sigmoid RNN, D_h 256, V 27, batches of 512 chunks of 15 steps, one-hot, Adagrad, float32',
    recipe: { ...NOTEBOOK_PRESET, dtype: 'float32' },
  },
  small: {
    describe: 'small: tanh RNN, D_h 128, batches of 32 names, one-hot, Adagrad, float32',
    recipe: { ...SMALL_SHAPE, cell: 'rnn', activation: 'tanh' },
  },
  lstm: {
    describe: 'lstm: LSTM, D_h 128, batches of 32 names, one-hot, Adagrad, float32',
    recipe: { ...SMALL_SHAPE, cell: 'lstm' },
  },
  gru: {
    describe: 'gru: GRU, D_h 128, batches of 32 names, one-hot, Adagrad, float32',
    recipe: { ...SMALL_SHAPE, cell: 'gru' },
  },
  text: {
    describe: 'text: LSTM, D_h 256, embedding 64, dropout 0.4, mode stream (32 streams × windows of 64), Adagrad, float32',
    recipe: TEXT_SHAPE,
  },
};

/** A workload's training data from a text: its sequences, or in mode stream the text's streams (the speed depends on the shapes, not the text). */
export function workloadData(recipe: Recipe, text: string, source: string): { train: readonly Sequence[] | TokenStreams; vocabSize: number } {
  const data = recipe.mode === 'stream' ? prepareStreams(text, recipe, source) : prepareData(text, recipe, source);
  return { train: data.train, vocabSize: data.tokenizer.size };
}

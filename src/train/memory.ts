/**
 * The memory a training run needs, computed from its shapes before anything is allocated, so that a
 * run too big for its kernels' memory is refused with one line instead of failing an hour in (or at the
 * first step, with a RangeError from WebAssembly.Memory.grow). Any backend can compare the total with
 * its own limit: the WebAssembly kernels with their heap (`WASM_HEAP_BYTES`), the TypeScript ones
 * (float64) with the machine's memory.
 *
 * What is counted, in elements of the run's float type (the model's Workspace, src/model/rnn-model.ts):
 * - weights: parameters, gradients and the optimizer's state arrays (Adagrad 1, Adam 2, …), P each;
 * - per thread: its gradient copy (replicas), the packed recurrent weights (2 · G·H × H per layer),
 *   and the activations of its share of the batch: per position and layer h, h(t−1), dz (H each),
 *   the gates and their gradients (G·H each), the LSTM's c, the GRU's three G·H buffers, the input
 *   (d) and its gradient, dropout masks; the top layer's probabilities (V);
 * - the validation pass, forward only, in batches of `evaluationRows` rows on the main thread;
 * - the growth of the workspace: a buffer that must grow is re-allocated at 1.5× and the WebAssembly
 *   heap never reuses the old one, so up to 3× the final size is counted (1 + 2/3 + 4/9 + …).
 */
import type { Sequence } from '../data/sequences.js';
import { TokenStreams } from '../data/stream.js';
import { gatesPerUnit, statesPerUnit, type ModelConfig } from '../model/config.js';
import { parameterSpecs } from '../model/rnn-model.js';
import { createOptimizer } from '../optim/create-optimizer.js';
import { trainOptionsOf, type Recipe } from './recipe.js';

/** What a run's memory depends on besides the model: batch, steps, threads, optimizer arrays, evaluation. */
export interface RunShape {
  /** Rows per batch (streams in mode stream). */
  batchSize: number;
  /** Most time steps of a row: the longest line + 1 (mode lines), T (chunks, stream). */
  steps: number;
  /** Total positions of the worst batch, when known exactly (≤ batchSize × steps). */
  positions?: number;
  /** Threads sharing each batch. */
  threads: number;
  /** The optimizer's state arrays (Object.keys(optimizer.state).length). */
  optimizerArrays: number;
  /** Rows of the validation pass (0: none) and its positions. */
  evaluationRows: number;
  evaluationPositions: number;
  /** Dropout on (masks are kept). */
  dropout: boolean;
}

/** The bytes a run needs, in total and by part (weights and optimizer state, activations, thread replicas). */
export interface MemoryEstimate {
  bytes: number;
  /** The three parts and the flags that make each smaller, for the message. */
  weights: number;
  activations: number;
  threads: number;
}

/** Elements of one layer's workspace for `P` positions of `B` rows (see Workspace.shape). */
function layerWorkspace(config: ModelConfig, layer: number, P: number, B: number, dropout: boolean): number {
  const { hidden: H, vocabSize: V, embed: d, layers: L, cell } = config;
  const units = gatesPerUnit(cell) * H;
  const top = layer === L - 1;
  const input = layer === 0 ? d : 0;
  let perPosition = 3 * H + 2 * input + (top ? V : 0); // h, h(t−1), dz; x, dx; probabilities
  if (cell !== 'rnn') perPosition += 2 * units; // gates, their gradients
  if (cell === 'lstm') perPosition += 2 * H; // c, c(t−1) at resets
  if (cell === 'gru') perPosition += H + 2 * units; // q_n, dInput, the input part
  if (dropout) perPosition += 2 * H; // mask and masked values, between layers or before the output
  const perRow = 2 * H + (cell === 'lstm' ? 2 * H : 0) + 2 * L * statesPerUnit(cell) * H; // h0 rows, γ, κ, initial and final state
  return P * perPosition + B * perRow;
}

/** Elements allocated once whatever the batch: each layer's packed Wh, twice (forward and backward). */
function packedWeights(config: ModelConfig): number {
  return 2 * config.layers * gatesPerUnit(config.cell) * config.hidden * config.hidden;
}

/** Elements of all layers' workspaces. */
function workspace(config: ModelConfig, P: number, B: number, dropout: boolean): number {
  let total = 0;
  for (let layer = 0; layer < config.layers; layer++) total += layerWorkspace(config, layer, P, B, dropout);
  return total;
}

/** Parameters of a model: the flat table's size (src/model/rnn-model.ts lays it out). */
export function parameterCount(config: ModelConfig): number {
  return parameterSpecs(config).reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
}

/** Bytes a training run of `config` with `run`'s shape needs (an upper estimate). */
export function trainingMemory(config: ModelConfig, run: RunShape): MemoryEstimate {
  const bytesPer = config.dtype === 'float64' ? 8 : 4;
  const P = parameterCount(config);
  const positions = Math.min(run.positions ?? Infinity, run.batchSize * run.steps);
  const threads = Math.max(1, Math.min(run.threads, run.batchSize));
  const rowsPerThread = Math.ceil(run.batchSize / threads);
  const GROWTH = 3;
  // The rows are split evenly; a thread's rows may be the longest ones.
  const trainShare = workspace(config, Math.min(positions, rowsPerThread * run.steps), rowsPerThread, run.dropout);
  const evaluation = run.evaluationRows > 0 ? workspace(config, run.evaluationPositions, run.evaluationRows, false) : 0;
  const weights = (2 + run.optimizerArrays) * P;
  const activations = GROWTH * (Math.max(trainShare, evaluation) + (threads - 1) * trainShare) + threads * packedWeights(config);
  const replicas = (threads - 1) * P;
  return {
    bytes: bytesPer * (weights + activations + replicas),
    weights: bytesPer * weights,
    activations: bytesPer * activations,
    threads: bytesPer * replicas,
  };
}

/** The optimizer's state arrays a recipe trains with (Adagrad 1, Adam 2, …): RunShape.optimizerArrays. */
export function optimizerArrays(recipe: Recipe): number {
  return Object.keys(createOptimizer(trainOptionsOf(recipe).optimizer ?? { name: 'adagrad' }, 1, 'float32').state).length;
}

/** The sum of the `rows` longest sequences' lengths: the positions of the worst batch of that many rows. */
function longest(sequences: readonly Sequence[], rows: number): number {
  return sequences
    .map((s) => s.input.length)
    .sort((a, b) => b - a)
    .slice(0, rows)
    .reduce((sum, n) => sum + n, 0);
}

/** The shape of a run of `recipe` on its data with `threads` threads, as trainingMemory counts it. */
export function runShapeOf(
  recipe: Recipe,
  train: readonly Sequence[] | TokenStreams,
  validation: readonly Sequence[] | TokenStreams,
  threads: number,
): RunShape {
  const streams = train instanceof TokenStreams;
  const batchSize = recipe.batchSize;
  // (A loop, not Math.max(...lengths): a text in mode chunks can make millions of sequences.)
  const steps = streams ? recipe.seqLength : (train as readonly Sequence[]).reduce((most, s) => Math.max(most, s.input.length), 1);
  const positions = streams ? batchSize * recipe.seqLength : longest(train as readonly Sequence[], batchSize);
  const evaluationRows = validation instanceof TokenStreams ? validation.streams : Math.min(256, validation.length);
  const evaluationPositions = validation instanceof TokenStreams ? validation.streams * recipe.seqLength : longest(validation, evaluationRows);
  return {
    batchSize,
    steps,
    positions,
    threads,
    optimizerArrays: optimizerArrays(recipe),
    evaluationRows,
    evaluationPositions,
    dropout: (recipe.dropout ?? 0) > 0,
  };
}

/**
 * Data-parallel gradients: a minibatch's rows are split between this thread
 * and replicas of the model on other threads. Every replica reads the same
 * parameters (shared WebAssembly memory), runs forward and BPTT on its rows
 * into its own gradient array, and the gradients are summed here. Rows are
 * independent sequences, so the sum is the whole batch's gradient (up to the
 * order of float additions); clipping of parameter gradients is applied to
 * the sum, exactly as for one thread.
 *
 * This module knows nothing of how threads are made: a `ReplicaChannel` is
 * anything that can run `replicaStep` elsewhere (a Node worker thread in the
 * CLI, a Web Worker in a browser) and answer with its result.
 */
import type { FloatArray } from '../core/arrays.js';
import { sliceBatch, type Batch } from '../core/batch.js';
import type { ModelConfig } from '../model/config.js';
import { parameterSpecs, RnnModel, setStateRows, stateRows } from '../model/rnn-model.js';
import { allocate } from '../core/arrays.js';
import { ParameterLayout } from '../core/parameters.js';
import type { WasmKernels, WasmVariant } from '../kernels/wasm/wasm-kernels.js';

/** What a replica needs to start: the shared memory, the model's shape and where its parameters are. */
export interface ReplicaInit {
  memory: WebAssembly.Memory;
  variant: WasmVariant;
  config: ModelConfig;
  paramsAddress: number;
}

/** What the main thread asks a replica to compute: the gradients of its rows of a batch. */
export interface ReplicaStepRequest {
  batch: Batch;
  scale: number;
  clip: number;
  /** Seeds the dropout masks (see RnnModel.forward); each replica gets its own. */
  dropoutSeed?: number;
  /** The initial state of the replica's rows (stream mode's carried state); zeros without it. */
  h0?: FloatArray;
  /** Whether to send back the state the rows ended in (stream mode carries it; otherwise it is not copied). */
  wantFinalState?: boolean;
}

/** A replica's answer: its loss, its clipping count and where its gradients are. */
export interface ReplicaStepResult {
  lossSum: number;
  clipped: number;
  /** Where the replica's gradients are (same layout as the parameters). */
  gradsAddress: number;
  /** The state its rows ended in (a copy; see RnnModel.finalState), if the request asked for it. */
  finalState?: FloatArray;
}

/** A replica on another thread. */
export interface ReplicaChannel {
  /** Computes a replica's share of a step. */
  step(request: ReplicaStepRequest): Promise<ReplicaStepResult>;
  /** Ends the replica's thread. */
  close(): void;
}

/** Runs on the replica's thread: a model whose parameters are the main model's. */
export class Replica {
  private constructor(private readonly model: RnnModel) {}

  /** A replica on this thread, on the main model's shared memory. */
  static async create(init: ReplicaInit, createKernels: (variant: WasmVariant, memory: WebAssembly.Memory) => Promise<WasmKernels>): Promise<Replica> {
    const kernels = await createKernels(init.variant, init.memory);
    const shared = kernels.view(init.config.dtype, init.paramsAddress, new ParameterLayout(parameterSpecs(init.config)).size);
    return new Replica(new RnnModel(init.config, kernels, shared));
  }

  /** Forward and backward over the request's rows; the gradients stay in the shared memory. */
  step(request: ReplicaStepRequest): ReplicaStepResult {
    const lossSum = this.model.forward(request.batch, request.h0, request.dropoutSeed);
    const finalState = request.wantFinalState ? this.model.finalState().slice() : undefined;
    const clipped = this.model.backward({ scale: request.scale, clip: request.clip, clipParameterGradients: false });
    return { lossSum, clipped, gradsAddress: this.model.grads.byteOffset, finalState };
  }
}

/** Splits a batch's rows so each part holds about the same number of real tokens (rows are sorted longest first). */
export function splitRows(batch: Batch, parts: number): number[] {
  const lengths = Array.from({ length: batch.rows }, () => 0);
  for (let t = 0; t < batch.steps; t++) for (let r = 0; r < batch.activeRows[t]; r++) lengths[r]++;
  const bounds = [0];
  let seen = 0;
  for (let r = 0; r < batch.rows && bounds.length < parts; r++) {
    seen += lengths[r];
    if (seen >= (batch.tokens * bounds.length) / parts) bounds.push(r + 1);
  }
  while (bounds.length < parts) bounds.push(batch.rows);
  bounds.push(batch.rows);
  return bounds;
}

/** Spreads each batch over threads: rows split by tokens, each replica computes its gradients on the same shared weights, the main thread sums them. */
export class DataParallel {
  constructor(
    private readonly model: RnnModel,
    private readonly kernels: WasmKernels,
    private readonly replicas: readonly ReplicaChannel[],
  ) {}

  get threads(): number {
    return this.replicas.length + 1;
  }

  /**
   * Forward and backward of the whole batch over all threads; leaves the summed, clipped gradients in model.grads.
   * `h0` (B×stateSize) starts each row from a given state (stream mode); with `wantFinalState` the rows' final
   * states are returned, in the same layout (copying them costs a transfer per step, so only stream mode asks).
   */
  async computeGradients(batch: Batch, scale: number, clip: number, dropoutSeed?: number, h0?: FloatArray, wantFinalState = false): Promise<{ lossSum: number; clipped: number; finalState?: FloatArray }> {
    const bounds = splitRows(batch, this.threads);
    const hidden = this.model.config.hidden;
    const seedFor = (part: number) => (dropoutSeed === undefined ? undefined : (dropoutSeed + part * 0x632be5ab) >>> 0);
    const initialFor = (from: number, to: number) => (h0 ? stateRows(h0, batch.rows, hidden, from, to) : undefined);
    const pending = this.replicas.map((replica, i) =>
      replica.step({ batch: sliceBatch(batch, bounds[i + 1], bounds[i + 2]), scale, clip, dropoutSeed: seedFor(i + 1), h0: initialFor(bounds[i + 1], bounds[i + 2]), wantFinalState }),
    );
    const own = sliceBatch(batch, bounds[0], bounds[1]);
    let lossSum = this.model.forward(own, initialFor(bounds[0], bounds[1]), seedFor(0));
    const finalState = wantFinalState ? allocate(this.model.config.dtype, batch.rows * this.model.stateSize) : undefined;
    if (finalState) setStateRows(finalState, batch.rows, hidden, bounds[0], this.model.finalState());
    let clipped = this.model.backward({ scale, clip, clipParameterGradients: false });
    const size = this.model.grads.length;
    const results = await Promise.all(pending);
    results.forEach((result, i) => {
      lossSum += result.lossSum;
      clipped += result.clipped;
      const grads: FloatArray = this.kernels.view(this.model.config.dtype, result.gradsAddress, size);
      this.kernels.add(this.model.grads, grads, size);
      if (finalState) setStateRows(finalState, batch.rows, hidden, bounds[i + 1], result.finalState!);
    });
    if (clip !== Infinity) clipped += this.kernels.clip(this.model.grads, size, clip);
    return { lossSum, clipped, finalState };
  }

  /** Ends the replicas' threads. */
  close(): void {
    for (const replica of this.replicas) replica.close();
  }
}

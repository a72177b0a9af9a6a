/**
 * Data-parallel gradients: a minibatch's rows are split between this thread
 * and replicas of the model on other threads. Every replica reads the same
 * parameters (a shared WebAssembly.Memory: the WebAssembly kernels' own, or the
 * one the native kernels allocate from), runs forward and BPTT on its rows
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
import { parameterSpecs } from '../model/parameter-specs.js';
import { RnnModel } from '../model/rnn-model.js';
import { setStateRows, stateRows } from '../model/state-layout.js';
import { allocate } from '../core/arrays.js';
import { ParameterLayout } from '../core/parameters.js';
import type { DType } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import type { WasmVariant } from '../kernels/wasm/wasm-kernels.js';

/** Kernels whose arrays live in a memory other threads can share (WasmKernels, NativeKernels). */
export interface SharedMemoryKernels extends Kernels {
  readonly memory: WebAssembly.Memory;
  /** The values at an address of the shared memory (another thread's array). */
  view(dtype: DType, address: number, length: number): FloatArray;
}

/** What a replica needs to start: the shared memory, the model's shape and where its parameters are. */
export interface ReplicaInit {
  memory: WebAssembly.Memory;
  /** Which kernels: a WebAssembly variant, or `native-<isa>` (a NativeKernels' name). */
  variant: WasmVariant | `native-${string}`;
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

/** A replica on another thread: `post` sends it its share of a step, then `answer` (or `answerWithin`) collects the result. */
export interface ReplicaChannel {
  /** Sends the replica its share of a step; it computes while this thread computes its own. */
  post(request: ReplicaStepRequest): void;
  /** The answer to the last request, awaited without blocking this thread. */
  answer(): Promise<ReplicaStepResult>;
  /**
   * The answer to the last request if it comes within `milliseconds`, waited for synchronously
   * (no hop through the event loop), else undefined (then `answer` collects it). Leave it out where
   * a thread must not block (a browser's main thread).
   */
  answerWithin?(milliseconds: number): ReplicaStepResult | undefined;
  /** Ends the replica's thread. */
  close(): void;
}

/**
 * How long this thread blocks for a replica's answer after its own share before it waits through the
 * event loop instead (which takes 0.1–1.5 ms more here). The shares end close together; the limit only
 * keeps the event loop (progress, Ctrl-C) from stalling when a replica is much slower or has stopped.
 */
const SYNCHRONOUS_WAIT_MILLISECONDS = 20;

/** Runs on the replica's thread: a model whose parameters are the main model's. */
export class Replica {
  private constructor(private readonly model: RnnModel) {}

  /** A replica on this thread, on the main model's shared memory. */
  static async create(
    init: ReplicaInit,
    createKernels: (variant: ReplicaInit['variant'], memory: WebAssembly.Memory) => Promise<SharedMemoryKernels>,
  ): Promise<Replica> {
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

/** What one gradient computation is asked: the loss scale 1/N, the elementwise clip, and the stream mode's state. */
export interface GradientRequest {
  scale: number;
  clip: number;
  /** Seeds the dropout masks (RnnModel.forward); each thread's part gets its own. */
  dropoutSeed?: number;
  /** (B×stateSize) the state each row starts from (stream mode); zeros without it. */
  h0?: FloatArray;
  /** Return the state the rows ended in, same layout (copying it costs a transfer per step, so only stream mode asks). */
  wantFinalState?: boolean;
}

/** What one gradient computation returns: the summed loss, the clipped entries, and (stream mode) the final state. */
export interface GradientResult {
  lossSum: number;
  clipped: number;
  finalState?: FloatArray;
}

/** Where a replica's gradients are read from: the shared WebAssembly memory (WasmKernels.view). */
export interface SharedMemoryView {
  /** The values at an address of the shared memory (a replica's gradients). */
  view(dtype: ModelConfig['dtype'], address: number, length: number): FloatArray;
}

/**
 * The one way Trainer computes a batch's gradients: this thread's share of the rows, plus every
 * replica's, summed and clipped. A single thread is the case with no replicas (this thread's
 * share is the whole batch), so one thread and many run the same code.
 */
export class DataParallel {
  constructor(
    private readonly model: RnnModel,
    /** Null with no replicas (nothing to read from another thread). */
    private readonly memory: SharedMemoryView | null,
    private readonly replicas: readonly ReplicaChannel[],
  ) {}

  get threads(): number {
    return this.replicas.length + 1;
  }

  /**
   * Forward and backward of the whole batch over all threads; leaves the summed, clipped gradients in model.grads.
   * `request.h0` (B×stateSize) starts each row from a given state (stream mode); with `wantFinalState` the rows'
   * final states are returned, in the same layout.
   */
  async computeGradients(batch: Batch, request: GradientRequest): Promise<GradientResult> {
    const started = this.start(batch, request);
    const results: ReplicaStepResult[] = [];
    for (const replica of this.replicas) results.push(replica.answerWithin?.(SYNCHRONOUS_WAIT_MILLISECONDS) ?? (await replica.answer()));
    return this.combine(started, results);
  }

  /** The same without awaiting anything: only with no replicas (a single thread, e.g. a browser's main loop). */
  computeGradientsNow(batch: Batch, request: GradientRequest): GradientResult {
    if (this.replicas.length > 0) throw new Error('computeGradientsNow() runs on this thread alone; with replicas use computeGradients()');
    return this.combine(this.start(batch, request), []);
  }

  /** Sends each replica its rows, then computes this thread's (the first part). */
  private start(batch: Batch, request: GradientRequest) {
    const bounds = splitRows(batch, this.threads);
    const hidden = this.model.config.hidden;
    const { dropoutSeed, h0, scale, clip, wantFinalState = false } = request;
    const seedFor = (part: number) => (dropoutSeed === undefined ? undefined : (dropoutSeed + part * 0x632be5ab) >>> 0);
    const initialFor = (from: number, to: number) => (h0 && (from > 0 || to < batch.rows) ? stateRows(h0, batch.rows, hidden, from, to) : h0);
    const rowsOf = (from: number, to: number) => (from === 0 && to === batch.rows ? batch : sliceBatch(batch, from, to));
    this.replicas.forEach((replica, i) =>
      replica.post({
        batch: rowsOf(bounds[i + 1], bounds[i + 2]),
        scale,
        clip,
        dropoutSeed: seedFor(i + 1),
        h0: initialFor(bounds[i + 1], bounds[i + 2]),
        wantFinalState,
      }),
    );
    const lossSum = this.model.forward(rowsOf(bounds[0], bounds[1]), initialFor(bounds[0], bounds[1]), seedFor(0));
    let finalState: FloatArray | undefined;
    if (wantFinalState) {
      const own = this.model.finalState();
      finalState = this.replicas.length === 0 ? own.slice() : allocate(this.model.config.dtype, batch.rows * this.model.stateSize);
      if (this.replicas.length > 0) setStateRows(finalState, batch.rows, hidden, bounds[0], own);
    }
    const clipped = this.model.backward({ scale, clip, clipParameterGradients: false });
    return { batch, bounds, clip, own: { lossSum, clipped, finalState } };
  }

  /** Adds the replicas' losses and gradients to this thread's, then clips the sum (as backward() would have for one thread). */
  private combine(started: ReturnType<DataParallel['start']>, results: readonly ReplicaStepResult[]): GradientResult {
    const { batch, bounds, clip } = started;
    let { lossSum, clipped } = started.own;
    const { finalState } = started.own;
    const k = this.model.kernels;
    const size = this.model.grads.length;
    results.forEach((result, i) => {
      lossSum += result.lossSum;
      clipped += result.clipped;
      k.add(this.model.grads, this.memory!.view(this.model.config.dtype, result.gradsAddress, size), size);
      if (finalState) setStateRows(finalState, batch.rows, this.model.config.hidden, bounds[i + 1], result.finalState!);
    });
    if (clip !== Infinity) clipped += k.clip(this.model.grads, size, clip);
    return { lossSum, clipped, finalState };
  }

  /** Ends the replicas' threads. */
  close(): void {
    for (const replica of this.replicas) replica.close();
  }
}

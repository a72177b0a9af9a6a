/**
 * Worker threads for data-parallel training in Node: each runs a Replica of
 * the model (src/train/data-parallel.ts) on the same shared WebAssembly
 * memory, and answers one step request at a time.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BpttError } from '../core/errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { WasmKernels } from '../kernels/wasm/wasm-kernels.js';
import type { RnnModel } from '../model/rnn-model.js';
import { DataParallel, type ReplicaChannel, type ReplicaInit, type ReplicaStepRequest, type ReplicaStepResult } from '../train/data-parallel.js';

class WorkerChannel implements ReplicaChannel {
  private waiting: { resolve: (result: ReplicaStepResult) => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: { type: string; result?: ReplicaStepResult; error?: string }) => {
      const waiting = this.waiting;
      this.waiting = null;
      if (message.type === 'result') waiting?.resolve(message.result!);
      else waiting?.reject(new Error(message.error ?? 'replica failed'));
    });
    worker.on('error', (error) => this.waiting?.reject(error));
  }

  step(request: ReplicaStepRequest): Promise<ReplicaStepResult> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage({ type: 'step', request });
    });
  }

  close(): void {
    void this.worker.terminate();
  }
}

function startWorker(init: ReplicaInit): Promise<Worker> {
  // From the compiled package the worker is a .js file; under tsx (npm start, tests) it is .ts,
  // and the worker registers tsx before importing it.
  const underTsx = import.meta.url.endsWith('.ts');
  const script = new URL(underTsx ? './replica-worker.ts' : './replica-worker.js', import.meta.url);
  const entry = underTsx
    ? new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(script.href)});`)}`)
    : script;
  const worker = new Worker(entry);
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { type: string; error?: string }) => (message.type === 'ready' ? resolve(worker) : reject(new Error(message.error))));
    worker.once('error', reject);
    worker.postMessage({ type: 'init', init });
  });
}

/** The default thread count: every core, when the kernels can share memory; else 1. */
export function defaultThreads(kernels: Kernels): number {
  return kernels instanceof WasmKernels ? Math.max(1, Math.min(availableParallelism(), 8)) : 1;
}

/** Starts threads − 1 worker replicas of `model`; undefined for one thread. */
export async function startDataParallel(model: RnnModel, threads: number): Promise<DataParallel | undefined> {
  if (threads <= 1) return undefined;
  const kernels = model.kernels;
  if (!(kernels instanceof WasmKernels)) {
    throw new BpttError(`--threads ${threads} needs the WebAssembly kernels`, 'use --threads 1, or --backend auto');
  }
  const init: ReplicaInit = { memory: kernels.memory, variant: kernels.variant, config: model.config, paramsAddress: model.params.byteOffset };
  const workers = await Promise.all(Array.from({ length: threads - 1 }, () => startWorker(init)));
  for (const worker of workers) worker.unref(); // never keep the process alive on their own
  return new DataParallel(model, kernels, workers.map((worker) => new WorkerChannel(worker)));
}

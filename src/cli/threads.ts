/**
 * Worker threads for data-parallel training in Node: each runs a Replica of
 * the model (src/train/data-parallel.ts) on the same shared WebAssembly
 * memory, and answers one step request at a time.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { BpttError } from '../core/errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { NativeKernels } from '../kernels/native/native-kernels.js';
import { WasmKernels } from '../kernels/wasm/wasm-kernels.js';
import type { RnnModel } from '../model/rnn-model.js';
import { CLOSE, REQUEST, RESULT, waitForChange } from './replica-flags.js';
import { DataParallel, type ReplicaChannel, type ReplicaInit, type ReplicaStepRequest, type ReplicaStepResult } from '../train/data-parallel.js';

/**
 * Talks to one replica worker: a request goes on a MessagePort and a flag in shared memory wakes
 * the worker (replica-worker.ts); the answer comes back on the port, announced by a second flag.
 * This thread reads that flag directly (answerWithin: no event-loop hop, which costs 0.1–1.5 ms
 * here) or, past the time limit, awaits it with Atomics.waitAsync (answer).
 */
class WorkerChannel implements ReplicaChannel {
  private failure: Error | null = null;
  private rejectPending: ((error: Error) => void) | null = null;

  constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly flags: Int32Array,
  ) {
    const fail = (error: Error) => {
      this.failure = error;
      this.rejectPending?.(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a training thread stopped (exit code ${code})`)));
  }

  post(request: ReplicaStepRequest): void {
    if (this.failure) throw this.failure;
    this.port.postMessage({ type: 'step', request });
    Atomics.store(this.flags, RESULT, 0);
    Atomics.store(this.flags, REQUEST, 1);
    Atomics.notify(this.flags, REQUEST);
  }

  answerWithin(milliseconds: number): ReplicaStepResult | undefined {
    return waitForChange(this.flags, RESULT, 0, ANSWER_SPIN_MILLISECONDS, milliseconds) ? this.read() : undefined;
  }

  async answer(): Promise<ReplicaStepResult> {
    if (this.failure) throw this.failure;
    const wait = Atomics.waitAsync(this.flags, RESULT, 0);
    if (wait.async) {
      // A pending waitAsync does not keep Node running: the worker does, while a step is out.
      this.worker.ref();
      try {
        await new Promise<void>((resolve, reject) => {
          this.rejectPending = reject;
          void wait.value.then(() => resolve());
        });
      } finally {
        this.rejectPending = null;
        this.worker.unref();
      }
    }
    return this.read();
  }

  private read(): ReplicaStepResult {
    const message = receiveMessageOnPort(this.port)?.message as { type: string; result?: ReplicaStepResult; error?: string } | undefined;
    if (message?.type !== 'result') throw new Error(message?.error ?? 'a training thread answered without a result');
    return message.result!;
  }

  unref(): void {
    this.worker.unref();
    this.port.unref();
  }

  close(): void {
    Atomics.store(this.flags, REQUEST, CLOSE);
    Atomics.notify(this.flags, REQUEST);
    this.port.close();
    void this.worker.terminate();
  }
}

/**
 * How long this thread spins on a replica's answer before sleeping on it: the two shares of a
 * batch usually end within tens of µs of each other, and a longer spin takes the core a
 * descheduled replica needs when the machine is busy (docs/performance.md).
 */
const ANSWER_SPIN_MILLISECONDS = 0.05;

function startWorker(init: ReplicaInit): Promise<WorkerChannel> {
  // From the compiled package the worker is a .js file; under tsx (npm start, tests) it is .ts,
  // and the worker registers tsx before importing it.
  const underTsx = import.meta.url.endsWith('.ts');
  const script = new URL(underTsx ? './replica-worker.ts' : './replica-worker.js', import.meta.url);
  const entry = underTsx
    ? new URL(
        `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(script.href)});`)}`,
      )
    : script;
  const worker = new Worker(entry);
  const { port1, port2 } = new MessageChannel();
  const flags = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { type: string; error?: string }) =>
      message.type === 'ready' ? resolve(new WorkerChannel(worker, port1, new Int32Array(flags))) : reject(new Error(message.error)),
    );
    worker.once('error', reject);
    worker.postMessage({ type: 'init', init, port: port2, flags }, [port2]);
  });
}

/** The default thread count: every core, when the kernels can share memory or run threads of their own; else 1. */
export function defaultThreads(kernels: Kernels): number {
  return kernels instanceof WasmKernels || kernels instanceof NativeKernels ? Math.max(1, Math.min(availableParallelism(), 8)) : 1;
}

/**
 * How the native kernels use several threads: worker replicas of the model, each on part of a
 * batch's rows (`workers`, as the WebAssembly kernels do), or a pool inside every kernel call
 * (`pool`). BPTT_NATIVE_THREADS chooses; docs/performance.md has the measurements behind the default.
 */
export function nativeThreading(): 'workers' | 'pool' {
  return process.env.BPTT_NATIVE_THREADS === 'pool' ? 'pool' : 'workers';
}

/** Starts threads − 1 worker replicas of `model`; undefined for one thread (or for the native kernels' pool). */
export async function startDataParallel(model: RnnModel, threads: number): Promise<DataParallel | undefined> {
  const kernels = model.kernels;
  if (kernels instanceof NativeKernels) {
    const pool = nativeThreading() === 'pool';
    kernels.threads = pool ? threads : 1;
    if (pool) return undefined;
  }
  if (threads <= 1) return undefined;
  if (!(kernels instanceof WasmKernels || kernels instanceof NativeKernels)) {
    throw new BpttError(`--threads ${threads} needs the WebAssembly or native kernels`, 'use --threads 1, or --backend auto');
  }
  const variant = kernels instanceof NativeKernels ? (kernels.name as `native-${string}`) : kernels.variant;
  const init: ReplicaInit = { memory: kernels.memory, variant, config: model.config, paramsAddress: model.params.byteOffset };
  const channels = await Promise.all(Array.from({ length: threads - 1 }, () => startWorker(init)));
  for (const channel of channels) channel.unref(); // never keep the process alive on their own
  return new DataParallel(model, kernels, channels);
}

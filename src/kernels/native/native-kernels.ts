/**
 * The native backend: the Kernels interface over C++ kernels (./addon.cc, ./kernels-impl.h),
 * compiled by node-gyp at install time (src/kernels/native/build.mjs) into
 * build/Release/bptt_native.node. Node only; the browser keeps WebAssembly.
 *
 * One binary holds the kernels once per instruction set (AVX-512, AVX2+FMA, portable) and
 * reports the ones this CPU runs, best first. Calls pass the typed arrays themselves: the C++
 * side works on their memory in place, whoever allocated them (no staging, no copies).
 * `allocate` hands out 64-byte aligned pieces of a shared WebAssembly.Memory (used only as
 * growable shared memory: no WebAssembly runs on it), so worker threads can read the same
 * parameters, as data-parallel training needs (src/train/data-parallel.ts). Threads inside the
 * kernels are a pool in the addon (pool.cc), shared by the process: `threads` sets its size
 * (1 until set).
 *
 * This module imports nothing from Node at load time, so bundles for the browser can include it;
 * the addon is only looked for when asked (loadNativeAddon).
 */
import type { DType, FloatArray } from '../../core/arrays.js';
import type { Kernels } from '../kernels.js';
import { NativeKernelCalls, type AddonKernel } from './generated/calls.js';

/** The addon's functions for one instruction set, in the argument order of Kernels (addon.cc). */
export interface NativeIsaKernels {
  isa: string;
  /** Elements that pack() writes for a K×N matrix (Kernels.packedSize). */
  packedSize(float64: boolean, k: number, n: number): number;
  /** This instruction set's multiply-add peak on one core, in FLOP/s, measured with `rounds` rounds (bptt bench). */
  multiplyAddPeak(rounds: number): number;
  [kernel: string]: unknown;
}

/** The loaded addon: its instruction sets and, for each, the kernels (addon.cc). */
export interface NativeAddon {
  isas: string[];
  kernels: Record<string, NativeIsaKernels>;
  /** Sizes the pool that splits each kernel call (BPTT_NATIVE_THREADS=pool). */
  setThreads(threads: number): void;
  /** The pool's size. */
  threads(): number;
}

/** The addon, or why there is none. */
export type NativeAvailability = { addon: NativeAddon; reason?: undefined } | { addon?: undefined; reason: string };

/** Where the build puts the addon, relative to this module (src/kernels/native or dist/kernels/native). */
const ADDON_PATH = '../../../build/Release/bptt_native.node';

/** How to get the native kernels, for messages. */
export const NATIVE_HOWTO =
  "build them with `npm install-scripts approve bptt && npm rebuild bptt` (npm 11 runs a dependency's install script only once approved; needs a C++ compiler, make and python3; in a clone: `npm run build:native`)";

let availability: NativeAvailability | undefined;

type BuiltinModuleGetter = (id: string) => unknown;

/** Loads the addon once per thread; never throws. */
export function loadNativeAddon(): NativeAvailability {
  if (availability) return availability;
  const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined>; getBuiltinModule?: BuiltinModuleGetter } })
    .process;
  if (!proc?.versions?.node) return (availability = { reason: 'the native kernels run only in Node' });
  if (typeof proc.getBuiltinModule !== 'function')
    return (availability = { reason: `Node ${proc.versions.node} cannot load them from an ES module (Node 20.16 or newer can)` });
  try {
    const { createRequire } = proc.getBuiltinModule('node:module') as typeof import('node:module');
    // BPTT_NATIVE_ADDON: another build of the addon (tests point it at a missing file).
    const addon = createRequire(import.meta.url)(proc.env?.BPTT_NATIVE_ADDON ?? ADDON_PATH) as NativeAddon;
    availability = { addon };
  } catch (error) {
    const code = (error as { code?: string }).code;
    availability = {
      reason:
        code === 'MODULE_NOT_FOUND'
          ? 'they are not built (no build/Release/bptt_native.node)'
          : `the addon did not load: ${(error as Error).message.split('\n')[0]}`,
    };
  }
  return availability;
}

/** The instruction sets this CPU runs the native kernels with, best first ([] without the addon). */
export function nativeInstructionSets(): string[] {
  return loadNativeAddon().addon?.isas.slice() ?? [];
}

/** The number of threads a backend's kernels use inside each call: the native pool's size, else 1. */
export function kernelThreads(kernels: Kernels): number {
  return kernels instanceof NativeKernels ? kernels.threads : 1;
}

const PAGE = 65536;
// 4 GiB less a page of address space reserved, not memory in use: the most a WebAssembly.Memory can grow to
// (65,536 pages) less one, so that the top pointer, a uint32, never wraps. The WebAssembly kernels keep 1 GiB.
const MAXIMUM_PAGES = 65535;
/** The most the native kernels' arrays can hold: the shared memory's maximum size. */
export const NATIVE_HEAP_BYTES = MAXIMUM_PAGES * PAGE;
const ALIGN = 64; // a cache line, and an AVX-512 vector

/**
 * A bump allocator over a shared memory, its top pointer in the memory's first word, so threads on
 * one memory allocate without overlapping. Growing a shared memory never moves it: views and the
 * pointers the kernels take from them stay valid.
 */
class SharedHeap {
  private readonly top: Uint32Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    initialize: boolean,
  ) {
    this.top = new Uint32Array(memory.buffer, 0, 1);
    if (initialize) Atomics.store(this.top, 0, ALIGN);
  }

  reserve(bytes: number): number {
    const size = Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    // Compare-and-swap rather than add: a request that does not fit must leave the pointer as it was.
    let address = Atomics.load(this.top, 0);
    for (;;) {
      if (address + size > NATIVE_HEAP_BYTES) throw new RangeError(`the native kernels' memory is full (${NATIVE_HEAP_BYTES} bytes)`);
      const seen = Atomics.compareExchange(this.top, 0, address, address + size);
      if (seen === address) break;
      address = seen; // another thread allocated meanwhile
    }
    const end = address + size;
    while (this.memory.buffer.byteLength < end) this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE));
    return address;
  }

  view(dtype: DType, address: number, length: number): FloatArray {
    return dtype === 'float64' ? new Float64Array(this.memory.buffer, address, length) : new Float32Array(this.memory.buffer, address, length);
  }
}

/**
 * The Kernels interface over the addon. Every kernel but allocate and packedSize passes its arguments
 * to the addon's function of the same name as they are (NativeKernelCalls, generated from the
 * signature table); the addon reads them in the table's order and checks every length (addon.cc).
 */
export class NativeKernels extends NativeKernelCalls implements Kernels {
  readonly name: string;
  private readonly k: NativeIsaKernels;
  private readonly heap: SharedHeap;

  private constructor(
    private readonly addon: NativeAddon,
    readonly isa: string,
    memory: WebAssembly.Memory | undefined,
  ) {
    super(addon.kernels[isa] as unknown as Readonly<Record<string, AddonKernel>>);
    this.name = `native-${isa}`;
    this.k = addon.kernels[isa];
    this.heap = new SharedHeap(memory ?? new WebAssembly.Memory({ initial: 16, maximum: MAXIMUM_PAGES, shared: true }), memory === undefined);
  }

  /**
   * The native kernels for `isa` (default: the best this CPU runs, or BPTT_NATIVE_ISA). Throws
   * with the reason when the addon is missing or the CPU lacks the instruction set. With
   * `memory` (another thread's `memory`) they allocate from it and share its arrays.
   */
  static create(isa?: string, memory?: WebAssembly.Memory): NativeKernels {
    const { addon, reason } = loadNativeAddon();
    if (!addon) throw new Error(reason);
    const wanted = isa ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.BPTT_NATIVE_ISA ?? addon.isas[0];
    if (!addon.isas.includes(wanted)) throw new Error(`this CPU does not run the ${wanted} kernels (it runs ${addon.isas.join(', ')})`);
    return new NativeKernels(addon, wanted, memory);
  }

  /**
   * The kernels of another build of the addon, loaded by the caller (bench/native: two builds timed
   * in one process, where timings compare far better than between processes).
   */
  static fromAddon(addon: NativeAddon, isa: string = addon.isas[0]): NativeKernels {
    if (!addon.isas.includes(isa)) throw new Error(`that build does not run the ${isa} kernels here (it runs ${addon.isas.join(', ')})`);
    return new NativeKernels(addon, isa, undefined);
  }

  /** The memory every array of these kernels lives in; hand it to a worker to share them. */
  get memory(): WebAssembly.Memory {
    return this.heap.memory;
  }

  /** A view of values at an address of this memory (a model's parameters, from another thread). */
  view(dtype: DType, address: number, length: number): FloatArray {
    return this.heap.view(dtype, address, length);
  }

  /** Threads of the pool every native kernel call shares (the whole process). */
  get threads(): number {
    return this.addon.threads();
  }

  set threads(count: number) {
    this.addon.setThreads(Math.max(1, Math.min(64, Math.floor(count))));
  }

  /** The arithmetic ceiling of one core, GFLOP/s: float32 vector multiply-adds on registers (best of ~`seconds`). */
  multiplyAddPeak(seconds = 0.3): number {
    const rounds = 2_000_000;
    this.k.multiplyAddPeak(rounds);
    let best = 0;
    for (const started = performance.now(); performance.now() - started < seconds * 1000;) {
      const t = performance.now();
      const flops = this.k.multiplyAddPeak(rounds);
      best = Math.max(best, flops / ((performance.now() - t) * 1e6));
    }
    return best;
  }

  allocate(dtype: DType, length: number): FloatArray {
    return this.view(dtype, this.heap.reserve(length * (dtype === 'float64' ? 8 : 4)), length); // new memory is zeroed, never reused
  }

  packedSize(dtype: DType, k: number, n: number): number {
    return this.k.packedSize(dtype === 'float64', k, n);
  }
}

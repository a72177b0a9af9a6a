/**
 * Every kernel of the Kernels interface (kernels.ts), declared once: its parameters in order,
 * their types, the length of every array (an expression of the other parameters) and which arrays
 * it writes. From this table:
 *   - scripts/generate-kernel-calls.ts writes the WebAssembly backend's wrappers
 *     (src/kernels/wasm/generated/calls.ts: stage each array with its length, call name_f32/_f64);
 *     test/kernels/signatures.test.ts fails when the committed file is stale;
 *   - the same test checks the reference backend, the WebAssembly class and the compiled module's
 *     exports (parameter counts) against it.
 * A native backend's binding (src/kernels/native/) is checked the same way: its per-kernel argument
 * unpacking must take the parameters in this order with these element types and lengths; a test can
 * walk KERNEL_SIGNATURES and call each bound function with arrays of exactly `length` elements (or
 * generate the binding's unpacking code from it, as for wasm), so a kernel added here and not
 * there fails a test instead of a run.
 *
 * Adding a kernel: a line here, its method in kernels.ts (the TypeScript compiler then requires
 * this line), its loop in reference.ts and in wasm/assembly/kernels.ts; `npm run gen:kernels`
 * writes the wasm wrapper.
 *
 * Parameter syntax: `name:type`, where type is
 *   F[len]  a float array (float32 or float64, the model's dtype) of `len` elements; `F[len]!` is written
 *   F?[len]! a float array or null        I32[len] token ids        F32[len] a float32 mask
 *   int, float, bool (passed to wasm as 0/1), dtype ('float32' | 'float64')
 */
import type { Kernels } from './kernels.js';

export interface KernelSignature {
  params: string;
  returns: 'void' | 'number' | 'array';
  /**
   * The WebAssembly wrapper: extra arguments after the declared ones (scratch space the
   * module needs, as expressions on the WasmKernels object), or 'by hand' when the method
   * is written in wasm-kernels.ts (allocation, sizes, a nullable array).
   */
  wasm?: { extra?: string[]; byHand?: boolean };
}

export type KernelName = Exclude<keyof Kernels, 'name'>;

export const KERNEL_SIGNATURES: Record<KernelName, KernelSignature> = {
  allocate: { params: 'dtype:dtype length:int', returns: 'array', wasm: { byHand: true } },
  matmulABt: {
    params: 'out:F[m * n]! a:F[m * k] b:F[n * k] m:int k:int n:int accumulate:bool',
    returns: 'void',
    wasm: { extra: ['this.scratchFor(out, m, k, n)'] },
  },
  matmulAB: {
    params: 'out:F[m * n]! a:F[m * k] b:F[k * n] m:int k:int n:int accumulate:bool',
    returns: 'void',
    wasm: { extra: ['this.scratchFor(out, m, k, n)'] },
  },
  packedSize: { params: 'dtype:dtype k:int n:int', returns: 'number', wasm: { byHand: true } },
  pack: {
    params: "packed:F[this.packedSize(packed instanceof Float64Array ? 'float64' : 'float32', k, n)]! b:F[k * n] k:int n:int transposed:bool",
    returns: 'void',
  },
  matmulPacked: {
    params: 'out:F[m * n]! a:F[m * k] packed:F[packed.length] m:int k:int n:int accumulate:bool',
    returns: 'void',
    wasm: { extra: ['this.scratch(32 * out.BYTES_PER_ELEMENT)'] },
  },
  matmulAtBAccumulate: { params: 'out:F[m * n]! a:F[k * m] b:F[k * n] m:int k:int n:int', returns: 'void', wasm: { extra: ['this.scratchFor(out, m, k, n)'] } },
  addBias: { params: 'out:F[rows * cols]! bias:F[cols] rows:int cols:int', returns: 'void' },
  sumRowsAccumulate: { params: 'sums:F[cols]! a:F[rows * cols] rows:int cols:int', returns: 'void' },
  addWeightColumns: {
    params: 'out:F[rows * hidden]! weight:F[hidden * vocab] ids:I32[rows] rows:int hidden:int vocab:int',
    returns: 'void',
    wasm: { extra: ['this.scratch(hidden * vocab * out.BYTES_PER_ELEMENT)'] },
  },
  addToWeightColumns: {
    params: 'gradWeight:F[hidden * vocab]! dz:F[rows * hidden] ids:I32[rows] rows:int hidden:int vocab:int',
    returns: 'void',
    wasm: { extra: ['this.scratch(hidden * vocab * gradWeight.BYTES_PER_ELEMENT)'] },
  },
  gatherRows: { params: 'out:F[rows * cols]! table:F[table.length] ids:I32[rows] rows:int cols:int', returns: 'void' },
  scatterAddRows: { params: 'gradTable:F[gradTable.length]! grad:F[rows * cols] ids:I32[rows] rows:int cols:int', returns: 'void' },
  sigmoid: { params: 'values:F[length]! length:int', returns: 'void' },
  tanh: { params: 'values:F[length]! length:int', returns: 'void' },
  relu: { params: 'values:F[length]! length:int', returns: 'void' },
  reluBackward: { params: 'dz:F[length]! gamma:F[length] h:F[length] length:int', returns: 'void' },
  sigmoidBackward: { params: 'dz:F[length]! gamma:F[length] h:F[length] length:int', returns: 'void' },
  tanhBackward: { params: 'dz:F[length]! gamma:F[length] h:F[length] length:int', returns: 'void' },
  softmaxCrossEntropy: { params: 'logits:F[rows * vocab]! targets:I32[rows] mask:F32[rows] rows:int vocab:int', returns: 'number' },
  softmaxCrossEntropyBackward: { params: 'probs:F[rows * vocab]! targets:I32[rows] mask:F32[rows] scale:float rows:int vocab:int', returns: 'void' },
  lstmGates: { params: 'gates:F[4 * rows * hidden]! c:F[rows * hidden]! h:F[rows * hidden]! cPrev:F[rows * hidden] rows:int hidden:int', returns: 'void' },
  lstmGatesBackward: {
    params:
      'dGates:F[4 * rows * hidden]! kappa:F[rows * hidden]! gamma:F[rows * hidden] gates:F[4 * rows * hidden] c:F[rows * hidden] cPrev:F[rows * hidden] rows:int hidden:int',
    returns: 'void',
  },
  gruGates: {
    params: 'gates:F[3 * rows * hidden]! p:F[3 * rows * hidden] qn:F[rows * hidden]! hPrev:F[rows * hidden] h:F[rows * hidden]! rows:int hidden:int',
    returns: 'void',
  },
  gruGatesBackward: {
    params:
      'dq:F[3 * rows * hidden]! dp:F[3 * rows * hidden]! gammaPrev:F[rows * hidden]! gamma:F[rows * hidden] gates:F[3 * rows * hidden] qn:F[rows * hidden] hPrev:F[rows * hidden] rows:int hidden:int',
    returns: 'void',
  },
  sumOfSquares: { params: 'values:F[length] length:int', returns: 'number' },
  clip: { params: 'values:F[length]! length:int limit:float', returns: 'number' },
  add: { params: 'out:F[length]! a:F[length] length:int', returns: 'void' },
  multiply: { params: 'out:F[length]! a:F[length] length:int', returns: 'void' },
  adagradStep: { params: 'params:F[length]! grads:F[length] memory:F[length]! learningRate:float epsilon:float length:int', returns: 'void' },
  rmspropStep: {
    params:
      'params:F[length]! grads:F[length] squareAverage:F[length]! momentumBuffer:F?[length]! length:int learningRate:float alpha:float epsilon:float momentum:float',
    returns: 'void',
    wasm: { byHand: true },
  },
  adamStep: {
    params:
      'params:F[length]! grads:F[length] firstMoment:F[length]! secondMoment:F[length]! length:int beta1:float beta2:float epsilon:float stepSize:float secondCorrection:float keep:float',
    returns: 'void',
  },
  transpose: { params: 'out:F[rows * cols]! a:F[rows * cols] rows:int cols:int', returns: 'void' },
};

/** One parsed parameter. */
export type KernelParam =
  | { name: string; kind: 'array'; element: 'float' | 'int32' | 'float32'; nullable: boolean; length: string; output: boolean }
  | { name: string; kind: 'scalar'; type: 'int' | 'float' | 'bool' | 'dtype' };

/** The parameters of a signature, parsed. */
export function kernelParams(signature: KernelSignature): KernelParam[] {
  return signature.params.match(/\w+:(?:F\??|I32|F32)\[[^\]]*\]!?|\w+:\w+/g)!.map((text) => {
    const [name, type] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
    const array = /^(F\??|I32|F32)\[(.*)\](!?)$/.exec(type);
    if (!array) return { name, kind: 'scalar', type: type as 'int' | 'float' | 'bool' | 'dtype' };
    const element = array[1] === 'I32' ? 'int32' : array[1] === 'F32' ? 'float32' : 'float';
    return { name, kind: 'array', element, nullable: array[1] === 'F?', length: array[2], output: array[3] === '!' };
  });
}

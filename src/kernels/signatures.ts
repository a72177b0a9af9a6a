/**
 * Every kernel of the Kernels interface (kernels.ts), declared once: what it computes (its doc
 * comment, which editors show on every call), its parameters in order, their names and types, the
 * length of every array (an expression of the other parameters) and which arrays it writes. From
 * this table, scripts/generate-kernel-calls.ts (`npm run gen:kernels`) writes
 *   - generated/functions.ts: each line as a function type with its parameters named, e.g.
 *     `matmulABt: (out: FloatArray, a: FloatArray, …, accumulate: boolean) => void`. KernelMethods
 *     below gives each the line's doc comment and is the Kernels interface, so hovers and the API
 *     docs show names and comment, and a backend that lacks a kernel, or takes other parameters,
 *     does not compile. (A type cannot be computed from the params string instead: TypeScript has
 *     no way to name a parameter, or label a tuple element, from a string type.)
 *   - wasm/generated/calls.ts: the WebAssembly backend's wrappers (stage each array with its
 *     length, call name_f32/_f64);
 *   - native/generated/calls.ts: the native backend's (pass the arguments to the addon's function).
 * test/kernels/signatures.test.ts fails when a committed generated file is stale, and checks the
 * reference backend, the WebAssembly class and the compiled module's exports (parameter counts)
 * against the table; test/kernels/native.test.ts calls every native kernel with arrays of exactly
 * the declared lengths.
 *
 * Adding a kernel: a line here (with its doc comment), `npm run gen:kernels`, its loop in
 * reference.ts, in wasm/assembly/kernels.ts and in the native addon (native/kernels-impl.h, addon.cc).
 *
 * Parameter syntax: `name:type`, where type is
 *   F[len]  a float array (float32 or float64, the model's dtype) of `len` elements; `F[len]!` is written
 *   F?[len]! a float array or null        I32[len] token ids        F32[len] a float32 mask
 *   int, float, bool (passed to wasm as 0/1), dtype ('float32' | 'float64')
 */
import type { KernelFunctions } from './generated/functions.js';

export interface KernelSignature {
  readonly params: string;
  readonly returns: 'void' | 'number' | 'array';
  /**
   * The WebAssembly wrapper: extra arguments after the declared ones (scratch space the
   * module needs, as expressions on the WasmKernels object), or 'by hand' when the method
   * is written in wasm-kernels.ts (allocation, sizes, a nullable array).
   */
  readonly wasm?: { readonly extra?: readonly string[]; readonly byHand?: boolean };
  /**
   * The native wrapper: 'by hand' when the method is written in native-kernels.ts (allocation, a
   * dtype turned into the addon's flag); every other kernel passes its arguments to the addon as they are.
   */
  readonly native?: { readonly byHand: true };
}

const TABLE = {
  /**
   * A zeroed array for a model's parameters, gradients or activations. A
   * backend may place it in its own memory (WebAssembly's) so kernels read it
   * without copying; the reference backend returns a plain typed array.
   */
  allocate: { params: 'dtype:dtype length:int', returns: 'array', wasm: { byHand: true }, native: { byHand: true } },
  /** out(M×N) (+)= A(M×K) · B(N×K)ᵀ. Overwrites out unless accumulate. */
  matmulABt: {
    params: 'out:F[m * n]! a:F[m * k] b:F[n * k] m:int k:int n:int accumulate:bool',
    returns: 'void',
    wasm: { extra: ['this.scratchFor(out, m, k, n)'] },
  },
  /** out(M×N) (+)= A(M×K) · B(K×N). Overwrites out unless accumulate. */
  matmulAB: {
    params: 'out:F[m * n]! a:F[m * k] b:F[k * n] m:int k:int n:int accumulate:bool',
    returns: 'void',
    wasm: { extra: ['this.scratchFor(out, m, k, n)'] },
  },
  /**
   * Elements that pack() writes for a K×N matrix: the size of `packed`.
   */
  packedSize: { params: 'dtype:dtype k:int n:int', returns: 'number', wasm: { byHand: true }, native: { byHand: true } },
  /**
   * B (K×N) copied into the layout this backend's products read fastest, for a matrix that many
   * products reuse: the recurrent weights, packed once per batch instead of once per step.
   * `transposed`: b holds Bᵀ (N×K), e.g. Wh (units×H) for B = Whᵀ. The reference backend's layout
   * is plain row-major B; the WebAssembly one cuts B into panels of columns (assembly/kernels.ts).
   */
  pack: {
    params: "packed:F[this.packedSize(packed instanceof Float64Array ? 'float64' : 'float32', k, n)]! b:F[k * n] k:int n:int transposed:bool",
    returns: 'void',
  },
  /** out(M×N) (+)= A(M×K) · B, with B as pack() left it. Overwrites out unless accumulate. */
  matmulPacked: {
    params: 'out:F[m * n]! a:F[m * k] packed:F[packed.length] m:int k:int n:int accumulate:bool',
    returns: 'void',
    wasm: { extra: ['this.scratch(32 * out.BYTES_PER_ELEMENT)'] },
  },
  /** out(M×N) += A(K×M)ᵀ · B(K×N): the weight gradient, a sum over the K rows of a batch. Always accumulates. */
  matmulAtBAccumulate: { params: 'out:F[m * n]! a:F[k * m] b:F[k * n] m:int k:int n:int', returns: 'void', wasm: { extra: ['this.scratchFor(out, m, k, n)'] } },
  /** out(rows×cols) += bias(cols) broadcast over rows. */
  addBias: { params: 'out:F[rows * cols]! bias:F[cols] rows:int cols:int', returns: 'void' },
  /** sums(cols) += Σ over rows of a(rows×cols): the bias gradient. */
  sumRowsAccumulate: { params: 'sums:F[cols]! a:F[rows * cols] rows:int cols:int', returns: 'void' },
  /**
   * One-hot input times a weight matrix, done as a gather (never a dense matmul):
   * out(rows×H)[r] += W(H×V)[:, ids[r]]. This is Wx·x for one-hot x.
   */
  addWeightColumns: {
    params: 'out:F[rows * hidden]! weight:F[hidden * vocab] ids:I32[rows] rows:int hidden:int vocab:int',
    returns: 'void',
    wasm: { extra: ['this.scratch(hidden * vocab * out.BYTES_PER_ELEMENT)'] },
  },
  /** The transpose of addWeightColumns: dW(H×V)[:, ids[r]] += dz(rows×H)[r]. */
  addToWeightColumns: {
    params: 'gradWeight:F[hidden * vocab]! dz:F[rows * hidden] ids:I32[rows] rows:int hidden:int vocab:int',
    returns: 'void',
    wasm: { extra: ['this.scratch(hidden * vocab * gradWeight.BYTES_PER_ELEMENT)'] },
  },
  /** out(rows×cols)[r] = table(V×cols)[ids[r]]: an embedding lookup. */
  gatherRows: { params: 'out:F[rows * cols]! table:F[table.length] ids:I32[rows] rows:int cols:int', returns: 'void' },
  /** gradTable(V×cols)[ids[r]] += grad(rows×cols)[r]: the embedding gradient. */
  scatterAddRows: { params: 'gradTable:F[gradTable.length]! grad:F[rows * cols] ids:I32[rows] rows:int cols:int', returns: 'void' },
  /** In place h = σ(z) = 1 / (1 + e^(−z)). */
  sigmoid: { params: 'values:F[length]! length:int', returns: 'void' },
  /** In place h = tanh(z). */
  tanh: { params: 'values:F[length]! length:int', returns: 'void' },
  /** In place h = max(0, z). */
  relu: { params: 'values:F[length]! length:int', returns: 'void' },
  /** dz = gamma ∘ relu'(z): gamma where the cached output h > 0, else 0. */
  reluBackward: { params: 'dz:F[length]! gamma:F[length] h:F[length] length:int', returns: 'void' },
  /** dz = gamma ∘ σ'(z), with σ'(z) = h(1 − h) computed from the cached output h. */
  sigmoidBackward: { params: 'dz:F[length]! gamma:F[length] h:F[length] length:int', returns: 'void' },
  /** dz = gamma ∘ tanh'(z), with tanh'(z) = 1 − h² computed from the cached output h. */
  tanhBackward: { params: 'dz:F[length]! gamma:F[length] h:F[length] length:int', returns: 'void' },
  /**
   * Softmax + cross-entropy over rows of logits (rows×V), in place: logits become
   * probabilities ŷ. Returns Σ_r mask[r]·(−log ŷ[r, targets[r]]) (rows with mask 0 add nothing).
   */
  softmaxCrossEntropy: { params: 'logits:F[rows * vocab]! targets:I32[rows] mask:F32[rows] rows:int vocab:int', returns: 'number' },
  /** In place on probabilities ŷ: dθ = (ŷ − onehot(target)) · mask · scale. */
  softmaxCrossEntropyBackward: { params: 'probs:F[rows * vocab]! targets:I32[rows] mask:F32[rows] scale:float rows:int vocab:int', returns: 'void' },
  /**
   * The LSTM's gate arithmetic (docs/derivations/lstm.md, L.2–L.4), per row of
   * gates (rows×4H, [i|f|g|o], pre-activations in, gate values out, in place):
   * c = f∘cPrev + i∘g and h = o∘tanh(c) (rows×H each).
   */
  lstmGates: { params: 'gates:F[4 * rows * hidden]! c:F[rows * hidden]! h:F[rows * hidden]! cPrev:F[rows * hidden] rows:int hidden:int', returns: 'void' },
  /**
   * Its backward (L.5–L.9, L.11): from gamma = ∂J/∂h and kappa = ∂J/∂c from
   * the next step, writes dGates = ∂J/∂z (rows×4H) and, in place of kappa,
   * ∂J/∂c(t−1) through this step.
   */
  lstmGatesBackward: {
    params:
      'dGates:F[4 * rows * hidden]! kappa:F[rows * hidden]! gamma:F[rows * hidden] gates:F[4 * rows * hidden] c:F[rows * hidden] cPrev:F[rows * hidden] rows:int hidden:int',
    returns: 'void',
  },
  /**
   * The GRU's gate arithmetic (docs/derivations/gru.md, G.2–G.4), per row:
   * gates (rows×3H) holds the recurrent part q = Wh·h(t−1) + b_h on entry and the
   * gate values [r|u|n] on return; p (rows×3H) is the input part Wx·x + b_x.
   * Writes qn = q_n (rows×H, needed by the backward pass) and h (rows×H).
   */
  gruGates: {
    params: 'gates:F[3 * rows * hidden]! p:F[3 * rows * hidden] qn:F[rows * hidden]! hPrev:F[rows * hidden] h:F[rows * hidden]! rows:int hidden:int',
    returns: 'void',
  },
  /**
   * Its backward (G.5–G.8, the direct term of G.10): from gamma = ∂J/∂h(t),
   * writes dq and dp (rows×3H each) and gammaPrev = γ ∘ u (rows×H), to which the
   * caller adds Whᵀ dq.
   */
  gruGatesBackward: {
    params:
      'dq:F[3 * rows * hidden]! dp:F[3 * rows * hidden]! gammaPrev:F[rows * hidden]! gamma:F[rows * hidden] gates:F[3 * rows * hidden] qn:F[rows * hidden] hPrev:F[rows * hidden] rows:int hidden:int',
    returns: 'void',
  },
  /**
   * Σ values², accumulated in float64: the squared gradient norm. A NaN or ±Infinity anywhere makes
   * it non-finite, so one pass also answers whether the gradients are all finite.
   */
  sumOfSquares: { params: 'values:F[length] length:int', returns: 'number' },
  /** Elementwise clip to [−limit, limit]; returns how many entries were clipped. */
  clip: { params: 'values:F[length]! length:int limit:float', returns: 'number' },
  /** out += a, elementwise. */
  add: { params: 'out:F[length]! a:F[length] length:int', returns: 'void' },
  /** out ∘= a, elementwise (a dropout mask, forward and backward). */
  multiply: { params: 'out:F[length]! a:F[length] length:int', returns: 'void' },
  /** Adagrad, in place for every entry: memory += g²; params −= lr · g / √(memory + epsilon). */
  adagradStep: { params: 'params:F[length]! grads:F[length] memory:F[length]! learningRate:float epsilon:float length:int', returns: 'void' },
  /**
   * RMSprop's update (src/optim/rmsprop.ts), in place: v ← α·v + (1 − α)·g²; d = g / (√v + ε);
   * with momentum μ > 0, b ← μ·b + d and p ← p − lr·b; without (μ = 0, momentumBuffer null), p ← p − lr·d.
   */
  rmspropStep: {
    params:
      'params:F[length]! grads:F[length] squareAverage:F[length]! momentumBuffer:F?[length]! length:int learningRate:float alpha:float epsilon:float momentum:float',
    returns: 'void',
    wasm: { byHand: true },
  },
  /**
   * Adam's update (src/optim/adam.ts), in place for every entry: p ← p·keep (AdamW's decoupled
   * weight decay; keep = 1 without it); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
   * p ← p − stepSize·m / (√v / secondCorrection + ε), with the bias corrections of step t folded
   * into stepSize = lr / (1 − β1ᵗ) and secondCorrection = √(1 − β2ᵗ).
   */
  adamStep: {
    params:
      'params:F[length]! grads:F[length] firstMoment:F[length]! secondMoment:F[length]! length:int beta1:float beta2:float epsilon:float stepSize:float secondCorrection:float keep:float',
    returns: 'void',
  },
  /** out(cols×rows) = A(rows×cols)ᵀ. */
  transpose: { params: 'out:F[rows * cols]! a:F[rows * cols] rows:int cols:int', returns: 'void' },
} as const satisfies Record<string, KernelSignature>;

/** A kernel's name: a method of Kernels. */
export type KernelName = keyof typeof TABLE;

/** The table, by kernel name. */
export const KERNEL_SIGNATURES: Readonly<Record<KernelName, KernelSignature>> = TABLE;

/**
 * The kernels as methods: each line of the table as its function type, with the parameters named
 * (generated/functions.ts, written from the table by npm run gen:kernels) and the line's doc comment
 * (a mapped type over the table keeps it). Kernels extends this. A line with no function type yet
 * gets a type that says what to run, so no backend compiles until it is generated.
 */
export type KernelMethods = {
  -readonly [K in keyof typeof TABLE]: K extends keyof KernelFunctions ? KernelFunctions[K] : 'run npm run gen:kernels';
};

/** One parsed parameter. */
export type KernelParam =
  | { name: string; kind: 'array'; element: 'float' | 'int32' | 'float32'; nullable: boolean; length: string; output: boolean }
  | { name: string; kind: 'scalar'; type: (typeof SCALAR_TYPES)[number] };

const PARAM = /\w+:(?:F\??|I32|F32)\[[^\]]*\]!?|\w+:\w+/g;
const SCALAR_TYPES = ['int', 'float', 'bool', 'dtype'] as const;

/** The parameters of a signature, parsed; text that is no parameter, or an unknown type, throws (the generator and tests read every line). */
export function kernelParams(signature: KernelSignature): KernelParam[] {
  const unread = signature.params.replace(PARAM, '').trim();
  if (unread !== '') throw new Error(`kernel params '${signature.params}': cannot read '${unread}' (see the syntax in signatures.ts)`);
  return (signature.params.match(PARAM) ?? []).map((text) => {
    const [name, type] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
    const array = /^(F\??|I32|F32)\[(.*)\](!?)$/.exec(type);
    if (!array) {
      const scalar = SCALAR_TYPES.find((known) => known === type);
      if (!scalar) throw new Error(`kernel params '${signature.params}': ${name} has the unknown type '${type}' (one of F[…], ${SCALAR_TYPES.join(', ')})`);
      return { name, kind: 'scalar', type: scalar };
    }
    const element = array[1] === 'I32' ? 'int32' : array[1] === 'F32' ? 'float32' : 'float';
    return { name, kind: 'array', element, nullable: array[1] === 'F?', length: array[2], output: array[3] === '!' };
  });
}

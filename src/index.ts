/**
 * bptt: recurrent neural networks from scratch, every gradient derived by hand.
 * The public API; each module below owns one idea (see docs/derivation.md).
 */
export { BpttError } from './core/errors.js';
export { allocate, DTYPES, type DType, type FloatArray } from './core/arrays.js';
export { Random } from './core/random.js';
export { ParameterLayout, type ParameterSpec, type ParameterSlot, type Init } from './core/parameters.js';
export { batchFromRows, type Batch } from './core/batch.js';
export type { Kernels } from './kernels/kernels.js';
export { referenceKernels } from './kernels/reference.js';
export { ACTIVATIONS, type Activation } from './nn/activation.js';
export { DEFAULT_MODEL_CONFIG, type ModelConfig, type InitScheme } from './model/config.js';
export { RnnModel, parameterSpecs, type RnnWeights, type BackwardOptions } from './model/rnn-model.js';
export type { Optimizer } from './optim/optimizer.js';
export { Adagrad } from './optim/adagrad.js';
export { gradcheck, gradcheckPasses, GRADCHECK_ABSOLUTE_TOLERANCE, GRADCHECK_RELATIVE_TOLERANCE, type GradcheckEntry } from './testing/gradcheck.js';

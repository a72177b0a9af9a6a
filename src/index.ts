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
export { CELL_TYPES } from './nn/cells.js';
export type {
  BufferView,
  CarriedState,
  CellBackwardValues,
  CellDerivation,
  CellInput,
  CellShape,
  CellStepValues,
  CellType,
  LayerWeights,
  RecurrentCell,
} from './nn/recurrent-cell.js';
export { CELLS, gatesPerUnit, statesPerUnit, type Cell, type ModelConfig, type InitScheme } from './model/config.js';
export { RnnModel, parameterSpecs, setStateRows, stateRows, type RnnWeights, type RnnLayerWeights, type BackwardOptions } from './model/rnn-model.js';
export {
  DEFAULT_LEARNING_RATES,
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_LABELS,
  OPTIMIZERS,
  optimizerSettings,
  type Optimizer,
  type OptimizerName,
  type OptimizerSettings,
  type OptimizerSpec,
} from './optim/optimizer.js';
export { gradientFlow, type GradientFlow } from './model/gradient-flow.js';
export { derive, type Derivation, type DerivedStep } from './model/derivation.js';
export { Adagrad } from './optim/adagrad.js';
export { Sgd } from './optim/sgd.js';
export { RmsProp } from './optim/rmsprop.js';
export { Adam } from './optim/adam.js';
export { createOptimizer } from './optim/create-optimizer.js';
export { clipByGlobalNorm, globalNorm } from './optim/clip.js';
export { CONSTANT_SCHEDULE, DEFAULT_DECAY_FACTOR, SCHEDULES, learningRateAt, type Schedule, type ScheduleKind } from './optim/schedule.js';
export {
  gradcheck,
  gradcheckPasses,
  numericalDerivative,
  GRADCHECK_ABSOLUTE_TOLERANCE,
  GRADCHECK_RELATIVE_TOLERANCE,
  type GradcheckEntry,
  type GradcheckOptions,
} from './testing/gradcheck.js';
export { CharTokenizer, END_OF_SEQUENCE, describeCharacter } from './text/char-tokenizer.js';
export { TOKENIZER_KINDS, type Tokenizer, type TokenizerKind, type TokenizerSpec } from './text/tokenizer.js';
export {
  DEFAULT_MAX_VOCABULARY,
  DEFAULT_MIN_COUNT,
  UNKNOWN_TOKEN,
  WordTokenizer,
  joinWords,
  splitWords,
  type WordTokenizerOptions,
  type WordVocabularyOptions,
} from './text/word-tokenizer.js';
export { tokenizerForText, tokenizerFromSpec, type TokenizerOptions } from './text/tokenizers.js';
export {
  DATA_MODES,
  MAX_LINE_LENGTH,
  batches,
  chunkSequences,
  epochOrder,
  lineSequences,
  splitValidation,
  textLines,
  type ChunkOptions,
  type DataMode,
  type Sequence,
} from './data/sequences.js';
export { BUILT_IN_CORPORA, DEFAULT_CORPUS, findCorpus, textStatistics, type BuiltInCorpus, type TextStatistics } from './data/corpora.js';
export {
  ArrayTokenSource,
  DOCUMENT_BOUNDARIES,
  TokenStreams,
  idArrayFor,
  splitStreams,
  type DocumentBoundary,
  heldOutStreams,
  type StreamOptions,
  type TokenSource,
} from './data/stream.js';
export { chooseMode, type ModeChoice } from './data/auto-mode.js';
export { argmax, keepTopK, keepTopP, sampleIndex, softmaxWithTemperature } from './sample/sample.js';
export { generate, type GenerateOptions, type GenerateResult } from './sample/generate.js';
export { SequenceState, logSoftmax } from './sample/sequence-state.js';
export { beamSearch, type BeamCompletion, type BeamSearchOptions } from './sample/beam.js';
export { explainSample, type ExplainedToken, type Explanation, type ExplainOptions } from './sample/explain.js';
export {
  DivergenceError,
  Trainer,
  evaluate,
  evaluateStreams,
  type EpochEvent,
  type EvaluationResult,
  type StepEvent,
  type TrainOptions,
  type TrainerEvents,
  type TrainingPosition,
  type Listener as TrainerListener,
  type TrainerSetup,
} from './train/trainer.js';
export {
  DEFAULT_RECIPE,
  PRESETS,
  NOTEBOOK_PRESET,
  NOTEBOOK_PRESET as SEED_PRESET,
  checkVocabulary,
  fingerprint,
  modelConfigOf,
  prepareData,
  prepareStreams,
  streamsOf,
  streamEvaluateEvery,
  streamReadingOf,
  evaluationStreams,
  TEXT_RECIPE,
  autoRecipe,
  type AutoRecipe,
  trainOptionsOf,
  type PreparedData,
  type PreparedStreams,
  type Recipe,
} from './train/recipe.js';
export { decodeCheckpoint, encodeCheckpoint, restoreTrainer, type LoadedCheckpoint, type SavedPosition, type TrainingState } from './train/checkpoint.js';
export {
  MODEL_FILE_VERSION,
  decodeModelFile,
  encodeModelFile,
  importStateDict,
  type ImportOptions,
  modelMetadata,
  type ModelMetadata,
  type SavedCheckpoint,
  type SavedModel,
  type TrainingDataRecord,
  type StreamReading,
  type ModelFileExtras,
} from './io/model-file.js';
export {
  parseSafetensors,
  serializeSafetensors,
  tensorToFloat32,
  tensorToFloat64,
  type SafetensorsDType,
  type FloatTensorInput,
  type SafetensorsFile,
  type Tensor,
} from './io/safetensors.js';
export { BACKENDS, availableBackends, loadKernels, type Backend } from './kernels/select.js';
export { WasmKernels, type WasmVariant } from './kernels/wasm/wasm-kernels.js';
export {
  kernelThreads,
  loadNativeAddon,
  NativeKernels,
  nativeInstructionSets,
  type NativeAddon,
  type NativeAvailability,
  type NativeIsaKernels,
} from './kernels/native/native-kernels.js';
export type { Staged } from './kernels/wasm/generated/calls.js';
export {
  DataParallel,
  Replica,
  splitRows,
  type ReplicaChannel,
  type ReplicaInit,
  type ReplicaStepRequest,
  type ReplicaStepResult,
  type GradientRequest,
  type GradientResult,
  type SharedMemoryKernels,
  type SharedMemoryView,
} from './train/data-parallel.js';
export { benchmarkTraining, trainingFlopsPerToken, workloadData, type BenchmarkResult } from './train/benchmark.js';
export { parameterCount, trainingMemory, type MemoryEstimate, type RunShape } from './train/memory.js';
export { sliceBatch } from './core/batch.js';
export { OPTION_RANGES, checkRecipeOptions, recipeOf, type OptionRange, type RecipeOptions } from './train/recipe-options.js';
export { fit, fitRecipe, type FitOptions, type FitResult, type TrainingProgress } from './train/fit.js';
export { train, loadModel, type LoadOptions } from './api/train.js';
export { Model, type ModelDetails, type SampleOptions, type Score, type TrainingSummary } from './api/model.js';
export { type ModelSource } from './api/source.js';

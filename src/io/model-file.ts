/**
 * bptt's model file: a safetensors file whose tensors carry PyTorch's names,
 * so a PyTorch module with attributes `rnn` (nn.RNN, or nn.LSTM: the same names with 4H rows), `fc` (nn.Linear) and,
 * with an embedding, `embedding` (nn.Embedding) loads it with
 * `load_state_dict(safetensors.torch.load_file(path), strict=True)`:
 *
 *   embedding.weight  (V×d)   our `embedding` (only when d > 0)
 *   rnn.weight_ih_l0  (H×D)   Wx
 *   rnn.weight_hh_l0  (H×H)   Wh
 *   rnn.bias_ih_l0    (H)     b1
 *   rnn.bias_hh_l0    (H)     zeros: PyTorch has two biases where the seed has one; on import they are added
 *   fc.weight         (V×H)   U
 *   fc.bias           (V)     b2
 *
 * `__metadata__` holds "format": "pt" and "bptt": a JSON string describing the
 * architecture and the vocabulary. A checkpoint is the same file plus the
 * optimizer state (tensors "optimizer.<state>.<tensor name>") and the
 * training position ("bptt_training").
 */
import { allocate, type DType, type FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { CELLS, gatesPerUnit, type Cell, type ModelConfig } from '../model/config.js';
import { parameterSpecs, RnnModel } from '../model/rnn-model.js';
import { ParameterLayout } from '../core/parameters.js';
import { ACTIVATIONS, type Activation } from '../nn/activation.js';
import { DOCUMENT_BOUNDARIES, type DocumentBoundary } from '../text/documents.js';
import type { Tokenizer, TokenizerKind } from '../text/tokenizer.js';
import { tokenizerFromSpec } from '../text/tokenizers.js';
import { parseSafetensors, serializeSafetensors, tensorToFloat32, tensorToFloat64, type FloatTensorInput, type Tensor } from './safetensors.js';

/** The version of the "bptt" metadata this code writes (and the newest it reads). */
export const MODEL_FILE_VERSION = 1;
export const MAX_LAYERS = 16;

/** The "bptt" metadata entry. */
export interface ModelMetadata {
  version: number;
  cell: Cell;
  activation: Activation;
  hidden: number;
  layers: number;
  /** 0 for one-hot input. */
  embed: number;
  /** 'char': single characters; 'word': words and punctuation marks (see src/text). */
  tokenizer: TokenizerKind;
  /** Tokens in index order. */
  vocab: string[];
  /** Word models: the token standing for unknown words. */
  unknown?: string;
  /** Text is lower-cased before it is encoded. */
  lowercase: boolean;
  dtype: DType;
  init: ModelConfig['init'];
  /** What the model was trained on (absent in files written before bptt recorded it, and in imports). */
  data?: TrainingDataRecord;
  /** A model trained on running text (mode stream): how it read the text. Absent: trained on lines (or chunks). */
  stream?: StreamReading;
}

/** How mode stream read a text: `bptt eval` reads held-out text the same way, `bptt sample` writes passages. */
export interface StreamReading {
  /** B: parallel streams (the batch). */
  streams: number;
  /** T: the window length. */
  steps: number;
  /** Where documents start (the state resets there). */
  documents: DocumentBoundary;
}

/**
 * The record `bptt train` keeps of its training data in the model file, so that `sample --novel`
 * compares samples with the text the model learned and not with some default.
 */
export interface TrainingDataRecord {
  /** A built-in corpus's name, or the data file's absolute path. */
  source: string;
  /** Lines of the text. */
  lines: number;
  /** fingerprint() (src/train/recipe.ts) of the text as read. */
  fingerprint: string;
  /** The training run, the same through its resumes: tells the run's own model file from another's. */
  run?: string;
}

/** Our parameter name → PyTorch's tensor name. */
const PYTORCH_NAMES: Record<string, string> = {
  embedding: 'embedding.weight',
  Wx: 'rnn.weight_ih_l0',
  Wh: 'rnn.weight_hh_l0',
  b1: 'rnn.bias_ih_l0',
  U: 'fc.weight',
  b2: 'fc.bias',
  bh: 'rnn.bias_hh_l0', // the GRU's own recurrent bias
};
/** The second bias PyTorch's nn.RNN has: z = W_ih x + b_ih + W_hh h + b_hh. */
const secondBias = (layer: number) => `rnn.bias_hh_l${layer}`;

/** PyTorch's name of one of our parameters; a layer's suffix _l1 becomes PyTorch's l1. */
function pytorchName(ours: string): string {
  const match = /^(Wh|Wx|b1|bh)(?:_l(\d+))?$/.exec(ours);
  if (!match) return PYTORCH_NAMES[ours];
  return PYTORCH_NAMES[match[1]].replace(/_l0$/, `_l${match[2] ?? 0}`);
}
const OPTIMIZER_PREFIX = 'optimizer.';

/** A model file read back: the model, its tokenizer and its metadata. */
export interface SavedModel {
  model: RnnModel;
  tokenizer: Tokenizer;
  metadata: ModelMetadata;
  /** Present in checkpoints. */
  checkpoint?: SavedCheckpoint;
}

/** What a checkpoint holds besides the model: optimizer state and the training position. */
export interface SavedCheckpoint {
  /** Optimizer state arrays by name (e.g. "memory"), each in the model's flat parameter layout. */
  optimizerState: Record<string, FloatArray>;
  /** The trainer's position and options, as JSON. */
  training: Record<string, unknown>;
}

/** The "bptt" metadata a model file stores for a model and its tokenizer (what it was trained on, and in mode stream how it read its text). */
export function modelMetadata(model: RnnModel, tokenizer: Tokenizer, data?: TrainingDataRecord, stream?: StreamReading): ModelMetadata {
  const c = model.config;
  const spec = tokenizer.spec();
  return {
    version: MODEL_FILE_VERSION,
    cell: c.cell,
    activation: c.activation,
    hidden: c.hidden,
    layers: c.layers,
    embed: c.embed,
    tokenizer: spec.tokenizer,
    vocab: spec.vocab,
    ...(spec.unknown === undefined ? {} : { unknown: spec.unknown }),
    lowercase: spec.lowercase,
    dtype: c.dtype,
    init: c.init,
    ...(data ? { data } : {}),
    ...(stream ? { stream: { streams: stream.streams, steps: stream.steps, documents: stream.documents } } : {}),
  };
}

/** What a model file records besides the weights and the vocabulary. */
export interface ModelFileExtras {
  /** The optimizer's state and the training position: the file is then a checkpoint. */
  checkpoint?: SavedCheckpoint;
  /** What the model was trained on. */
  data?: TrainingDataRecord;
  /** How a stream-mode model read its text. */
  stream?: StreamReading;
}

/** The bytes of a model file (or, with `extras.checkpoint`, of a checkpoint). */
export function encodeModelFile(model: RnnModel, tokenizer: Tokenizer, extras: ModelFileExtras = {}): Uint8Array {
  const { checkpoint, data, stream } = extras;
  if (tokenizer.size !== model.config.vocabSize) throw new Error(`tokenizer has ${tokenizer.size} tokens, model expects ${model.config.vocabSize}`);
  const fileDType = model.config.dtype === 'float64' ? 'F64' : 'F32';
  const tensors: Record<string, FloatTensorInput> = {};
  const addAll = (prefix: string, flat: FloatArray) => {
    for (const slot of model.layout.slots) {
      tensors[prefix + pytorchName(slot.name)] = { dtype: fileDType, shape: slot.shape, data: flat.subarray(slot.offset, slot.offset + slot.size) };
    }
  };
  addAll('', model.params);
  const units = gatesPerUnit(model.config.cell) * model.config.hidden;
  // The seed's one bias b1 is PyTorch's bias_ih; its bias_hh is zeros (the GRU has its own, written above).
  if (!model.layout.has('bh')) {
    for (let layer = 0; layer < model.config.layers; layer++)
      tensors[secondBias(layer)] = { dtype: fileDType, shape: [units], data: allocate(model.config.dtype, units) };
  }
  const metadata: Record<string, string> = { format: 'pt', bptt: JSON.stringify(modelMetadata(model, tokenizer, data, stream)) };
  if (checkpoint) {
    for (const [state, flat] of Object.entries(checkpoint.optimizerState)) addAll(`${OPTIMIZER_PREFIX}${state}.`, flat);
    metadata.bptt_training = JSON.stringify(checkpoint.training);
  }
  return serializeSafetensors(tensors, metadata);
}

/**
 * About how many bytes the model file of `config` takes, with `optimizerStates` arrays for a checkpoint
 * (Adagrad: 1), computed from the shapes without allocating anything: for checking the free disk space
 * before training. Tensors exactly; the header (names, vocabulary, recipe) is allowed 64 KiB.
 */
export function modelFileBytes(config: ModelConfig, optimizerStates = 0): number {
  const elements = new ParameterLayout(parameterSpecs(config)).size;
  const secondBiases = config.cell === 'gru' ? 0 : config.layers * gatesPerUnit(config.cell) * config.hidden;
  return (elements * (1 + optimizerStates) + secondBiases) * (config.dtype === 'float64' ? 8 : 4) + 64 * 1024;
}

/** Reads a model file or checkpoint, checking everything; `source` names the file in errors. */
export function decodeModelFile(bytes: Uint8Array, source: string, kernels?: Kernels): SavedModel {
  const file = parseSafetensors(bytes, source);
  const fail = (problem: string, hint: string): never => {
    throw new BpttError(`${source}: ${problem}`, hint);
  };
  const notOurs = 'give a model file written by bptt (bptt train --out FILE)';

  const raw = file.metadata.bptt;
  if (raw === undefined) fail('is a safetensors file but not a bptt model (no "bptt" metadata)', notOurs);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('its "bptt" metadata is not valid JSON', notOurs);
  }
  const metadata = checkMetadata(parsed, fail);
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromSpec(metadata);
  } catch (error) {
    return fail(`its vocabulary is unusable (${(error as Error).message.split('; ')[0]})`, notOurs);
  }

  const firstTensor = file.tensors.get(PYTORCH_NAMES.Wh);
  const dtype: DType = firstTensor?.dtype === 'F64' ? 'float64' : 'float32';
  const config: ModelConfig = {
    cell: metadata.cell,
    activation: metadata.activation,
    vocabSize: tokenizer.size,
    hidden: metadata.hidden,
    embed: metadata.embed,
    layers: metadata.layers,
    dtype,
    init: metadata.init,
  };
  /** The tensor `name`, checked to exist with a float dtype and exactly `shape`. */
  const checkedTensor = (name: string, shape: readonly number[]): Tensor => {
    const tensor: Tensor | undefined = file.tensors.get(name);
    if (!tensor) return fail(`tensor ${name} is missing`, 'the file is incomplete or from another architecture; train again or re-export it');
    if (tensor.dtype !== 'F32' && tensor.dtype !== 'F64')
      fail(`tensor ${name} has dtype ${tensor.dtype}`, 'bptt reads F32 and F64 tensors; convert the weights to float32');
    if (tensor.shape.length !== shape.length || tensor.shape.some((dim, i) => dim !== shape[i])) {
      fail(
        `tensor ${name} has shape [${tensor.shape.join(', ')}], the metadata implies [${shape.join(', ')}]`,
        'the file is damaged or its metadata does not match its weights',
      );
    }
    return tensor;
  };
  const readTensor = (name: string, shape: readonly number[]): FloatArray => {
    const tensor = checkedTensor(name, shape);
    const values = dtype === 'float64' ? tensorToFloat64(tensor, name) : tensorToFloat32(tensor, name);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        fail(`tensor ${name} holds a non-finite value (${values[i]}) at index ${i}`, 'the weights are unusable; use an earlier checkpoint');
    }
    return values;
  };

  // The metadata is untrusted: a file of a few hundred bytes could claim hidden = 1,000,000, a model of
  // terabytes. So every tensor it implies is checked against the file's own tensors (which the reader has
  // already fitted inside the file) before the model is allocated: then the model is never larger than the file.
  for (const slot of new ParameterLayout(parameterSpecs(config)).slots) checkedTensor(pytorchName(slot.name), slot.shape);
  const model = new RnnModel(config, kernels);

  const expected = new Set<string>(Array.from({ length: metadata.layers }, (_, layer) => secondBias(layer)));
  const views = model.layout.views(model.params);
  for (const slot of model.layout.slots) {
    const name = pytorchName(slot.name);
    expected.add(name);
    views[slot.name].set(readTensor(name, slot.shape));
  }
  // On import the two PyTorch biases become the seed's one: b1 = b_ih + b_hh (the GRU keeps both).
  if (!model.layout.has('bh')) {
    const units = gatesPerUnit(metadata.cell) * metadata.hidden;
    model.layerWeights.forEach((w, layer) => {
      const bias = readTensor(secondBias(layer), [units]);
      for (let i = 0; i < units; i++) w.b1[i] += bias[i];
    });
  }

  let checkpoint: SavedCheckpoint | undefined;
  const optimizerStates = new Set<string>();
  for (const name of file.tensors.keys()) {
    if (expected.has(name)) continue;
    const match = name.startsWith(OPTIMIZER_PREFIX) ? /^optimizer\.([A-Za-z]+)\./.exec(name) : null;
    if (!match) fail(`unexpected tensor ${name}`, 'the file holds a different architecture than its metadata says');
    optimizerStates.add(match![1]);
  }
  if (optimizerStates.size > 0 || file.metadata.bptt_training !== undefined) {
    let training: unknown;
    try {
      training = JSON.parse(file.metadata.bptt_training ?? 'null');
    } catch {
      fail('its "bptt_training" metadata is not valid JSON', 'the checkpoint is damaged; use another one');
    }
    if (typeof training !== 'object' || training === null || Array.isArray(training))
      fail('a checkpoint without a training position', 'the checkpoint is damaged; use another one');
    const optimizerState: Record<string, FloatArray> = {};
    for (const state of optimizerStates) {
      const flat = model.layout.allocate(dtype);
      for (const slot of model.layout.slots) flat.set(readTensor(`${OPTIMIZER_PREFIX}${state}.${pytorchName(slot.name)}`, slot.shape), slot.offset);
      optimizerState[state] = flat;
    }
    checkpoint = { optimizerState, training: training as Record<string, unknown> };
  }
  return { model, tokenizer, metadata, checkpoint };
}

function checkMetadata(value: unknown, fail: (problem: string, hint: string) => never): ModelMetadata {
  const hint = 'the file is damaged or was written by another program';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('its "bptt" metadata is not a JSON object', hint);
  const m = value as Record<string, unknown>;
  const positiveInteger = (key: string, min: number) => {
    const v = m[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > 1_000_000)
      fail(`metadata "${key}" is ${JSON.stringify(v)}, not an integer ≥ ${min}`, hint);
    return v as number;
  };
  const version = positiveInteger('version', 1);
  if (version > MODEL_FILE_VERSION)
    fail(`the file has format version ${version}; this bptt reads up to ${MODEL_FILE_VERSION}`, 'upgrade bptt (npm install bptt@latest)');
  if (!CELLS.includes(m.cell as Cell)) fail(`cell ${JSON.stringify(m.cell)} is not supported`, `this version of bptt reads the cells ${CELLS.join(', ')}`);
  if (!ACTIVATIONS.includes(m.activation as Activation)) fail(`activation ${JSON.stringify(m.activation)} is not one of ${ACTIVATIONS.join(', ')}`, hint);
  const layers = positiveInteger('layers', 1);
  if (layers > MAX_LAYERS) fail(`${layers} layers are more than bptt reads`, `the most is ${MAX_LAYERS}`);
  const vocab = m.vocab;
  if (m.tokenizer === 'char') {
    if (!Array.isArray(vocab) || vocab.length < 2 || vocab.some((t) => typeof t !== 'string' || Array.from(t).length !== 1)) {
      fail('metadata "vocab" is not a list of at least two single characters', hint);
    }
  } else if (m.tokenizer === 'word') {
    if (!Array.isArray(vocab) || vocab.length < 2 || vocab.some((t) => typeof t !== 'string' || t === ''))
      fail('metadata "vocab" is not a list of at least two tokens', hint);
    if (typeof m.unknown !== 'string') fail('metadata "unknown" (the unknown token of a word model) is missing', hint);
  } else fail(`tokenizer ${JSON.stringify(m.tokenizer)} is not supported`, 'this version of bptt reads the tokenizers "char" and "word"');
  const init = m.init === 'seed' || m.init === 'scaled' ? m.init : 'scaled';
  let stream: StreamReading | undefined;
  if (m.stream !== undefined) {
    const s = m.stream as Record<string, unknown>;
    const counts = [s?.streams, s?.steps];
    if (
      typeof s !== 'object' ||
      s === null ||
      counts.some((v) => typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 1_000_000) ||
      !DOCUMENT_BOUNDARIES.includes(s.documents as DocumentBoundary)
    ) {
      fail(`metadata "stream" is ${JSON.stringify(m.stream)}, not {streams, steps, documents}`, hint);
    }
    stream = { streams: s.streams as number, steps: s.steps as number, documents: s.documents as DocumentBoundary };
  }
  return {
    version,
    cell: m.cell as Cell,
    activation: m.activation as Activation,
    hidden: positiveInteger('hidden', 1),
    layers,
    embed: positiveInteger('embed', 0),
    tokenizer: m.tokenizer as TokenizerKind,
    vocab: vocab as string[],
    ...(m.tokenizer === 'word' ? { unknown: m.unknown as string } : {}),
    lowercase: m.lowercase === true,
    dtype: m.dtype === 'float64' ? 'float64' : 'float32',
    init,
    ...(stream ? { stream } : {}),
    ...(dataRecord(m.data) ? { data: m.data as TrainingDataRecord } : {}),
  };
}

/** Whether a metadata "data" value is a usable record (a damaged one is left out: it only informs). */
function dataRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  return typeof d.source === 'string' && typeof d.fingerprint === 'string' && typeof d.lines === 'number' && (d.run === undefined || typeof d.run === 'string');
}

/** How importStateDict reads a PyTorch state dict. */
export interface ImportOptions {
  /** The tokens in the index order the PyTorch model was trained with. */
  vocab: string[];
  /** The vanilla RNN's nonlinearity (a state dict does not record it); ignored for LSTM and GRU. */
  activation: Activation;
  lowercase: boolean;
}

/**
 * A PyTorch state dict (safetensors, names as in the table at the top of this
 * file, any number of layers) → the bytes of a bptt model file. The cell and sizes are
 * read from the tensor shapes: weight_hh_l0 is (G·H × H) with G = 1 (RNN),
 * 3 (GRU) or 4 (LSTM); the vocabulary must be given, since a state dict has none.
 */
export function importStateDict(bytes: Uint8Array, source: string, options: ImportOptions): Uint8Array {
  const file = parseSafetensors(bytes, source);
  const fail = (problem: string, hint: string): never => {
    throw new BpttError(`${source}: ${problem}`, hint);
  };
  const shapeOf = (name: string) => file.tensors.get(name)?.shape;
  const recurrent = shapeOf(PYTORCH_NAMES.Wh);
  if (!recurrent || recurrent.length !== 2)
    return fail(`has no 2-D tensor ${PYTORCH_NAMES.Wh}`, 'save the state dict of a module with attributes rnn (nn.RNN, nn.LSTM or nn.GRU) and fc (nn.Linear)');
  let layers = 1;
  while (file.tensors.has(`rnn.weight_hh_l${layers}`)) layers++;
  const [rows, hidden] = recurrent;
  const cell = ({ 1: 'rnn', 3: 'gru', 4: 'lstm' } as Record<number, Cell | undefined>)[rows / hidden];
  if (!cell) return fail(`${PYTORCH_NAMES.Wh} has shape [${rows}, ${hidden}], which is no RNN, GRU or LSTM`, 'its rows must be 1, 3 or 4 times its columns');
  const vocabSize = shapeOf(PYTORCH_NAMES.U)?.[0];
  if (vocabSize !== options.vocab.length) {
    fail(
      `fc.weight has ${vocabSize ?? 'no'} rows but the vocabulary has ${options.vocab.length} tokens`,
      'give the data (and --lowercase) the model was trained on',
    );
  }
  const embed = shapeOf(PYTORCH_NAMES.embedding)?.[1] ?? 0;
  const metadata: ModelMetadata = {
    version: MODEL_FILE_VERSION,
    cell,
    activation: options.activation,
    hidden,
    layers,
    embed,
    tokenizer: 'char',
    vocab: options.vocab,
    lowercase: options.lowercase,
    dtype: file.tensors.get(PYTORCH_NAMES.Wh)!.dtype === 'F64' ? 'float64' : 'float32',
    init: 'scaled',
  };
  const imported = serializeSafetensors(Object.fromEntries(file.tensors), { format: 'pt', bptt: JSON.stringify(metadata) });
  decodeModelFile(imported, source); // every check of a bptt file: shapes, dtypes, finite values
  return imported;
}

/**
 * A bptt model as an ONNX graph, for ONNX Runtime (servers, phones, onnxruntime-web in pages).
 *
 *   inputs   input_ids  int64   [batch, time]           token ids
 *            h0         float32 [layers, batch, hidden] the state to start from (zeros for a new name)
 *            c0         float32 [layers, batch, hidden] the LSTM's cell state only
 *   outputs  logits     float32 [batch, time, vocab]    θ(t) of Eq. 2.1 at every step
 *            hn (cn)    float32 [layers, batch, hidden] the state after the last step
 *
 * batch and time are dynamic. The graph, per part of the seed:
 *   x(t)       Gather(embedding, ids), or OneHot(ids) for the seed's one-hot input
 *   (1.1)(1.2) one ONNX RNN / LSTM / GRU node per layer (its activations, gate order and
 *              biases set to compute exactly bptt's cell), the layers stacked by feeding Y on
 *   (2.1)      MatMul(h, Uᵀ) + b2
 * The ONNX recurrent operators are sequence-major ([time, batch, ·]), so the input is transposed
 * once before the first layer and the top layer's h once before (2.1).
 * Dropout is a training-time operation (config.ts): inference has none, as bptt's own sampling.
 *
 * The model file's "bptt" metadata (architecture, tokenizer, vocabulary in index order) goes into the
 * ONNX model's metadata_props under the same key, so a page can encode and decode text from it.
 * The protobuf is written by protobufjs's code generated from ONNX's onnx.proto (the onnx-proto package).
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { FloatArray } from '../core/arrays.js';
import type { RnnModel } from '../model/rnn-model.js';
import { statesPerUnit } from '../model/config.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { modelMetadata } from '../io/model-file.js';

const { onnx } = onnxProto;

/** The operator set the graph is written against (ONNX's default domain); RNN/LSTM/GRU are at version 14 there. */
export const ONNX_OPSET = 17;
/** The protobuf format's version that opset 17 belongs to. */
export const ONNX_IR_VERSION = 8;

/** Names of the graph's inputs and outputs (docs/onnx.md). */
export const ONNX_NAMES = { ids: 'input_ids', h0: 'h0', c0: 'c0', logits: 'logits', hn: 'hn', cn: 'cn' } as const;

/** Which of our gate blocks go where in ONNX's: LSTM ours i,f,g,o → ONNX's i,o,f,c; GRU ours r,u(z),n → ONNX's z,r,h. */
const GATE_ORDER = { rnn: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] } as const;

/** The ONNX activation name of each of bptt's σ (Eq. 1.2). */
const ACTIVATION_NAMES = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' } as const;

/**
 * A float32 initializer of `shape` from `values` (float64 models are exported in float32). ONNX's raw_data
 * is little-endian, as typed arrays are on every machine JavaScript runs on.
 */
function floatTensor(name: string, shape: readonly number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  const data = Float32Array.from(values);
  return { name, dims: [...shape], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
}

function int64Tensor(name: string, values: readonly number[]): OnnxTypes.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}

/** Rows of a (blocks·H × cols) matrix reordered block by block: block j of the result is block order[j] of `m`. */
function reorderBlocks(m: FloatArray, H: number, cols: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(order.length * H * cols);
  order.forEach((block, j) => out.set(m.subarray(block * H * cols, (block + 1) * H * cols), j * H * cols));
  return out;
}

/** Transpose of a (rows × cols) row-major matrix. */
function transpose(m: FloatArray, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

function attribute(name: string, value: number | number[] | string[]): OnnxTypes.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: A.INT, i: value };
  if (typeof value[0] === 'number') return { name, type: A.INTS, ints: value as number[] };
  return { name, type: A.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) };
}

function node(opType: string, inputs: string[], outputs: string[], attributes: OnnxTypes.IAttributeProto[] = []): OnnxTypes.INodeProto {
  return { opType, input: inputs, output: outputs, name: outputs[0], attribute: attributes };
}

/** A graph input or output: element type and shape, with named (dynamic) or fixed dimensions. */
function valueInfo(name: string, elemType: number, dims: (string | number)[]): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** The bytes of an .onnx file computing `model` (see the top of this file). */
export function exportOnnx(model: RnnModel, tokenizer: Tokenizer, producerVersion = ''): Uint8Array {
  const { cell, activation, hidden: H, vocabSize: V, embed: d, layers: L } = model.config;
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const INT64 = onnx.TensorProto.DataType.INT64;
  const lstm = statesPerUnit(cell) === 2;
  const order = GATE_ORDER[cell];
  const units = order.length * H;
  const initializers: OnnxTypes.ITensorProto[] = [];
  const nodes: OnnxTypes.INodeProto[] = [];

  // x(t) for every (batch, time), then sequence-major [time, batch, D] for the recurrent operators.
  if (d > 0) {
    initializers.push(floatTensor('embedding.weight', [V, d], model.weights.embedding));
    nodes.push(node('Gather', ['embedding.weight', ONNX_NAMES.ids], ['x'], [attribute('axis', 0)]));
  } else {
    // One-hot: OneHot(ids, depth V, values [off, on]), float from the type of `values`.
    initializers.push(int64Tensor('vocab_size', [V]), floatTensor('one_hot_values', [2], [0, 1]));
    nodes.push(node('OneHot', [ONNX_NAMES.ids, 'vocab_size', 'one_hot_values'], ['x'], [attribute('axis', -1)]));
  }
  nodes.push(node('Transpose', ['x'], ['x_time_major'], [attribute('perm', [1, 0, 2])]));
  initializers.push(int64Tensor('axis_1', [1]));

  let input = 'x_time_major';
  const finalH: string[] = [];
  const finalC: string[] = [];
  for (let layer = 0; layer < L; layer++) {
    const w = model.layerWeights[layer];
    const D = layer > 0 ? H : d > 0 ? d : V;
    const name = (base: string) => `${base}_l${layer}`;
    // W, R: [1, units, ·] in ONNX's gate order; B: [1, 2·units] = [input biases (Wb), recurrent biases (Rb)].
    // bptt has one bias b1 (the seed's), so Rb is zeros; the GRU keeps its own bh, which ONNX's
    // linear_before_reset = 1 applies inside r ∘ (R·h + Rb), as bptt's (G.1)–(G.4) and PyTorch's GRU do.
    const bias = new Float32Array(2 * units);
    bias.set(reorderBlocks(w.b1, H, 1, order), 0);
    if (cell === 'gru') bias.set(reorderBlocks(w.bh, H, 1, order), units);
    initializers.push(
      floatTensor(name('W'), [1, units, D], reorderBlocks(w.Wx, H, D, order)),
      floatTensor(name('R'), [1, units, H], reorderBlocks(w.Wh, H, H, order)),
      floatTensor(name('B'), [1, 2 * units], bias),
      int64Tensor(name('layer_start'), [layer]),
      int64Tensor(name('layer_end'), [layer + 1]),
    );
    // This layer's slice [1, batch, hidden] of h0 (and c0).
    nodes.push(node('Slice', [ONNX_NAMES.h0, name('layer_start'), name('layer_end')], [name('h0')]));
    if (lstm) nodes.push(node('Slice', [ONNX_NAMES.c0, name('layer_start'), name('layer_end')], [name('c0')]));
    const hiddenSize = attribute('hidden_size', H);
    const outputs = [name('Y'), name('Y_h'), ...(lstm ? [name('Y_c')] : [])];
    // Inputs X, W, R, B, sequence_lens (none: every row runs all steps), initial_h (, initial_c).
    const inputs = [input, name('W'), name('R'), name('B'), '', name('h0'), ...(lstm ? [name('c0')] : [])];
    if (cell === 'rnn') nodes.push(node('RNN', inputs, outputs, [hiddenSize, attribute('activations', [ACTIVATION_NAMES[activation]])]));
    else if (cell === 'lstm')
      nodes.push(node('LSTM', inputs, outputs, [hiddenSize])); // σ, tanh, tanh: the defaults, bptt's (L.2)–(L.4)
    else nodes.push(node('GRU', inputs, outputs, [hiddenSize, attribute('linear_before_reset', 1)]));
    // Y is [time, directions = 1, batch, hidden]: drop the directions axis for the next layer.
    nodes.push(node('Squeeze', [name('Y'), 'axis_1'], [name('h')]));
    input = name('h');
    finalH.push(name('Y_h'));
    finalC.push(name('Y_c'));
  }
  const concat = (parts: string[], out: string) =>
    nodes.push(parts.length === 1 ? node('Identity', parts, [out]) : node('Concat', parts, [out], [attribute('axis', 0)]));
  concat(finalH, ONNX_NAMES.hn);
  if (lstm) concat(finalC, ONNX_NAMES.cn);

  // (2.1) θ = U·h + b2 at every step, batch-major again: [batch, time, hidden]·Uᵀ + b2.
  initializers.push(floatTensor('fc.weight_transposed', [H, V], transpose(model.weights.U, V, H)), floatTensor('fc.bias', [V], model.weights.b2));
  nodes.push(
    node('Transpose', [input], ['h_batch_major'], [attribute('perm', [1, 0, 2])]),
    node('MatMul', ['h_batch_major', 'fc.weight_transposed'], ['theta_without_bias']),
    node('Add', ['theta_without_bias', 'fc.bias'], [ONNX_NAMES.logits]),
  );

  const stateShape = [L, 'batch', H];
  const graph: OnnxTypes.IGraphProto = {
    name: `bptt_${cell}`,
    node: nodes,
    initializer: initializers,
    input: [
      valueInfo(ONNX_NAMES.ids, INT64, ['batch', 'time']),
      valueInfo(ONNX_NAMES.h0, FLOAT, stateShape),
      ...(lstm ? [valueInfo(ONNX_NAMES.c0, FLOAT, stateShape)] : []),
    ],
    output: [
      valueInfo(ONNX_NAMES.logits, FLOAT, ['batch', 'time', V]),
      valueInfo(ONNX_NAMES.hn, FLOAT, stateShape),
      ...(lstm ? [valueInfo(ONNX_NAMES.cn, FLOAT, stateShape)] : []),
    ],
  };
  const modelProto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'bptt',
    producerVersion,
    graph,
    metadataProps: [{ key: 'bptt', value: JSON.stringify(modelMetadata(model, tokenizer)) }],
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

/**
 * The ONNX export, run in ONNX Runtime (onnxruntime-web's WebAssembly build, which runs in Node
 * without native parts): for every cell, one and two layers, one-hot and embedded input, the graph's
 * logits and final states match bptt's own forward pass (RnnModel.step, step after step) to 1e-5,
 * from a random initial state, for a batch of random token ids.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-web';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocate, CharTokenizer, Random, RnnModel, type Activation, type Cell, type DType, type ModelConfig } from '../../src/index.js';
import { exportOnnx, ONNX_NAMES, ONNX_OPSET } from '../../src/export/onnx.js';
import { expectClose, repoRoot } from '../helpers.js';

const tokenizer = CharTokenizer.fromText('abcdefghij\n');
const V = tokenizer.size;
const H = 7;
const B = 3;
const T = 5;

beforeAll(() => {
  ort.env.wasm.numThreads = 1; // no worker threads: the test machine is shared
});

/** bptt's logits [B, T, V] and final state (per layer h, then c for the LSTM: [layers, B, H] each) from the initial state `state0`. */
function bpttRun(model: RnnModel, ids: Int32Array[], state0: Float32Array) {
  const S = model.stateSize;
  const dtype = model.config.dtype;
  let state = allocate(dtype, state0.length);
  state.set(state0);
  const logits = new Float32Array(B * T * V);
  const stepLogits = allocate(dtype, B * V);
  for (let t = 0; t < T; t++) {
    const next = allocate(dtype, B * S);
    model.step(
      Int32Array.from({ length: B }, (_, r) => ids[r][t]),
      state,
      next,
      stepLogits,
    );
    for (let r = 0; r < B; r++) logits.set(stepLogits.subarray(r * V, (r + 1) * V), (r * T + t) * V);
    state = next;
  }
  return { logits, state: Float32Array.from(state) };
}

/** bptt's state (per layer: h rows, then c rows) → ONNX's h and c tensors [layers, B, H]. */
function splitState(state: Float32Array, layers: number, lstm: boolean) {
  const h = new Float32Array(layers * B * H);
  const c = new Float32Array(layers * B * H);
  const S = (lstm ? 2 : 1) * B * H;
  for (let l = 0; l < layers; l++) {
    h.set(state.subarray(l * S, l * S + B * H), l * B * H);
    if (lstm) c.set(state.subarray(l * S + B * H, (l + 1) * S), l * B * H);
  }
  return { h, c };
}

const cases: [Cell, Activation][] = [
  ['rnn', 'sigmoid'],
  ['rnn', 'tanh'],
  ['rnn', 'relu'],
  ['lstm', 'sigmoid'],
  ['gru', 'sigmoid'],
];

/** Runs the graph of `model` and bptt's forward pass from the same random state on the same random ids; checks they agree to 1e-5. */
async function expectSameAsBptt(model: RnnModel, seed: number) {
  const { cell, layers } = model.config;
  const random = new Random(11, seed);
  const ids = Array.from({ length: B }, () => Int32Array.from({ length: T }, () => Math.floor(random.uniform() * V)));
  const state0 = Float32Array.from({ length: B * model.stateSize }, () => random.uniform() - 0.5);
  const expected = bpttRun(model, ids, state0);

  const session = await ort.InferenceSession.create(exportOnnx(model, tokenizer));
  const lstm = cell === 'lstm';
  const start = splitState(state0, layers, lstm);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flatMap((row) => Array.from(row, BigInt))), [B, T]),
    h0: new ort.Tensor('float32', start.h, [layers, B, H]),
  };
  if (lstm) feeds.c0 = new ort.Tensor('float32', start.c, [layers, B, H]);
  const out = await session.run(feeds);
  expect(out.logits.dims).toEqual([B, T, V]);
  expectClose('logits', out.logits.data as Float32Array, expected.logits, 1e-5);
  const end = splitState(expected.state, layers, lstm);
  expect(out.hn.dims).toEqual([layers, B, H]);
  expectClose('hn', out.hn.data as Float32Array, end.h, 1e-5);
  if (lstm) expectClose('cn', out.cn.data as Float32Array, end.c, 1e-5);
  await session.release();
}

describe('bptt export onnx: ONNX Runtime computes what bptt computes', () => {
  for (const [cell, activation] of cases) {
    for (const layers of [1, 2]) {
      for (const embed of [0, 4]) {
        it(`${cell}${cell === 'rnn' ? ` ${activation}` : ''}, ${layers} layer(s), ${embed ? 'embedding' : 'one-hot'}`, async () => {
          const config: ModelConfig = { cell, activation, vocabSize: V, hidden: H, embed, layers, dtype: 'float32', init: 'scaled' };
          await expectSameAsBptt(RnnModel.initialized(config, 7 + layers + embed), layers);
        });
      }
    }
  }

  it.each(['lstm', 'rnn'] as const)("a float64 %s model runs in float32, as close to bptt's float64 run", async (cell) => {
    const dtype: DType = 'float64';
    await expectSameAsBptt(RnnModel.initialized({ cell, activation: 'sigmoid', vocabSize: V, hidden: H, embed: 4, layers: 2, dtype, init: 'scaled' }, 4), 3);
  });

  it('batch and time are dynamic; the opset and the vocabulary are in the file', async () => {
    const model = RnnModel.initialized({ cell: 'gru', activation: 'tanh', vocabSize: V, hidden: H, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' }, 3);
    const bytes = exportOnnx(model, tokenizer);
    const session = await ort.InferenceSession.create(bytes);
    for (const [b, t] of [
      [1, 1],
      [4, 9],
    ]) {
      const out = await session.run({
        input_ids: new ort.Tensor('int64', new BigInt64Array(b * t), [b, t]),
        h0: new ort.Tensor('float32', new Float32Array(b * H), [1, b, H]),
      });
      expect(out.logits.dims).toEqual([b, t, V]);
    }
    const decoded = onnxProto.onnx.ModelProto.decode(bytes);
    expect(Number(decoded.opsetImport[0].version)).toBe(ONNX_OPSET);
    const metadata = JSON.parse(decoded.metadataProps.find((p) => p.key === 'bptt')!.value!);
    expect(metadata.vocab).toEqual([...tokenizer.tokens]);
    expect(metadata.tokenizer).toBe('char');
  });
});

describe('docs/onnx.md', () => {
  const page = readFileSync(join(repoRoot, 'docs', 'onnx.md'), 'utf8');

  it('states the opset and the names the graph has', () => {
    expect(page).toContain(`opset **${ONNX_OPSET}**`);
    for (const name of Object.values(ONNX_NAMES)) expect(page).toContain(`\`${name}\``);
  });

  it("the web page example samples a name (run in Node, with the page's fetch and document stubbed)", async () => {
    const example = /```js\n([\s\S]*?)```/.exec(page)![1];
    const model = RnnModel.initialized(
      { cell: 'lstm', activation: 'sigmoid', vocabSize: V, hidden: H, embed: 4, layers: 2, dtype: 'float32', init: 'scaled' },
      9,
    );
    const bytes = exportOnnx(model, tokenizer);
    const globals = globalThis as unknown as Record<string, unknown>;
    globals.fetch = async (url: string) => (url === 'dinosaurs.onnx' ? new Response(bytes as Uint8Array<ArrayBuffer>) : new Response(null, { status: 404 }));
    globals.document = { body: { textContent: undefined } };
    // Beside the repository's node_modules, so that the example's imports resolve as in a bundler.
    const file = join(repoRoot, 'test', 'export', `.onnx-example-${process.pid}.mjs`);
    writeFileSync(file, example);
    try {
      await import(pathToFileURL(file).href);
    } finally {
      rmSync(file, { force: true });
    }
    const name = (globals.document as { body: { textContent: string } }).body.textContent;
    expect(typeof name).toBe('string');
    expect([...name].every((char) => tokenizer.tokens.includes(char) && char !== '\n')).toBe(true);
  });
});

/**
 * Mode 'stream': the windows of B parallel streams, resets at document
 * boundaries, carried state, training, resuming and threads.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArrayTokenSource,
  batchFromRows,
  CharTokenizer,
  DataParallel,
  decodeCheckpoint,
  DEFAULT_RECIPE,
  encodeCheckpoint,
  evaluateStreams,
  lineSequences,
  loadKernels,
  modelConfigOf,
  prepareStreams,
  Replica,
  restoreTrainer,
  RnnModel,
  TokenStreams,
  Trainer,
  trainOptionsOf,
  WasmKernels,
  type WasmVariant,
  type Batch,
  type DocumentBoundary,
  type Recipe,
  type ReplicaChannel,
} from '../../src/index.js';
import { dinosPath, expectSameLossAndGradients, sameThreadChannel } from '../helpers.js';

const dinos = readFileSync(dinosPath, 'utf8');

/** Column b of a time-major (T×B) array. */
const column = (values: ArrayLike<number>, batch: Batch, b: number) => Array.from({ length: batch.steps }, (_, t) => values[t * batch.rows + b]);

describe('TokenStreams', () => {
  const ids = Int32Array.from({ length: 103 }, (_, i) => i % 50);
  const streams = new TokenStreams(new ArrayTokenSource(ids), 0, ids.length, { streams: 4, steps: 10, documents: 'none', endId: 49 });

  it('cuts the positions into B contiguous streams read in windows of T (the last one shorter)', () => {
    expect(streams.streamLength).toBe(25); // 102 positions (input, target) / 4, the remainder dropped
    expect(streams.windows).toBe(3);
    expect(streams.tokens).toBe(100);
    const lengths = [0, 1, 2].map((w) => streams.window(w).steps);
    expect(lengths).toEqual([10, 10, 5]);
    for (let b = 0; b < 4; b++) {
      const inputs = [0, 1, 2].flatMap((w) => column(streams.window(w).inputs, streams.window(w), b));
      const targets = [0, 1, 2].flatMap((w) => column(streams.window(w).targets, streams.window(w), b));
      expect(inputs).toEqual(Array.from(ids.subarray(25 * b, 25 * b + 25)));
      expect(targets).toEqual(Array.from(ids.subarray(25 * b + 1, 25 * b + 26)));
    }
    expect(streams.window(0).resets).toBeUndefined();
  });

  it.each([
    ['line', [1, 4, 5, 7]],
    ['blank-line', [5]],
    ['none', []],
  ] as const)('documents %s: resets exactly where a document starts, also across a window edge', (documents: DocumentBoundary, expected: readonly number[]) => {
    // x: "\n a b \n \n c \n d e" as ids, 0 = '\n'. With T = 5 the "\n\n" pair spans windows 0 and 1.
    const text = Int32Array.from([1, 0, 2, 3, 0, 0, 4, 0, 5, 6]);
    const one = new TokenStreams(new ArrayTokenSource(text), 0, text.length, { streams: 1, steps: 5, documents, endId: 0 });
    const resetAt: number[] = [];
    for (let w = 0; w < one.windows; w++) {
      const batch = one.window(w);
      column(batch.resets ?? new Uint8Array(batch.steps), batch, 0).forEach((r, t) => r && resetAt.push(w * 5 + t));
    }
    expect(resetAt).toEqual(expected);
  });
});

describe('stream mode equals one long unrolled sequence', () => {
  const recipe: Recipe = {
    ...DEFAULT_RECIPE,
    mode: 'stream',
    batchSize: 1,
    validationFraction: 0,
    documents: 'none',
    hidden: 12,
    embed: 4,
    dtype: 'float64',
    cell: 'lstm',
    dropout: 0,
  };
  const text = 'the quick brown fox jumps over the lazy dog\nand then some more text\n';

  it('carried state over windows of 7 gives the loss of the unrolled text (evaluation)', () => {
    const windows = prepareStreams(text, { ...recipe, seqLength: 7 }, 'text');
    const model = RnnModel.initialized(modelConfigOf(recipe, windows.tokenizer.size), 3);
    const ids = windows.tokenizer.encode(text);
    const unrolled = model.forward(batchFromRows([ids.slice(0, -1)], [ids.slice(1)]));
    const result = evaluateStreams(model, windows.train);
    expect(windows.train.windows).toBe(10);
    expect(result.tokens).toBe(ids.length - 1);
    expect(Math.abs(result.natsPerToken * result.tokens - unrolled)).toBeLessThan(1e-12);
  });

  it('with one window (no truncation) a training step has the gradients of the unrolled text', () => {
    const whole = prepareStreams(text, { ...recipe, seqLength: 1000 }, 'text');
    const model = RnnModel.initialized(modelConfigOf(recipe, whole.tokenizer.size), 3);
    const reference = RnnModel.initialized(modelConfigOf(recipe, whole.tokenizer.size), 3);
    const ids = whole.tokenizer.encode(text);
    reference.forward(batchFromRows([ids.slice(0, -1)], [ids.slice(1)]));
    reference.backward({ scale: 1, clip: Infinity });
    const trainer = new Trainer(model, whole.train, [], trainOptionsOf({ ...recipe, clip: 1e9, learningRate: 1e-9 }));
    trainer.trainStep();
    let worst = 0;
    model.grads.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - reference.grads[i]))));
    expect(worst).toBeLessThan(1e-12);
  });

  it('documents "line" over "\\nname\\n…" trains exactly like mode lines', () => {
    const names = ['aardonyx', 'abelisaurus', 'zuul'];
    const streams = prepareStreams(`\n${names.join('\n')}\n`, { ...recipe, seqLength: 1000, documents: 'line' }, 'names');
    const model = RnnModel.initialized(modelConfigOf(recipe, streams.tokenizer.size), 7);
    const reference = RnnModel.initialized(modelConfigOf(recipe, streams.tokenizer.size), 7);
    const sequences = lineSequences(names, streams.tokenizer);
    expectSameLossAndGradients(
      model,
      streams.train.window(0),
      reference,
      batchFromRows(
        sequences.map((s) => s.input),
        sequences.map((s) => s.target),
      ),
    );
  });
});

describe('training in stream mode', () => {
  // Without dropout: its masks follow each thread's rows, and the replicas test compares thread splits.
  const base: Recipe = {
    ...DEFAULT_RECIPE,
    mode: 'stream',
    seqLength: 64,
    batchSize: 32,
    hidden: 16,
    epochs: undefined,
    validationFraction: 0.05,
    documents: 'line',
    dropout: 0,
  };
  const setUp = (overrides: Partial<Recipe>) => {
    const recipe = { ...base, ...overrides };
    const data = prepareStreams(dinos, recipe, 'dinos.txt');
    const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed);
    return { recipe, data, model, trainer: new Trainer(model, data.train, data.validation ?? [], trainOptionsOf(recipe)) };
  };

  it('carries the state between windows and starts each epoch from zeros', async () => {
    const { trainer, data } = setUp({ steps: 11 });
    expect(trainer.batchesPerEpoch).toBe(10); // ⌈(18,914 − 1) / 32 / 64⌉: the last 5% of 19,909 characters are held out
    const checks: [number, number][] = [];
    trainer.on('epoch', (e) => {
      checks.push([e.validationLoss, evaluateStreams(trainer.model, data.validation!).natsPerToken]);
      expect(e.position.carriedState).toBeUndefined();
    });
    trainer.trainStep();
    expect(trainer.position.carriedState).toHaveLength(32 * trainer.model.stateSize);
    expect(Array.from(trainer.position.carriedState!)).toEqual(Array.from(trainer.model.finalState()));
    await trainer.run();
    expect(trainer.position).toMatchObject({ step: 11, epoch: 1, batchInEpoch: 1 });
    expect(checks).toHaveLength(1);
    expect(checks[0][0]).toBe(checks[0][1]);
  });

  it('evaluates every N steps with evaluateEvery, and the last weights when the budget ends', async () => {
    const { trainer } = setUp({ steps: 7, evaluateEvery: 3 });
    const at: number[] = [];
    trainer.on('evaluation', (e) => at.push(e.position.step));
    await trainer.run();
    expect(at).toEqual([3, 6, 7]);
  });

  it.each([
    ['rnn', 1],
    ['lstm', 2],
    ['gru', 1],
  ] as const)('resuming mid-epoch, carried state included, equals training straight through, bitwise (%s, %i layers)', async (cell, layers) => {
    const straight = setUp({ cell, layers, steps: 14 }); // 10 windows per epoch: crosses an epoch boundary
    await straight.trainer.run();

    const first = setUp({ cell, layers, steps: 5 });
    await first.trainer.run();
    const bytes = encodeCheckpoint(first.trainer, first.data.tokenizer, { recipe: first.recipe, dataSource: 'dinos.txt', dataFingerprint: 'x' });
    const checkpoint = decodeCheckpoint(bytes, 'checkpoint.safetensors');
    expect(checkpoint.training.position.carriedState).toHaveLength(32 * 16 * layers * (cell === 'lstm' ? 2 : 1));
    const recipe = { ...checkpoint.training.recipe, steps: 14 };
    const resumed = new Trainer(checkpoint.model, first.data.train, first.data.validation ?? [], trainOptionsOf(recipe));
    restoreTrainer(resumed, checkpoint);
    await resumed.run();

    expect(resumed.position.step).toBe(14);
    expect(Buffer.from(checkpoint.model.params.buffer).equals(Buffer.from(straight.model.params.buffer))).toBe(true);
    expect(resumed.position.carriedState).toEqual(straight.trainer.position.carriedState);
  });

  it("with data-parallel replicas, each thread's rows keep their carried state (matches one thread within float32 rounding)", async () => {
    const kernels = (await loadKernels('wasm-simd')) as WasmKernels;
    const run = async (replicas: number) => {
      const recipe = { ...base, cell: 'lstm' as const, steps: 6 };
      const data = prepareStreams(dinos, recipe, 'dinos.txt');
      const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), 3, kernels);
      const channels: ReplicaChannel[] = [];
      for (let i = 0; i < replicas; i++) {
        const replica = await Replica.create(
          { memory: kernels.memory, variant: kernels.variant, config: model.config, paramsAddress: model.params.byteOffset },
          (v, m) => WasmKernels.create(v as WasmVariant, m),
        );
        channels.push(sameThreadChannel(replica));
      }
      const parallel = replicas > 0 ? new DataParallel(model, kernels, channels) : undefined;
      const trainer = new Trainer(model, data.train, [], trainOptionsOf(recipe), { parallel });
      const losses: number[] = [];
      trainer.on('step', (e) => losses.push(e.loss));
      await trainer.run();
      return { losses, state: trainer.position.carriedState! };
    };
    const single = await run(0);
    const parallel = await run(2);
    parallel.losses.forEach((loss, i) => expect(Math.abs(loss - single.losses[i])).toBeLessThan(1e-4));
    expect(parallel.state).toHaveLength(single.state.length);
    let worst = 0;
    parallel.state.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - single.state[i]))));
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('mode stream on a text in memory', () => {
  it('holds ids in the smallest typed array for the vocabulary', () => {
    const streams = prepareStreams(dinos, { ...DEFAULT_RECIPE, mode: 'stream' }, 'dinos.txt');
    expect((streams.train.source as ArrayTokenSource).ids).toBeInstanceOf(Uint8Array);
    const wide = prepareStreams(
      Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i))
        .join('')
        .repeat(2),
      { ...DEFAULT_RECIPE, mode: 'stream', batchSize: 2 },
      'cjk',
    );
    expect((wide.train.source as ArrayTokenSource).ids).toBeInstanceOf(Uint16Array);
    expect(wide.tokenizer).toBeInstanceOf(CharTokenizer);
  });
});

/**
 * Divergence: when the loss becomes NaN or infinite, training stops with a
 * one-line "diverged" message, keeps the last good checkpoint and writes no
 * model file; the library's Trainer throws DivergenceError.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpttError } from '../../src/core/errors.js';
import { lineSequences, textLines } from '../../src/data/sequences.js';
import { encodeModelFile } from '../../src/io/model-file.js';
import { RnnModel } from '../../src/model/rnn-model.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { DivergenceError, Trainer, type TrainOptions } from '../../src/train/trainer.js';
import { describeRun, dinosPath, freshDir, hiddenFiles, runCliAsync, Sentinels } from './cli-helpers.js';

const dinoText = readFileSync(dinosPath, 'utf8');

/**
 * A model whose logits overflow float32: every hidden unit is saturated at
 * tanh(20) = 1 and every fc weight is 3e38, so each logit is 8 · 3e38 = +Infinity
 * and softmax gives NaN. The weights themselves are finite, so the file loads.
 */
function explodingModel(tokenizer: CharTokenizer): RnnModel {
  const model = RnnModel.initialized(
    { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' },
    1,
  );
  model.weights.b1.fill(20);
  model.weights.U.fill(3e38);
  return model;
}

/**
 * A model whose loss is finite but whose gradients are not: with Wx = 0 and
 * b1 = 0 every hidden state is exactly 0 (the loss is log V at the first
 * step), but Wh = 3e38 makes γ(t−1) = Whᵀ·dz(t) overflow float32 to ±Infinity
 * during BPTT, and Infinity · 0 (or Inf − Inf) gives NaN gradients for Wh.
 * Elementwise clipping lets NaN through, so Adagrad writes NaN into Wh.
 */
function finiteLossNanGradientModel(tokenizer: CharTokenizer): RnnModel {
  const model = RnnModel.initialized(
    { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' },
    1,
  );
  model.weights.Wx.fill(0);
  model.weights.b1.fill(0);
  model.weights.Wh.fill(3e38);
  return model;
}

const countNonFinite = (values: ArrayLike<number>) => Array.from(values).filter((v) => !Number.isFinite(v)).length;

const trainOptions: TrainOptions = { batchSize: 16, learningRate: 0.1, clip: 5, maxSteps: 3, shuffle: true, seed: 1 };

describe.concurrent('bptt train on diverging weights', () => {
  it('exits non-zero with one "diverged" line, keeps the checkpoint and writes no model', async () => {
    const dir = freshDir();
    const tokenizer = CharTokenizer.fromText(dinoText);
    writeFileSync(join(dir, 'bad.safetensors'), encodeModelFile(explodingModel(tokenizer), tokenizer));
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'ck.safetensors'), 'the last good checkpoint of an earlier run\n');
    sentinels.add(join(dir, 'bad.safetensors'));

    const result = await runCliAsync(dir, [
      'train',
      '--init',
      'bad.safetensors',
      '--data',
      dinosPath,
      '--checkpoint',
      'ck.safetensors',
      '--out',
      'out.safetensors',
    ]);
    const report = describeRun(result);
    expect(result.status, report).not.toBe(0);
    expect(result.status, report).not.toBeNull();
    expect(result.stdout, report).toBe('');
    const lines = result.stderr.trim().split('\n');
    const diverged = lines.filter((line) => line.includes('diverged'));
    expect(diverged, report).toHaveLength(1);
    // The message is the last thing printed, one line, no stack trace.
    expect(lines[lines.length - 1], report).toMatch(/^bptt: training diverged at step 1: the loss became (NaN|-?Infinity); .+/);
    expect(result.stderr, report).not.toMatch(/^\s+at /m);

    sentinels.expectUnchanged();
    expect(existsSync(join(dir, 'out.safetensors'))).toBe(false);
    expect(hiddenFiles(dir)).toEqual([]);
  });
});

describe.concurrent('bptt train when the loss is finite but the update is not', () => {
  /** Writes the model above as nan-grad.safetensors and a known checkpoint; returns the folder. */
  function setUp(): { dir: string; sentinels: Sentinels } {
    const dir = freshDir();
    const tokenizer = CharTokenizer.fromText(dinoText);
    writeFileSync(join(dir, 'nan-grad.safetensors'), encodeModelFile(finiteLossNanGradientModel(tokenizer), tokenizer));
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'ck.safetensors'), 'the last good checkpoint of an earlier run\n');
    return { dir, sentinels };
  }

  it('keeps the last good checkpoint when an update produces NaN weights', async () => {
    const { dir, sentinels } = setUp();
    const result = await runCliAsync(dir, [
      'train',
      '--init',
      'nan-grad.safetensors',
      '--data',
      dinosPath,
      '--batch',
      '4096',
      '--steps',
      '3',
      '--checkpoint',
      'ck.safetensors',
      '--out',
      'out.safetensors',
      '--print',
      '0',
    ]);
    expect(result.status, describeRun(result)).not.toBe(0);
    expect(result.stderr).toContain('diverged');
    expect(existsSync(join(dir, 'out.safetensors'))).toBe(false);
    sentinels.expectUnchanged();
  });

  it('does not report success and write an unusable model when the last update produces NaN', async () => {
    const { dir } = setUp();
    const result = await runCliAsync(dir, [
      'train',
      '--init',
      'nan-grad.safetensors',
      '--data',
      dinosPath,
      '--steps',
      '1',
      '--out',
      'out.safetensors',
      '--print',
      '0',
    ]);
    expect(result.status, describeRun(result)).not.toBe(0);
    expect(result.stderr).toContain('diverged');
    expect(existsSync(join(dir, 'out.safetensors'))).toBe(false);
  });

  it('whatever it reports, it never leaves temporary files behind', async () => {
    const { dir } = setUp();
    await runCliAsync(dir, [
      'train',
      '--init',
      'nan-grad.safetensors',
      '--data',
      dinosPath,
      '--batch',
      '4096',
      '--steps',
      '3',
      '--checkpoint',
      'ck.safetensors',
      '--out',
      'out.safetensors',
      '--print',
      '0',
    ]);
    expect(hiddenFiles(dir)).toEqual([]);
  });
});

describe('Trainer (library) on diverging weights', () => {
  const tokenizer = CharTokenizer.fromText(dinoText);
  const sequences = lineSequences(textLines(dinoText).slice(0, 64), tokenizer, 'dinos.txt');

  it.each([
    ['NaN weights', (model: RnnModel) => model.params.fill(NaN)],
    ['a single NaN weight', (model: RnnModel) => (model.weights.Wh[3] = NaN)],
    [
      'logits that overflow to Infinity',
      (model: RnnModel) => {
        model.weights.b1.fill(20);
        model.weights.U.fill(3e38);
      },
    ],
  ] as const)('run() rejects with DivergenceError for %s, before any update or event', async (_name, spoil) => {
    const model = RnnModel.initialized(
      { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' },
      2,
    );
    spoil(model);
    const before = Float32Array.from(model.params);
    const trainer = new Trainer(model, sequences, [], trainOptions);
    const events: string[] = [];
    trainer.on('step', () => events.push('step')).on('epoch', () => events.push('epoch'));

    const error = await trainer.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expect(error).toBeInstanceOf(BpttError);
    expect((error as Error).message).toMatch(/diverged at step 1/);
    expect((error as Error).message).not.toContain('\n');
    expect(trainer.position.step).toBe(0);
    expect(events).toEqual([]);
    // The weights were not touched (NaN compares as NaN: compare the bits).
    expect(new Uint8Array(model.params.buffer)).toEqual(new Uint8Array(before.buffer));
  });

  it('trainStep() throws DivergenceError synchronously', () => {
    const model = RnnModel.initialized(
      { cell: 'rnn', activation: 'sigmoid', vocabSize: tokenizer.size, hidden: 4, embed: 2, layers: 1, dtype: 'float64', init: 'scaled' },
      3,
    );
    model.weights.embedding.fill(NaN);
    const trainer = new Trainer(model, sequences, [], trainOptions);
    expect(() => trainer.trainStep()).toThrow(DivergenceError);
  });

  it('precondition of the NaN-gradient model: its weights and its first loss are finite', () => {
    const model = finiteLossNanGradientModel(tokenizer);
    const trainer = new Trainer(model, sequences, [], trainOptions);
    expect(Number.isFinite(trainer.evaluate(sequences).natsPerToken)).toBe(true);
    expect(countNonFinite(model.params)).toBe(0);
  });

  it('trainStep() throws DivergenceError when the gradients are NaN, keeping the weights', () => {
    const model = finiteLossNanGradientModel(tokenizer);
    const trainer = new Trainer(model, sequences, [], trainOptions);
    expect(() => trainer.trainStep()).toThrow(DivergenceError);
    expect(countNonFinite(model.params)).toBe(0);
  });

  it('a healthy model trains without DivergenceError (control)', async () => {
    const model = RnnModel.initialized(
      { cell: 'rnn', activation: 'tanh', vocabSize: tokenizer.size, hidden: 8, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' },
      2,
    );
    const trainer = new Trainer(model, sequences, [], trainOptions);
    await expect(trainer.run()).resolves.toMatchObject({ step: 3 });
  });
});

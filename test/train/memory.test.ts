/**
 * Issue 13, item 4: the memory estimate a run is checked against before training. It must not be
 * below what training really takes: here the WebAssembly heap's size after real training steps (with
 * validation passes) is compared with the estimate, for each cell, layers, dropout and threads.
 */
import { describe, expect, it } from 'vitest';
import { lineSequences, textLines } from '../../src/data/sequences.js';
import { WasmKernels } from '../../src/kernels/wasm/wasm-kernels.js';
import { RnnModel } from '../../src/model/rnn-model.js';
import { optimizerArrays, parameterCount, runShapeOf, trainingMemory } from '../../src/train/memory.js';
import { modelConfigOf, DEFAULT_RECIPE, prepareStreams, TEXT_RECIPE, trainOptionsOf, type Recipe } from '../../src/train/recipe.js';
import { Trainer } from '../../src/train/trainer.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { readFileSync } from 'node:fs';
import { dinosPath } from '../helpers.js';

describe('trainingMemory', () => {
  it('counts the parameters exactly', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const config = modelConfigOf({ ...DEFAULT_RECIPE, cell, layers: 2 }, 27);
      expect(parameterCount(config)).toBe(RnnModel.initialized(config, 1).params.length);
    }
  });

  it.each([
    ['lstm', 1, 0.4],
    ['gru', 2, 0],
    ['rnn', 2, 0.2],
  ] as const)('is not below the WebAssembly heap a %s run (%i layers, dropout %d) really grows to', async (cell, layers, dropout) => {
    const lines = textLines(readFileSync(dinosPath, 'utf8')).slice(0, 600);
    const tokenizer = CharTokenizer.fromText(lines.join('\n'));
    const sequences = lineSequences(lines, tokenizer);
    const recipe: Recipe = { ...DEFAULT_RECIPE, cell, layers, dropout, hidden: 64, embed: 16, batchSize: 32, epochs: 1 };
    const kernels = await WasmKernels.create('scalar');
    const before = kernels.memory.buffer.byteLength;
    const config = modelConfigOf(recipe, tokenizer.size);
    const model = RnnModel.initialized(config, 1, kernels);
    const train = sequences.slice(0, 500);
    const validation = sequences.slice(500);
    const trainer = new Trainer(model, train, validation, { ...trainOptionsOf(recipe), maxSteps: 20 });
    await trainer.run();
    trainer.evaluate(validation);
    const used = kernels.memory.buffer.byteLength - before;
    const longest = (s: typeof train, rows: number) =>
      s
        .map((x) => x.input.length)
        .sort((a, b) => b - a)
        .slice(0, rows)
        .reduce((a, b) => a + b, 0);
    const estimate = trainingMemory(config, {
      batchSize: 32,
      steps: Math.max(...train.map((s) => s.input.length)),
      positions: longest(train, 32),
      threads: 1,
      optimizerArrays: 1,
      evaluationRows: Math.min(256, validation.length),
      evaluationPositions: longest(validation, 256),
      dropout: dropout > 0,
    });
    expect(estimate.bytes).toBeGreaterThanOrEqual(used - 64 * 65536); // the heap grows by whole pages; its first 4 MiB are the initial size
    // ... and not wildly above it (a useless check otherwise): within 8× here.
    expect(estimate.bytes).toBeLessThan(8 * Math.max(used, 1));
  });

  it("counts a word vocabulary's output layer: a stream run of 2,000 words stays within it", async () => {
    // 2,000 distinct words, each seen 3 times, in running text: V = 2,003 rows of U and of the probabilities.
    const words = Array.from({ length: 2000 }, (_, i) => `w${i.toString(36)}`);
    const text = [0, 1, 2].map((round) => words.map((word, i) => `${word}${(i + round) % 9 === 0 ? '.\n' : ''}`).join(' ')).join('\n\n');
    const recipe: Recipe = { ...TEXT_RECIPE, tokens: 'word', minCount: 1, hidden: 32, embed: 16, batchSize: 8, seqLength: 16, steps: 20 };
    const data = prepareStreams(text, recipe, 'words');
    expect(data.tokenizer.size).toBe(2003); // '\n', <unk>, '.' and the words
    const kernels = await WasmKernels.create('scalar');
    const before = kernels.memory.buffer.byteLength;
    const config = modelConfigOf(recipe, data.tokenizer.size);
    const model = RnnModel.initialized(config, 1, kernels);
    const trainer = new Trainer(model, data.train, data.validation!, { ...trainOptionsOf(recipe), evaluateEvery: 10 });
    await trainer.run();
    const used = kernels.memory.buffer.byteLength - before;
    const shape = {
      batchSize: 8,
      steps: 16,
      threads: 1,
      optimizerArrays: 1,
      evaluationRows: data.validation!.streams,
      evaluationPositions: data.validation!.streams * 16,
      dropout: true,
    };
    const estimate = trainingMemory(config, shape);
    expect(estimate.bytes).toBeGreaterThanOrEqual(used - 64 * 65536);
    // Against a vocabulary of 2 tokens, at least U's rows (weights, gradients, Adagrad's memory) and the probabilities.
    const tiny = trainingMemory(modelConfigOf(recipe, 2), shape);
    expect(estimate.bytes - tiny.bytes).toBeGreaterThanOrEqual(4 * 2000 * (3 * (32 + 1) + 8 * 16));
  });
});

describe('runShapeOf and optimizerArrays (what bptt train checks before training)', () => {
  const lines = textLines(readFileSync(dinosPath, 'utf8')).slice(0, 300);
  const tokenizer = CharTokenizer.fromText(lines.join('\n'));
  const sequences = lineSequences(lines, tokenizer);

  it('mode lines: the longest line, the worst batch of the longest lines, the validation rows', () => {
    const train = sequences.slice(0, 250);
    const validation = sequences.slice(250);
    const lengths = (s: typeof train) => s.map((x) => x.input.length).sort((a, b) => b - a);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const recipe: Recipe = { ...DEFAULT_RECIPE, batchSize: 16, dropout: 0.2 };
    expect(runShapeOf(recipe, train, validation, 3)).toEqual({
      batchSize: 16,
      steps: lengths(train)[0],
      positions: sum(lengths(train).slice(0, 16)),
      threads: 3,
      optimizerArrays: 1,
      evaluationRows: validation.length,
      evaluationPositions: sum(lengths(validation)),
      dropout: true,
    });
  });

  it('the optimizer state arrays: adagrad 1, adam 2, sgd without momentum 0', () => {
    expect(optimizerArrays({ ...DEFAULT_RECIPE, optimizer: 'adagrad' })).toBe(1);
    expect(optimizerArrays({ ...DEFAULT_RECIPE, optimizer: 'adam' })).toBe(2);
    expect(optimizerArrays({ ...DEFAULT_RECIPE, optimizer: 'sgd', momentum: 0 })).toBe(0);
  });
});

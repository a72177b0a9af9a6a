/**
 * The benchmark workloads run what they say and what the peers in bench/peers run: their recipes are
 * fixed, not inherited from the defaults (which changed once, silently turning "small" into an LSTM).
 */
import { describe, expect, it } from 'vitest';
import { WORKLOADS } from '../../src/cli/bench.js';
import { availableBackends, loadKernels, trainingFlopsPerToken } from '../../src/index.js';
import type { WasmKernels } from '../../src/kernels/wasm/wasm-kernels.js';

describe('bptt bench workloads', () => {
  it.each([
    ['small', 'rnn', 'tanh RNN'],
    ['lstm', 'lstm', 'LSTM'],
    ['gru', 'gru', 'GRU'],
  ] as const)('%s: a one-layer %s, D_h 128, batches of 32, one-hot, Adagrad 0.1, clip 5, no dropout', (name, cell, label) => {
    const { describe: text, recipe } = WORKLOADS[name];
    expect(text).toContain(label);
    expect(recipe).toMatchObject({ cell, layers: 1, hidden: 128, embed: 0, batchSize: 32, learningRate: 0.1, clip: 5, dtype: 'float32' });
    if (cell === 'rnn') expect(recipe.activation).toBe('tanh');
    expect(recipe.dropout ?? 0).toBe(0);
    expect(recipe.optimizer ?? 'adagrad').toBe('adagrad');
  });

  it("seed: the notebook's recipe in float32", () => {
    expect(WORKLOADS.seed.recipe).toMatchObject({
      cell: 'rnn',
      activation: 'sigmoid',
      hidden: 256,
      embed: 0,
      batchSize: 512,
      learningRate: 0.1,
      clip: 5,
      dtype: 'float32',
    });
    expect(WORKLOADS.seed.recipe.dropout ?? 0).toBe(0);
  });

  it("text: issue 15's long-text recipe, an LSTM of 256 over an embedding of 64, 32 streams × windows of 64, dropout 0.4", () => {
    expect(WORKLOADS.text.recipe).toMatchObject({
      mode: 'stream',
      cell: 'lstm',
      layers: 1,
      hidden: 256,
      embed: 64,
      batchSize: 32,
      seqLength: 64,
      dropout: 0.4,
      learningRate: 0.04,
      clip: 5,
      dtype: 'float32',
    });
  });
});

describe('what bptt bench reports besides tokens/s', () => {
  it('FLOPs per token: 3 products each (forward, γ, weight gradient) of the recurrent, input and output weights', () => {
    const config = (cell: 'rnn' | 'lstm' | 'gru', hidden: number, embed = 0, layers = 1) =>
      ({ cell, activation: 'tanh', vocabSize: 27, hidden, embed, layers, dtype: 'float32', init: 'scaled' }) as const;
    expect(trainingFlopsPerToken(config('rnn', 256))).toBe(6 * 256 * 256 + 6 * 27 * 256); // the seed: 434,688 ("435k" in the issue)
    expect(trainingFlopsPerToken(config('lstm', 128))).toBe(6 * 4 * 128 * 128 + 6 * 27 * 128);
    expect(trainingFlopsPerToken(config('gru', 64, 16, 2))).toBe(6 * 3 * 64 * (64 + 16) + 6 * 3 * 64 * (64 + 64) + 6 * 27 * 64);
  });

  it('the multiply-add peak probe runs on every WebAssembly backend and gives a finite positive rate', async () => {
    for (const backend of (await availableBackends()).filter((b) => b !== 'reference')) {
      const kernels = (await loadKernels(backend)) as WasmKernels;
      const peak = kernels.multiplyAddPeak(0.02);
      expect(peak, backend).toBeGreaterThan(0);
      expect(Number.isFinite(peak), backend).toBe(true);
    }
  });
});

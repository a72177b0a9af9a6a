/**
 * The benchmark workloads run what they say and what the peers in bench/peers run: their recipes are
 * fixed, not inherited from the defaults (which changed once, silently turning "small" into an LSTM).
 */
import { describe, expect, it } from 'vitest';
import { WORKLOADS } from '../../src/cli/bench.js';

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
    expect(WORKLOADS.seed.recipe).toMatchObject({ cell: 'rnn', activation: 'sigmoid', hidden: 256, embed: 0, batchSize: 512, learningRate: 0.1, clip: 5, dtype: 'float32' });
    expect(WORKLOADS.seed.recipe.dropout ?? 0).toBe(0);
  });
});

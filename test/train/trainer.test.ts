import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, DivergenceError, encodeCheckpoint, restoreTrainer, Trainer, trainOptionsOf, type Recipe, type Sequence } from '../../src/index.js';
import { dinosaurTrainer } from '../helpers.js';

const setUp = (overrides: Partial<Recipe>) => dinosaurTrainer(overrides);

/** Mean nats per token of an add-one smoothed bigram model fit on `train`, measured on `validation`. */
function bigramLoss(train: readonly Sequence[], validation: readonly Sequence[], vocabSize: number): number {
  const counts = Array.from({ length: vocabSize }, () => new Float64Array(vocabSize).fill(1));
  for (const s of train) s.input.forEach((previous, t) => counts[previous][s.target[t]]++);
  const totals = counts.map((row) => row.reduce((a, b) => a + b));
  let loss = 0;
  let tokens = 0;
  for (const s of validation) {
    s.input.forEach((previous, t) => {
      loss -= Math.log(counts[previous][s.target[t]] / totals[previous]);
      tokens++;
    });
  }
  return loss / tokens;
}

describe('Trainer', () => {
  it('beats a bigram model on held-out dinosaur names within a few epochs', async () => {
    const { data, trainer } = setUp({ hidden: 32, epochs: 4 });
    const validationLosses: number[] = [];
    trainer.on('epoch', (e) => validationLosses.push(e.validationLoss));
    await trainer.run();
    const bigram = bigramLoss(data.train, data.validation, data.tokenizer.size);
    expect(validationLosses).toHaveLength(4);
    expect(validationLosses[3]).toBeLessThan(validationLosses[0]);
    expect(validationLosses[3]).toBeLessThan(bigram);
  });

  it('is deterministic: the same recipe gives bitwise the same weights', async () => {
    const a = setUp({ hidden: 16, steps: 15, epochs: undefined });
    const b = setUp({ hidden: 16, steps: 15, epochs: undefined });
    await a.trainer.run();
    await b.trainer.run();
    expect(Buffer.from(a.model.params.buffer).equals(Buffer.from(b.model.params.buffer))).toBe(true);
  });

  it.each([
    ['rnn', 'float32', {}],
    ['rnn', 'float64', {}],
    ['lstm', 'float32', {}],
    [
      'rnn',
      'float32',
      { optimizer: 'sgd', learningRate: 0.5, momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: 'step', decayEvery: 5, decayFactor: 0.5 },
    ],
    ['rnn', 'float64', { optimizer: 'rmsprop', learningRate: 2e-3, momentum: 0.5, clip: Infinity, clipNorm: 1 }],
    ['rnn', 'float32', { optimizer: 'adam', learningRate: 5e-3, weightDecay: 1e-3, schedule: 'cosine', scheduleSteps: 12, warmup: 3 }],
    ['gru', 'float64', { optimizer: 'adamw', learningRate: 5e-3, clipNorm: 2, schedule: 'cosine', scheduleSteps: 10, minLearningRate: 1e-4 }],
  ] as const)('resuming from a checkpoint mid-epoch equals training straight through, bitwise (%s, %s, %o)', async (cell, dtype, optimization) => {
    const overrides: Partial<Recipe> = { hidden: 16, batchSize: 256, epochs: undefined, dtype, cell, ...optimization };
    const straight = setUp({ ...overrides, steps: 14 }); // 6 batches per epoch: crosses two epoch boundaries
    await straight.trainer.run();

    const first = setUp({ ...overrides, steps: 7 });
    await first.trainer.run();
    const bytes = encodeCheckpoint(first.trainer, first.data.tokenizer, { recipe: first.recipe, dataSource: 'dinos.txt', dataFingerprint: 'x' });
    const checkpoint = decodeCheckpoint(bytes, 'checkpoint.safetensors');
    const recipe = { ...checkpoint.training.recipe, steps: 14 };
    const resumed = new Trainer(checkpoint.model, first.data.train, first.data.validation, trainOptionsOf(recipe));
    restoreTrainer(resumed, checkpoint);
    expect(resumed.position).toMatchObject({ step: 7, epoch: 1, batchInEpoch: 1 });
    await resumed.run();

    expect(resumed.position.step).toBe(14);
    expect(Buffer.from(checkpoint.model.params.buffer).equals(Buffer.from(straight.model.params.buffer))).toBe(true);
    expect(resumed.optimizer.name).toBe((optimization as Partial<Recipe>).optimizer ?? 'adagrad');
    const states = Object.keys(straight.trainer.optimizer.state);
    expect(states.length).toBeGreaterThan(0);
    for (const name of states) {
      expect(Buffer.from(resumed.optimizer.state[name].buffer).equals(Buffer.from(straight.trainer.optimizer.state[name].buffer)), name).toBe(true);
    }
    expect(resumed.optimizer.counters).toEqual(straight.trainer.optimizer.counters);
  });

  it('stops with a DivergenceError when the loss is no longer finite', () => {
    const { model, trainer } = setUp({ hidden: 8 });
    model.weights.U.fill(NaN);
    expect(() => trainer.trainStep()).toThrowError(DivergenceError);
    expect(() => trainer.trainStep()).toThrowError(/diverged at step 1.*lower --lr/);
  });

  it('emits step events with loss, throughput and progress, and stops on request', async () => {
    const { trainer } = setUp({ hidden: 8, epochs: 100 });
    const events: number[] = [];
    trainer.on('step', (e) => {
      events.push(e.progress);
      expect(e.loss).toBeGreaterThan(0);
      expect(e.tokensPerSecond).toBeGreaterThan(0);
      if (events.length === 3) trainer.requestStop();
    });
    await trainer.run();
    expect(events).toHaveLength(3);
    expect(events[2]).toBeGreaterThan(events[0]);
  });
});

describe('early stopping', () => {
  it('marks each new best validation loss and stops after `patience` epochs without one', async () => {
    const { trainer } = setUp({ hidden: 24, learningRate: 0.3, epochs: 200, patience: 2 });
    const events: { loss: number; improved: boolean; epoch: number }[] = [];
    trainer.on('epoch', (e) => events.push({ loss: e.validationLoss, improved: e.improved, epoch: e.position.epoch }));
    await trainer.run();
    let best = Infinity;
    for (const e of events) {
      expect(e.improved).toBe(e.loss < best);
      best = Math.min(best, e.loss);
    }
    const last = events.at(-1)!;
    expect(events.length).toBeLessThan(200);
    expect(last.epoch - trainer.position.bestEpoch!).toBe(2);
    expect(trainer.position.bestValidationLoss).toBe(best);
  });
});

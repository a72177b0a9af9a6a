/**
 * The optimizers, schedules and norm clipping inside the Trainer: the default
 * recipe is still the seed's Adagrad step for step, every optimizer trains,
 * step events report the gradient norm and the learning rate, and checkpoints
 * written before there were other optimizers still resume.
 */
import { describe, expect, it } from 'vitest';
import {
  batches,
  BpttError,
  decodeCheckpoint,
  DEFAULT_LEARNING_RATES,
  DEFAULT_RECIPE,
  encodeCheckpoint,
  encodeModelFile,
  globalNorm,
  OPTIMIZERS,
  restoreTrainer,
  Trainer,
  trainOptionsOf,
  type Recipe,
  type StepEvent,
} from '../../src/index.js';
import { dinosaurTrainer } from '../helpers.js';

const setUp = (overrides: Partial<Recipe>) => dinosaurTrainer({ hidden: 16, epochs: undefined, ...overrides });

describe('optimizers in the Trainer', () => {
  it("the default recipe is still the seed's step: backward with clip 5, then Adagrad through the kernel, bitwise", async () => {
    const { trainer, model } = setUp({ steps: 6, dropout: 0 });
    await trainer.run();

    // The same six steps written out by hand with the model's own pieces.
    const { data, model: byHand } = setUp({ dropout: 0 });
    const memory = new Float32Array(byHand.params.length);
    for (let step = 0; step < 6; step++) {
      const rows = trainer.epochOrder(0).slice(step * 16, (step + 1) * 16);
      const batch = batches(data.train, rows, 16).next().value!;
      byHand.forward(batch);
      byHand.backward({ scale: 1 / 16, clip: 5 });
      byHand.kernels.adagradStep(byHand.params, byHand.grads, memory, DEFAULT_RECIPE.learningRate, 1e-8, byHand.params.length);
    }
    expect(Buffer.from(model.params.buffer).equals(Buffer.from(byHand.params.buffer))).toBe(true);
    expect(Buffer.from(trainer.optimizer.state.memory.buffer).equals(Buffer.from(memory.buffer))).toBe(true);
  });

  it.each(OPTIMIZERS)('%s at its default learning rate lowers the validation loss in 2 epochs', async (optimizer) => {
    const { trainer } = setUp({ optimizer, learningRate: DEFAULT_LEARNING_RATES[optimizer], hidden: 32, epochs: 2 });
    const before = trainer.evaluate(trainer.validation).natsPerToken;
    const losses: number[] = [];
    trainer.on('epoch', (e) => losses.push(e.validationLoss));
    await trainer.run();
    expect(trainer.optimizer.name).toBe(optimizer);
    expect(losses[1]).toBeLessThan(before - 0.4); // from about ln 28 ≈ 3.3 nats
    expect(losses[1]).toBeLessThan(losses[0]);
  });

  it('reports the gradient norm before clipping by norm, and clips to the limit', () => {
    const free = setUp({ steps: 1 });
    const event = free.trainer.trainStep();
    // Adagrad without weight decay leaves model.grads as they were given to it.
    expect(event.gradientNorm).toBe(globalNorm(free.model.grads));

    const clipped = setUp({ steps: 1, clip: Infinity, clipNorm: 0.01 });
    const clippedEvent = clipped.trainer.trainStep();
    expect(clippedEvent.gradientNorm).toBeGreaterThan(0.01);
    expect(globalNorm(clipped.model.grads)).toBeCloseTo(0.01, 6);
    expect(clippedEvent.clippedFraction).toBe(1);
  });

  it('reports the learning rate of each step; a cosine without a length spans the epochs', async () => {
    const { trainer } = setUp({ optimizer: 'adam', learningRate: 0.01, batchSize: 512, epochs: 2, schedule: 'cosine', warmup: 2 });
    const events: StepEvent[] = [];
    trainer.on('step', (e) => events.push(e));
    await trainer.run();
    expect(trainer.batchesPerEpoch).toBe(3);
    expect(trainer.schedule.totalSteps).toBe(6);
    // step s: min(1, (s+1)/2) · 0.01 · (1 + cos(π s/6))/2
    const expected = [0, 1, 2, 3, 4, 5].map((s) => (Math.min(1, (s + 1) / 2) * 0.01 * (1 + Math.cos((Math.PI * s) / 6))) / 2);
    events.forEach((e, s) => expect(e.learningRate).toBeCloseTo(expected[s], 15));
  });

  it('a cosine schedule with only a time budget runs over the time (long-runs.test.ts checks its course)', () => {
    const { trainer } = setUp({ schedule: 'cosine', timeSeconds: 10 });
    expect(trainer.schedule.kind).toBe('cosine');
  });

  it('a checkpoint written before there were other optimizers (Adagrad memory only) resumes exactly', async () => {
    const straight = setUp({ steps: 8 });
    await straight.trainer.run();

    const first = setUp({ steps: 5 });
    await first.trainer.run();
    // What the older code wrote: the recipe without optimizer fields, no counters, no schedule.
    const training = { recipe: first.recipe, position: { ...first.trainer.position }, dataSource: 'dinos.txt', dataFingerprint: 'x' };
    const bytes = encodeModelFile(first.model, first.data.tokenizer, {
      checkpoint: { optimizerState: { memory: first.trainer.optimizer.state.memory }, training },
    });
    const checkpoint = decodeCheckpoint(bytes, 'old.safetensors');
    const resumed = new Trainer(checkpoint.model, first.data.train, first.data.validation, trainOptionsOf({ ...checkpoint.training.recipe, steps: 8 }));
    restoreTrainer(resumed, checkpoint);
    await resumed.run();
    expect(Buffer.from(checkpoint.model.params.buffer).equals(Buffer.from(straight.model.params.buffer))).toBe(true);
  });

  it('refuses to resume an optimizer whose state the checkpoint lacks', async () => {
    const adagrad = setUp({ steps: 1 });
    await adagrad.trainer.run();
    const checkpoint = decodeCheckpoint(
      encodeCheckpoint(adagrad.trainer, adagrad.data.tokenizer, { recipe: adagrad.recipe, dataSource: 'd', dataFingerprint: 'x' }),
      'c',
    );
    const adam = setUp({ optimizer: 'adam', steps: 2 });
    expect(() => restoreTrainer(adam.trainer, checkpoint)).toThrowError(BpttError);
    expect(() => restoreTrainer(adam.trainer, checkpoint)).toThrowError(/no firstMoment for the adam optimizer/);
  });

  it('a run without elementwise clipping keeps clip = Infinity through a checkpoint (JSON writes it as null)', async () => {
    const run = setUp({ steps: 1, clip: Infinity, clipNorm: 1 });
    await run.trainer.run();
    const checkpoint = decodeCheckpoint(encodeCheckpoint(run.trainer, run.data.tokenizer, { recipe: run.recipe, dataSource: 'd', dataFingerprint: 'x' }), 'c');
    expect(checkpoint.training.recipe.clip).toBe(Infinity);
  });
});

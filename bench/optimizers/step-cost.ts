/**
 * What an optimizer's update costs next to a whole training step, on the
 * default workload (bptt train's defaults: an LSTM, hidden 192, embedding 64,
 * batches of 16 of the built-in names, 204,315 parameters, float32, one thread).
 *
 *   npx tsx bench/optimizers/step-cost.ts [rounds]
 *
 * For each optimizer it times full training steps (forward, BPTT, clipping,
 * update) and, separately, the update alone on the same arrays; rounds are
 * interleaved so that a busy machine slows every optimizer alike. It prints
 * milliseconds per step and the update's share of the step.
 */
import { loadCorpus } from '../../src/cli/corpus.js';
import {
  DEFAULT_LEARNING_RATES,
  DEFAULT_RECIPE,
  loadKernels,
  modelConfigOf,
  OPTIMIZERS,
  prepareData,
  RnnModel,
  Trainer,
  trainOptionsOf,
  type OptimizerName,
} from '../../src/index.js';

const rounds = Number(process.argv[2] ?? 5);
const kernels = await loadKernels('auto');
const recipe = { ...DEFAULT_RECIPE, epochs: undefined };
const corpus = loadCorpus('dinosaurs');
const data = prepareData(corpus.text, recipe, corpus.source);

const trainers = Object.fromEntries(
  OPTIMIZERS.map((optimizer) => {
    const r = { ...recipe, optimizer, learningRate: DEFAULT_LEARNING_RATES[optimizer] };
    const model = RnnModel.initialized(modelConfigOf(r, data.tokenizer.size), r.seed, kernels);
    return [optimizer, new Trainer(model, data.train, [], trainOptionsOf(r))];
  }),
) as Record<OptimizerName, Trainer>;

const totals = Object.fromEntries(OPTIMIZERS.map((o) => [o, { step: 0, update: 0, steps: 0 }]));
for (let round = 0; round <= rounds; round++) {
  for (const optimizer of OPTIMIZERS) {
    const trainer = trainers[optimizer];
    const { params, grads } = trainer.model;
    let started = performance.now();
    for (let i = 0; i < 50; i++) trainer.trainStep();
    const step = performance.now() - started;
    started = performance.now();
    // The update alone, on the last step's gradients, at a tiny rate so the weights hardly move.
    for (let i = 0; i < 50; i++) trainer.optimizer.step(params, grads, 1e-9);
    const update = performance.now() - started;
    if (round === 0) continue; // warm-up round
    totals[optimizer].step += step;
    totals[optimizer].update += update;
    totals[optimizer].steps += 50;
  }
}
console.log(`${kernels.name} kernels, ${trainers.adagrad.model.params.length} parameters, ${rounds} rounds of 50 steps each`);
console.log('optimizer  ms/training step  ms/update  update/step');
for (const optimizer of OPTIMIZERS) {
  const t = totals[optimizer];
  console.log(
    `${optimizer.padEnd(9)}  ${(t.step / t.steps).toFixed(3).padStart(15)}  ${(t.update / t.steps).toFixed(3).padStart(9)}  ${(t.update / t.step).toFixed(3).padStart(11)}`,
  );
}

/**
 * `bptt train`: flags → recipe → data → model → Trainer, with a progress bar, checkpoints at every
 * epoch, the model file at the end, and a few samples. In three parts, each its own module:
 *   prepare  (train-prepare.ts) everything that can be refused is refused, before a file is written;
 *   run      (train-run.ts)     the training, its events, its files as epochs end, and Ctrl-C;
 *   finish   (train-finish.ts)  the model file, the summary, the samples; the exit code.
 * The flags are in flags.ts (the table) and train-recipe.ts (what they make of the recipe).
 */
import type { Command } from 'commander';
import { addFlags } from './flags.js';
import { finish } from './train-finish.js';
import { prepare } from './train-prepare.js';
import { runTraining } from './train-run.js';

export function registerTrain(program: Command): void {
  addFlags(
    program.command('train').description('train a character- or word-level RNN on a text (default: the built-in dinosaur names) and print a few samples'),
    'train',
  ).action(async (values: Record<string, unknown>) => {
    process.exitCode = await train(values);
  });
}

async function train(values: Record<string, unknown>): Promise<number> {
  const run = await prepare(values);
  const outcome = await runTraining(run);
  return finish(run, outcome);
}

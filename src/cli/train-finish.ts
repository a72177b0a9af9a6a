/**
 * `bptt train`, part three: after the training, the model file (the best weights are in it already;
 * the last ones otherwise), the summary line and the samples, or what a diverged or interrupted run
 * left where; the exit code.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeModelFile, encodeModelFile } from '../io/model-file.js';
import { generate } from '../sample/generate.js';
import { streamReadingOf } from '../train/recipe.js';
import { readBytes, writeFileAtomic } from './files.js';
import type { PreparedRun } from './train-prepare.js';
import type { Outcome } from './train-run.js';

export function finish(run: PreparedRun, outcome: Outcome): number {
  const { flags, recipe, data, model, trainer, checkpoint, out, checkpointPath, record } = run;
  const err = process.stderr;
  const relativeOut = displayPath(out);
  if (outcome.diverged) {
    const error = outcome.diverged;
    const kept = !checkpointPath
      ? ''
      : outcome.lastCheckpointEpoch !== undefined
        ? `the checkpoint ${checkpointPath} keeps epoch ${outcome.lastCheckpointEpoch}, the last good one; `
        : `no checkpoint was written in this run (${checkpointPath} is as it was); `;
    err.write(
      `bptt: training diverged at step ${error.step}: ${error.what}; nothing was written after that; ${kept}lower the learning rate (--lr ${recipe.learningRate}: try ${recipe.learningRate / 10}) or --clip and train again\n`,
    );
    return 1;
  }
  if (outcome.interrupted) {
    const best = outcome.best;
    const model = best
      ? `the best model so far (${best.at}, validation loss ${best.loss.toFixed(4)}) is in ${relativeOut}`
      : `no model file was written (no epoch ended with a better validation loss)`;
    const resume = checkpointPath
      ? `checkpoint written to ${checkpointPath} (continue with --resume ${checkpointPath})`
      : 'no checkpoint (train with --checkpoint FILE to be able to continue an interrupted run)';
    err.write(`Interrupted at step ${trainer.position.step}; ${resume}; ${model}\n`);
    return 130;
  }

  if (Number.isNaN(outcome.lastValidation) && data.hasValidation) outcome.lastValidation = trainer.evaluate(data.validation).natsPerToken;
  let kept = outcome.best;
  const { bestEpoch, bestValidationLoss } = trainer.position;
  let note = '';
  if (!kept && checkpoint && bestEpoch !== undefined && bestValidationLoss !== undefined && existsSync(out)) {
    // Resumed, and no epoch since beat the best of the run(s) before: --out holds that best already, if this
    // run wrote it. Keep it and sample from it, as an unbroken run does; a file another run wrote is not ours.
    const earlier = decodeModelFile(readBytes(out, 'model file'), out);
    if (earlier.metadata.data?.run === record.run && earlier.model.params.length === model.params.length)
      kept = { params: earlier.model.params, at: `epoch ${bestEpoch}`, loss: bestValidationLoss };
    else
      note = ` (no epoch beat this run's best, ${bestValidationLoss.toFixed(4)} at epoch ${bestEpoch}, but ${relativeOut} holds another run's model: it is replaced by the last weights)`;
  }
  if (kept)
    model.params.set(kept.params); // the best epoch's weights are in --out already; sample from them too
  else writeFileAtomic(out, encodeModelFile(model, data.tokenizer, { data: record, stream: streamReadingOf(recipe) }), 'model file');
  const epochs = trainer.position.epoch;
  err.write(
    `Trained ${trainer.position.step} steps (${epochs} epoch${epochs === 1 ? '' : 's'}) in ${trainer.position.elapsedSeconds.toFixed(1)} s` +
      (trainer.stoppedEarly ? ` (stopped early: ${recipe.patience} epochs without a better validation loss)` : '') +
      (data.hasValidation ? `; validation loss ${outcome.lastValidation.toFixed(4)} nats/${data.tokenizer.unit}` : '') +
      (kept ? `; the best, ${kept.loss.toFixed(4)} at ${kept.at}, is kept. Model written to ${relativeOut}\n` : `. Model written to ${relativeOut}${note}\n`),
  );

  if (flags.print > 0) {
    // Copies are marked only where a sample is a line (mode lines): a chunk of running text is no copy of anything.
    const known = new Set(recipe.mode === 'lines' ? data.lines : []);
    const { samples } = generate(model, data.tokenizer, { count: flags.print, temperature: 1, seed: recipe.seed, maxLength: 100 });
    const novel = samples.filter((s) => !known.has(s)).length;
    err.write(known.size > 0 ? `${flags.print} samples (${novel} not in the training data; * marks a copy):\n` : `${flags.print} samples:\n`);
    for (const sample of samples) process.stdout.write(`${sample}${known.has(sample) ? ' *' : ''}\n`);
  }
  return 0;
}

/** A path as the user would type it: relative to the working folder when it lies inside it. */
function displayPath(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(`${cwd}/`) && dirname(path) === cwd ? path.slice(cwd.length + 1) : path;
}

/**
 * `bptt train`, part two: the training itself. Prints the run's first lines, shows progress, and
 * as epochs (and --eval-every evaluations) end writes the checkpoint, the best model, the log and
 * the plot; Ctrl-C stops it after the current step.
 */
import { openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { encodeModelFile } from '../io/model-file.js';
import { kernelThreads } from '../kernels/native/native-kernels.js';
import { encodeCheckpoint } from '../train/checkpoint.js';
import { streamReadingOf } from '../train/recipe.js';
import { DivergenceError, type EpochEvent, type Trainer } from '../train/trainer.js';
import { fileError, writeFileAtomic } from './files.js';
import { LossHistory, lossChartSvg } from './loss-plot.js';
import { createProgress } from './progress.js';
import type { PreparedRun } from './train-prepare.js';
import { budgetText, describeModel, optimizationText, unitName } from './train-text.js';

/** How the training ended, for finish(). */
export interface Outcome {
  interrupted: boolean;
  diverged?: DivergenceError;
  lastValidation: number;
  /** The best weights so far by validation loss (written to --out when they came). */
  best: { params: FloatArray; at: string; loss: number } | null;
  lastCheckpointEpoch: number | undefined;
}

/** Trains, writing the checkpoint, the best model, the log and the plot as epochs end. */
export async function runTraining(run: PreparedRun): Promise<Outcome> {
  const { flags, recipe, data, model, trainer, parallel, checkpoint, out, checkpointPath, logPath, record } = run;
  const err = process.stderr;
  if (run.modeLine) err.write(`${run.modeLine}\n`);
  const threadCount = parallel?.threads ?? kernelThreads(model.kernels);
  err.write(
    `${checkpoint ? 'Resuming' : 'Training'} ${describeModel(recipe, model)} on ${data.source}: ${data.summary}, vocabulary ${data.tokenizer.size}${data.vocabularyNote}; ${model.kernels.name} kernels, ${threadCount} thread${threadCount > 1 ? 's' : ''}; batch ${recipe.batchSize}, ${optimizationText(recipe)}, ${budgetText(recipe)}\n`,
  );

  const outcome: Outcome = { interrupted: false, lastValidation: NaN, best: null, lastCheckpointEpoch: undefined };
  const outputs = { out, ...(logPath ? { log: resolve(logPath) } : {}) };
  const state = () => ({ recipe, dataSource: record.source, dataFingerprint: data.fingerprint, folder: run.folder, outputs, runId: record.run });
  const writeCheckpoint = () => {
    if (checkpointPath) writeFileAtomic(checkpointPath, encodeCheckpoint(trainer, data.tokenizer, state(), record), 'checkpoint');
    outcome.lastCheckpointEpoch = trainer.position.epoch;
  };
  const progress = createProgress(err, () => budgetText(recipe));
  if (logPath) logEvents(trainer, openLog(logPath));
  const history = new LossHistory();
  if (flags.plot) {
    trainer.on('step', (e) => history.recordStep(e.position.step, e.loss));
    trainer.on('epoch', (e) => {
      history.recordEpoch(e.position.step, e.trainLoss, e.validationLoss);
      writePlot(run, history);
    });
  }
  trainer.on('step', (event) => progress.step(event));
  // --out keeps the best model by validation loss (the checkpoint keeps the latest, to resume).
  const onValidation = (event: EpochEvent, kind: 'epoch' | 'evaluation') => {
    outcome.lastValidation = event.validationLoss;
    progress[kind](event);
    if (event.improved) {
      outcome.best = {
        params: model.params.slice(),
        at: recipe.evaluateEvery ? `step ${event.position.step}` : `epoch ${event.position.epoch}`,
        loss: event.validationLoss,
      };
      writeFileAtomic(out, encodeModelFile(model, data.tokenizer, { data: record, stream: streamReadingOf(recipe) }), 'model file');
    }
    writeCheckpoint();
  };
  trainer.on('epoch', (event) => onValidation(event, 'epoch'));
  trainer.on('evaluation', (event) => onValidation(event, 'evaluation')); // --eval-every and the end of a budget: the same

  const onInterrupt = () => {
    outcome.interrupted = true;
    trainer.requestStop();
  };
  process.once('SIGINT', onInterrupt);
  try {
    await trainer.run();
  } catch (error) {
    progress.stop();
    if (error instanceof DivergenceError) return { ...outcome, diverged: error };
    throw outOfMemory(error) ?? error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    parallel?.close();
  }
  progress.stop();
  writeCheckpoint();
  writePlot(run, history);
  return outcome;
}

/** --log: one JSON object per step, per evaluation and per epoch. */
function logEvents(trainer: Trainer, log: (record: Record<string, unknown>) => void): void {
  trainer.on('step', (e) =>
    log({
      type: 'step',
      step: e.position.step,
      epoch: e.position.epoch,
      loss: e.loss,
      tokens: e.tokens,
      tokens_per_s: e.tokensPerSecond,
      clipped_fraction: e.clippedFraction,
      gradient_norm: e.gradientNorm,
      learning_rate: e.learningRate,
      seconds: e.position.elapsedSeconds,
    }),
  );
  for (const type of ['evaluation', 'epoch'] as const) {
    trainer.on(type, (e) =>
      log({
        type,
        step: e.position.step,
        epoch: e.position.epoch,
        train_loss: e.trainLoss,
        validation_loss: Number.isNaN(e.validationLoss) ? null : e.validationLoss,
        improved: e.improved,
        seconds: e.position.elapsedSeconds,
      }),
    );
  }
}

/** An append-only JSON Lines writer for --log (one object per line). */
function openLog(path: string): (record: Record<string, unknown>) => void {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw fileError(error, path, 'log file');
  }
  return (record) => writeSync(fd, `${JSON.stringify(record)}\n`);
}

/** A memory failure the estimate missed, as one line (the estimate is checked before training starts). */
function outOfMemory(error: unknown): BpttError | undefined {
  if (!(error instanceof RangeError) || !/memory|allocation|array length/i.test(error.message)) return undefined;
  return new BpttError(`out of memory while training (${error.message})`, 'lower --batch, --hidden or --threads');
}

function writePlot(run: PreparedRun, history: LossHistory): void {
  if (!run.flags.plot) return;
  const { recipe, data } = run;
  const svg = lossChartSvg(history, {
    title: `${unitName(recipe)} (hidden ${recipe.hidden}) on ${data.name}: loss per ${data.tokenizer.unit}`,
    unit: data.tokenizer.unit,
  });
  writeFileAtomic(run.flags.plot, new TextEncoder().encode(svg), 'plot');
}

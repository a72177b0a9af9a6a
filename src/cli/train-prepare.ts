/**
 * `bptt train`, part one: everything that can be refused is refused here, before a file is written
 * (the recipe, the files' names and overlaps, the data, the memory, the disk space), and the run's
 * model and Trainer are built. Only the locks on the outputs are taken.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BpttError } from '../core/errors.js';
import { findCorpus } from '../data/corpora.js';
import { modelFileBytes, type TrainingDataRecord } from '../io/model-file.js';
import type { Backend } from '../kernels/select.js';
import { RnnModel } from '../model/rnn-model.js';
import { restoreTrainer, type LoadedCheckpoint } from '../train/checkpoint.js';
import type { DataParallel } from '../train/data-parallel.js';
import { optimizerArrays } from '../train/memory.js';
import { modelConfigOf, runIdentity, streamEvaluationInterval, trainOptionsOf, type Recipe } from '../train/recipe.js';
import { Trainer } from '../train/trainer.js';
import { corpusName } from './corpus.js';
import { checkFreeSpace, checkWritable, probePath, refuseOverlaps } from './files.js';
import { givenFlags, withDefaults } from './flags.js';
import { lockOutput } from './lock.js';
import { loadChartLibraries } from './loss-plot.js';
import { kernelsFor } from './model-input.js';
import { defaultThreads, startDataParallel } from './threads.js';
import { loadTrainingData, loadValidationData, type TrainingData } from './train-data.js';
import { checkMemory } from './train-memory.js';
import { runRecipe } from './train-recipe.js';

/** The flags the train modules read themselves; the recipe's come through runRecipe. */
export interface TrainFlags {
  data?: string;
  valData?: string;
  init?: string;
  resume?: string;
  preset?: string;
  out?: string;
  checkpoint?: string;
  log?: string;
  plot?: string;
  print: number;
  backend?: Backend;
  threads?: number;
}

/** Everything a run needs, checked: nothing has been written yet when prepare() returns (but the locks). */
export interface PreparedRun {
  flags: TrainFlags;
  recipe: Recipe;
  data: TrainingData;
  model: RnnModel;
  trainer: Trainer;
  parallel: DataParallel | undefined;
  checkpoint: LoadedCheckpoint | undefined;
  /** The files this run writes (absolute or as given). */
  out: string;
  checkpointPath: string | undefined;
  logPath: string | undefined;
  /** What the model files record of the data and this run. */
  record: TrainingDataRecord;
  folder: string;
  /** Mode auto's decision and why: the first line the run prints (once nothing can be refused any more). */
  modeLine: string | undefined;
}

export async function prepare(values: Record<string, unknown>): Promise<PreparedRun> {
  const given = givenFlags(values);
  const flags = withDefaults<TrainFlags>('train', values);
  if (flags.resume && flags.init)
    throw new BpttError('--resume and --init both given', "use --resume to continue a run, or --init to start a new run from a model's weights");

  const kernels = await kernelsFor(flags.backend);
  const { recipe, checkpoint, initial, modeLine } = runRecipe(values, given, flags, kernels);

  // The run's files: a resume keeps its run's model file, checkpoint and log unless flags name others.
  const training = checkpoint?.training;
  const folder = training?.folder ?? process.cwd();
  const dataSpec = flags.data ?? (training ? recordedPath(training.dataSource, training.folder, flags.resume!) : 'dinosaurs');
  const out = flags.out ?? (training?.outputs ? training.outputs.out : `${findCorpus(dataSpec) ? dataSpec : corpusName(dataSpec)}.safetensors`);
  const checkpointPath = flags.checkpoint ?? flags.resume;
  const logPath = flags.log ?? training?.outputs?.log;
  const inputs = [
    { flag: '--data', path: findCorpus(dataSpec) ? undefined : dataSpec },
    { flag: '--init', path: flags.init },
    { flag: '--resume', path: flags.resume },
  ];
  const outputs = [
    { flag: '--out', path: out },
    { flag: '--checkpoint', path: checkpointPath },
    { flag: '--log', path: logPath },
    { flag: '--plot', path: flags.plot },
  ];
  // What writing them makes beside them: the lock files (lock.ts) and the write probes (checkWritable).
  const beside = outputs.flatMap(({ flag, path }) =>
    path === undefined
      ? []
      : [
          { flag: `${flag}'s lock file`, path: `${path}.lock` },
          { flag: `${flag}'s write probe`, path: probePath(path) },
        ],
  );
  // Before anything is written: no output may be an input (the checkpoint resumed from is updated in place).
  refuseOverlaps(inputs, [...outputs, ...beside], [['--checkpoint', '--resume']]);

  // --val-data: all of --data trains, the held-out text is the other file.
  if (flags.valData) recipe.validationFraction = 0;
  let data = loadTrainingData(dataSpec, recipe, checkpoint?.tokenizer ?? initial?.tokenizer);
  process.once('exit', data.close);
  if (flags.valData) {
    refuseOverlaps([{ flag: '--val-data', path: flags.valData }], outputs);
    const held = loadValidationData(flags.valData, recipe, data.tokenizer);
    process.once('exit', held.close);
    data = { ...data, validation: held.validation, hasValidation: true, summary: `${data.summary}; ${held.summary}` };
  }
  // Mode stream: evaluate (and keep the best model) every N steps, sized to the text and the budget.
  if (recipe.mode === 'stream' && recipe.evaluateEvery === undefined) recipe.evaluateEvery = streamEvaluationInterval(recipe, data.train, data.validation);
  if (checkpoint && checkpoint.training.dataFingerprint !== data.fingerprint) {
    throw new BpttError(
      `the data ${data.source} differs from the data the checkpoint ${flags.resume} was trained on (${checkpoint.training.dataSource})`,
      'resume with the same --data, or start a new run',
    );
  }

  const config = checkpoint?.model.config ?? modelConfigOf(recipe, data.tokenizer.size);
  const threads = flags.threads ?? defaultThreads(kernels);
  checkMemory(recipe, data, config, kernels, threads);

  checkWritable(out, 'model file');
  if (checkpointPath) checkWritable(checkpointPath, 'checkpoint');
  if (flags.plot) checkWritable(flags.plot, 'plot');
  if (flags.plot) await loadChartLibraries(); // optional packages: missing ones are named now, not after training
  if (logPath) checkWritable(logPath, 'log file');
  // Before training, not after an hour: another run writing the same files, or too little disk space for them.
  lockOutput(out, 'model file', (line) => process.stderr.write(line));
  if (checkpointPath) lockOutput(checkpointPath, 'checkpoint', (line) => process.stderr.write(line));
  checkFreeSpace([
    { path: out, bytes: modelFileBytes(config), what: 'model file' },
    ...(checkpointPath ? [{ path: checkpointPath, bytes: modelFileBytes(config, optimizerArrays(recipe)), what: 'checkpoint' }] : []),
  ]);

  let model: RnnModel;
  if (checkpoint) model = checkpoint.model;
  else {
    model = RnnModel.initialized(config, recipe.seed, kernels);
    if (initial) model.params.set(initial.model.params);
  }
  const parallel = await startDataParallel(model, threads);
  let trainer: Trainer;
  try {
    trainer = new Trainer(model, data.train, data.validation, trainOptionsOf(recipe), { parallel });
  } catch (error) {
    parallel?.close();
    throw error;
  }
  if (checkpoint) restoreTrainer(trainer, checkpoint);
  // A cosine spans the budget the run started with: a resume with a longer budget continues at its minimum.
  if (recipe.schedule === 'cosine') recipe.scheduleSteps = trainer.schedule.totalSteps;
  const source = findCorpus(data.source) ? data.source : resolve(data.source);
  // The run's identity (runIdentity) counts the --init file by its path, size and time.
  const init = flags.init ? `${resolve(flags.init)}:${statSync(flags.init).size}:${statSync(flags.init).mtimeMs}` : '';
  const record: TrainingDataRecord = {
    source,
    lines: data.lineCount,
    fingerprint: data.fingerprint,
    run: training?.runId ?? runIdentity(recipe, data.fingerprint, init),
  };
  return { flags, recipe, data, model, trainer, parallel, checkpoint, out: resolve(out), checkpointPath, logPath, record, folder, modeLine };
}

/**
 * A path recorded in a checkpoint, as this process must open it: relative paths resolve against the
 * folder the run started in. A built-in corpus's name stays a name.
 */
function recordedPath(path: string, folder: string | undefined, checkpointPath: string): string {
  if (findCorpus(path)) return path;
  const resolved = resolve(folder ?? process.cwd(), path);
  if (!existsSync(resolved)) {
    const where = isAbsolute(path)
      ? ''
      : folder
        ? `, relative to ${folder}, where its run started`
        : ', relative to the folder its run started in, which this older checkpoint does not record';
    throw new BpttError(`data file ${path} (recorded in the checkpoint ${checkpointPath}${where}) does not exist`, `pass --data with the file's path now`);
  }
  return resolved;
}

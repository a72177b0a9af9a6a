/**
 * `bptt train`: flags → recipe → data → model → Trainer, with a progress bar,
 * checkpoints at every epoch, the model file at the end, and a few samples.
 * In three parts: prepare (everything that can be refused is refused here,
 * before a file is written), run (the training, its events and Ctrl-C), and
 * finish (the model file, the summary, the samples). The flags are in flags.ts.
 */
import { existsSync, openSync, statSync, writeSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import type { FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { findCorpus } from '../data/corpora.js';
import { TokenStreams } from '../data/stream.js';
import type { Sequence } from '../data/sequences.js';
import { decodeModelFile, encodeModelFile, modelFileBytes, type SavedModel, type TrainingDataRecord } from '../io/model-file.js';
import { WasmKernels, WASM_HEAP_BYTES } from '../kernels/wasm/wasm-kernels.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Backend } from '../kernels/select.js';
import { RnnModel } from '../model/rnn-model.js';
import { createOptimizer } from '../optim/create-optimizer.js';
import { OPTIMIZER_LABELS } from '../optim/optimizer.js';
import { DEFAULT_DECAY_FACTOR } from '../optim/schedule.js';
import { generate } from '../sample/generate.js';
import { decodeCheckpoint, encodeCheckpoint, restoreTrainer, type LoadedCheckpoint } from '../train/checkpoint.js';
import type { DataParallel } from '../train/data-parallel.js';
import { trainingMemory } from '../train/memory.js';
import {
  DEFAULT_RECIPE,
  fingerprint,
  modelConfigOf,
  PRESETS,
  streamEvaluateEvery,
  streamReadingOf,
  TEXT_RECIPE,
  autoRecipe,
  trainOptionsOf,
  type Recipe,
} from '../train/recipe.js';

import { DivergenceError, Trainer, type EpochEvent } from '../train/trainer.js';
import type { TokenizerKind } from '../text/tokenizer.js';
import { corpusName } from './corpus.js';
import { checkFreeSpace, checkWritable, fileError, probePath, readBytes, refuseOverlaps, writeFileAtomic } from './files.js';
import { addFlags, givenFlags, recipeFromFlags, refuseIneffective, refuseOnResume, withDefaults } from './flags.js';
import { lockOutput } from './lock.js';
import { loadChartLibraries, LossHistory, lossChartSvg } from './loss-plot.js';
import { kernelsFor } from './model-input.js';
import { createProgress } from './progress.js';
import { defaultThreads, startDataParallel } from './threads.js';
import { loadTrainingData, loadValidationData, textBeginning, type TrainingData } from './train-data.js';
import { kernelThreads, NativeKernels, NATIVE_HEAP_BYTES } from '../kernels/native/native-kernels.js';

/** The flags train.ts reads itself; the recipe's come through recipeFromFlags. */
interface TrainFlags {
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

/** Everything a run needs, checked: nothing has been written yet when prepare() returns (but the locks). */
interface PreparedRun {
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

async function prepare(values: Record<string, unknown>): Promise<PreparedRun> {
  const given = givenFlags(values);
  const flags = withDefaults<TrainFlags>('train', values);
  if (flags.resume && flags.init)
    throw new BpttError('--resume and --init both given', "use --resume to continue a run, or --init to start a new run from a model's weights");

  const kernels = await kernelsFor(flags.backend);
  let checkpoint: LoadedCheckpoint | undefined;
  let recipe: Recipe;
  let modeLine: string | undefined;
  if (flags.resume) {
    refuseOnResume(given, values);
    checkpoint = decodeCheckpoint(readBytes(flags.resume, 'checkpoint'), flags.resume, kernels);
    recipe = recipeFromFlags(values, given, checkpoint.training.recipe);
  } else if (!flags.preset && (values.mode === undefined || values.mode === 'auto')) {
    // Mode auto: the base recipe comes from the data's shape; every flag given still wins over it.
    const decision = autoMode(flags.data ?? 'dinosaurs', values.tokens === 'word' ? 'word' : 'char');
    modeLine = decision.line;
    const { mode, ...rest } = values;
    void mode;
    given.delete('mode');
    recipe = recipeFromFlags(rest, given, decision.base);
  } else {
    recipe = recipeFromFlags(values, given, flags.preset ? PRESETS[flags.preset] : DEFAULT_RECIPE);
  }
  const initial = flags.init ? decodeModelFile(readBytes(flags.init, 'model file'), flags.init) : undefined;
  if (initial) takeArchitecture(recipe, initial, flags.init!, values);
  refuseIneffective('train', { values: flags as unknown as Record<string, unknown>, given, recipe });
  if (recipe.schedule === 'cosine' && recipe.minLearningRate !== undefined && recipe.minLearningRate >= recipe.learningRate) {
    throw new BpttError(`--min-lr ${recipe.minLearningRate} is not below the learning rate ${recipe.learningRate}`, 'give a smaller --min-lr or a larger --lr');
  }

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
  if (recipe.mode === 'stream' && recipe.evaluateEvery === undefined && data.train instanceof TokenStreams && data.validation instanceof TokenStreams) {
    const budgetSteps = recipe.steps ?? (recipe.epochs !== undefined ? recipe.epochs * data.train.windows : undefined);
    recipe.evaluateEvery = streamEvaluateEvery(data.train.windows, recipe.batchSize * recipe.seqLength, data.validation.tokens, budgetSteps);
  }
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
  const optimizerArrays = Object.keys(createOptimizer(trainOptionsOf(recipe).optimizer ?? { name: 'adagrad' }, 1, 'float32').state).length;
  checkFreeSpace([
    { path: out, bytes: modelFileBytes(config), what: 'model file' },
    ...(checkpointPath ? [{ path: checkpointPath, bytes: modelFileBytes(config, optimizerArrays), what: 'checkpoint' }] : []),
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
  const record: TrainingDataRecord = {
    source,
    lines: data.lineCount,
    fingerprint: data.fingerprint,
    run: training?.runId ?? runIdentity(recipe, data.fingerprint, flags.init),
  };
  return { flags, recipe, data, model, trainer, parallel, checkpoint, out: resolve(out), checkpointPath, logPath, record, folder, modeLine };
}

/**
 * Mode auto's decision (data/auto-mode.ts) from the beginning of the text: the recipe a run starts
 * from, and the line saying so. Running text trains in mode stream with TEXT_RECIPE; a list of short
 * lines with bptt's defaults (with --tokens word too: the windows then hold words and marks).
 */
function autoMode(spec: string, tokens: TokenizerKind): { base: Recipe; line?: string } {
  const beginning = textBeginning(spec);
  if (beginning === undefined) return { base: DEFAULT_RECIPE }; // loading the data says what is wrong with it
  const choice = autoRecipe(beginning, tokens);
  if (choice.tooShortFor !== undefined) {
    const unit = tokens === 'word' ? 'words and marks' : 'characters';
    return {
      base: DEFAULT_RECIPE,
      line: `Mode auto: lines, with the default recipe (${choice.reason}, but only ${choice.tokenCount} ${unit}, fewer than ${choice.tooShortFor} for the text recipe's streams); --mode stream to stream it anyway`,
    };
  }
  if (choice.mode === 'lines')
    return { base: DEFAULT_RECIPE, line: `Mode auto: lines, with the default recipe (${choice.reason}); --mode stream to read it as running text` };
  const r = TEXT_RECIPE;
  return {
    base: TEXT_RECIPE,
    line: `Mode auto: stream, with the text recipe (${choice.reason}): ${r.cell.toUpperCase()} ${r.layers > 1 ? `${r.layers}×` : ''}${r.hidden}, batch ${r.batchSize}, windows of ${r.seqLength}, ${optimizationText(r)}, dropout ${r.dropout ?? 0}; any flag given overrides it, --mode lines reads it line by line`,
  };
}

/**
 * A run's identity: what fixes its trajectory (the recipe without its budget, the data, the --init file),
 * so that two runs with the same identity write the same weights at the same epoch, and model files stay
 * bitwise reproducible (no random id). Computed once at the start; resumes keep it.
 */
function runIdentity(recipe: Recipe, dataFingerprint: string, init: string | undefined): string {
  const { epochs, timeSeconds, steps, patience, evaluateEvery, ...trajectory } = recipe;
  void [epochs, timeSeconds, steps, patience, evaluateEvery];
  const initPart = init ? `${resolve(init)}:${statSync(init).size}:${statSync(init).mtimeMs}` : '';
  return fingerprint(`${JSON.stringify(trajectory)}|${dataFingerprint}|${initPart}`);
}

/** --init: the architecture is the file's; a flag that contradicts it is refused. */
function takeArchitecture(recipe: Recipe, initial: SavedModel, path: string, values: Record<string, unknown>): void {
  const c = initial.model.config;
  for (const [flag, key, inFile] of [
    ['--cell', 'cell', c.cell],
    ['--layers', 'layers', c.layers],
    ['--hidden', 'hidden', c.hidden],
    ['--embed', 'embed', c.embed],
    ['--activation', 'activation', c.activation],
    ['--tokens', 'tokens', initial.tokenizer.kind],
  ] as const) {
    const given = values[key];
    if (given !== undefined && given !== inFile)
      throw new BpttError(`${flag} ${String(given)} differs from ${path}, which has ${inFile}`, `drop ${flag}: the architecture comes from the --init file`);
  }
  Object.assign(recipe, {
    tokens: initial.tokenizer.kind,
    cell: c.cell,
    layers: c.layers,
    hidden: c.hidden,
    embed: c.embed,
    activation: c.activation,
    dtype: (values.dtype as Recipe['dtype'] | undefined) ?? c.dtype,
  });
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

/** Refuses a run whose memory exceeds what its kernels can hold, naming the flag to lower. */
function checkMemory(recipe: Recipe, data: TrainingData, config: RnnModel['config'], kernels: Kernels, threads: number): void {
  const optimizerArrays = Object.keys(createOptimizer(trainOptionsOf(recipe).optimizer ?? { name: 'adagrad' }, 1, 'float32').state).length;
  const train = data.train;
  const streams = train instanceof TokenStreams;
  const longest = (sequences: readonly Sequence[], rows: number) =>
    sequences
      .map((s) => s.input.length)
      .sort((a, b) => b - a)
      .slice(0, rows)
      .reduce((sum, n) => sum + n, 0);
  const batchSize = recipe.batchSize;
  // (A loop, not Math.max(...lengths): a text in mode chunks can make millions of sequences.)
  const steps = streams ? recipe.seqLength : (train as readonly Sequence[]).reduce((most, s) => Math.max(most, s.input.length), 1);
  const positions = streams ? batchSize * recipe.seqLength : longest(train as readonly Sequence[], batchSize);
  const validation = data.validation;
  const evaluationRows = validation instanceof TokenStreams ? validation.streams : Math.min(256, validation.length);
  const evaluationPositions = validation instanceof TokenStreams ? validation.streams * recipe.seqLength : longest(validation, evaluationRows);
  const estimate = trainingMemory(config, {
    batchSize,
    steps,
    positions,
    threads,
    optimizerArrays,
    evaluationRows,
    evaluationPositions,
    dropout: (recipe.dropout ?? 0) > 0,
  });
  // The WebAssembly and native kernels keep every array in one WebAssembly memory of at most 1 GiB (WASM_HEAP_BYTES, NATIVE_HEAP_BYTES).
  const heap = kernels instanceof WasmKernels ? WASM_HEAP_BYTES : kernels instanceof NativeKernels ? NATIVE_HEAP_BYTES : undefined;
  const wasm = heap !== undefined;
  const limit = heap ?? totalmem();
  if (estimate.bytes <= limit) return;
  // The flags that shrink the largest part; a big vocabulary (word tokens) weighs on the weights and the probabilities.
  const largest = Math.max(estimate.weights, estimate.activations, estimate.threads);
  const vocabulary =
    config.vocabSize > 4 * config.hidden
      ? [`the vocabulary (${config.vocabSize} tokens${recipe.tokens === 'word' ? ': raise --min-count or lower --max-vocab' : ''})`]
      : [];
  const length = streams || recipe.mode === 'chunks' ? '--seq-length' : `the longest lines (${steps} steps)`;
  const flags =
    largest === estimate.weights
      ? ['--hidden', '--embed', '--layers', ...vocabulary]
      : largest === estimate.activations
        ? ['--hidden', '--batch', length, ...vocabulary]
        : ['--threads'];
  const lower = flags.length > 1 ? `${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}` : flags[0];
  const what = wasm
    ? `the WebAssembly heap's ${gib(limit)} (the limit of the ${kernels.name} kernels' memory, not of this machine; --backend reference runs in ordinary memory, slower)`
    : `this machine's ${gib(limit)} of memory`;
  throw new BpttError(
    `this run needs about ${gib(estimate.bytes)} (weights, gradients and optimizer state ${gib(estimate.weights)}, activations ${gib(estimate.activations)}, thread replicas ${gib(estimate.threads)}), more than ${what}`,
    `lower ${lower}`,
  );
}

const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

interface Outcome {
  interrupted: boolean;
  diverged?: DivergenceError;
  lastValidation: number;
  best: { params: FloatArray; at: string; loss: number } | null;
  lastCheckpointEpoch: number | undefined;
}

/** Trains, writing the checkpoint, the best model, the log and the plot as epochs end. */
async function runTraining(run: PreparedRun): Promise<Outcome> {
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
  const log = logPath ? openLog(logPath) : undefined;
  if (log) {
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

/** The model file, the summary line and the samples; the exit code. */
function finish(run: PreparedRun, outcome: Outcome): number {
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
    const best = outcome.best as Outcome['best'];
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
  let kept = outcome.best as Outcome['best'];
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

const unitName = (recipe: Recipe) => (recipe.cell === 'rnn' ? `${recipe.activation} RNN` : recipe.cell.toUpperCase());

/** "an LSTM (hidden 192, embedding 64, 204,315 parameters, float32)" */
function describeModel(recipe: Recipe, model: RnnModel): string {
  const unit = unitName(recipe);
  const input = recipe.embed > 0 ? `embedding ${recipe.embed}` : 'one-hot input';
  return `${unit === 'LSTM' ? 'an' : 'a'} ${unit} (${recipe.layers > 1 ? `${recipe.layers} layers, ` : ''}hidden ${recipe.hidden}, ${input}, ${model.params.length.toLocaleString('en-US')} parameters, ${recipe.dtype})`;
}

/** "Adagrad lr 0.1, clip 5", "AdamW lr 0.005 (cosine over 1875 steps, warmup 100), clip-norm 1", … */
function optimizationText(recipe: Recipe): string {
  const schedule: string[] = [];
  if (recipe.schedule === 'step') schedule.push(`× ${recipe.decayFactor ?? DEFAULT_DECAY_FACTOR} every ${recipe.decayEvery} steps`);
  if (recipe.schedule === 'cosine') schedule.push(`cosine${recipe.scheduleSteps ? ` over ${recipe.scheduleSteps} steps` : ''}`);
  if (recipe.warmup) schedule.push(`warmup ${recipe.warmup}`);
  const clips = [recipe.clip !== Infinity ? `clip ${recipe.clip}` : '', recipe.clipNorm !== undefined ? `clip-norm ${recipe.clipNorm}` : ''].filter(Boolean);
  return `${OPTIMIZER_LABELS[recipe.optimizer ?? 'adagrad']} lr ${recipe.learningRate}${schedule.length ? ` (${schedule.join(', ')})` : ''}, ${clips.join(', ') || 'no clipping'}`;
}

function budgetText(recipe: Recipe): string {
  const parts: string[] = [];
  if (recipe.epochs !== undefined) parts.push(`${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'}`);
  if (recipe.timeSeconds !== undefined) parts.push(`${recipe.timeSeconds} s`);
  if (recipe.steps !== undefined) parts.push(`${recipe.steps} steps`);
  return parts.join(' or ') || 'no budget';
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

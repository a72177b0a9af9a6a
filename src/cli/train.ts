/**
 * `bptt train`: flags → recipe → data → model → Trainer, with a progress bar,
 * checkpoints at every epoch, the model file at the end, and a few samples.
 */
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { DATA_MODES, type DataMode } from '../data/sequences.js';
import { decodeModelFile, MAX_LAYERS, modelFileBytes } from '../io/model-file.js';
import { encodeModelFile } from '../io/model-file.js';
import { RnnModel } from '../model/rnn-model.js';
import { ACTIVATIONS, type Activation } from '../nn/activation.js';
import { CELLS, type Cell } from '../model/config.js';
import { generate } from '../sample/generate.js';
import { decodeCheckpoint, encodeCheckpoint, restoreTrainer, type LoadedCheckpoint } from '../train/checkpoint.js';
import { DEFAULT_RECIPE, fingerprint, modelConfigOf, prepareData, PRESETS, trainOptionsOf, type Recipe } from '../train/recipe.js';
import { DivergenceError, Trainer } from '../train/trainer.js';
import { DTYPES, type DType, type FloatArray } from '../core/arrays.js';
import { loadCorpus } from './corpus.js';
import { existsSync, openSync, writeSync } from 'node:fs';
import { checkFreeSpace, checkWritable, fileError, readBytes, writeFileAtomic } from './files.js';
import { checkDistinctOutputs, lockOutput } from './lock.js';
import { choiceOption, integerOption, numberOption } from './options.js';
import { backendOption, kernelsFor } from './model-input.js';
import { createProgress } from './progress.js';
import { defaultThreads, startDataParallel } from './threads.js';
import type { Backend } from '../kernels/select.js';

interface TrainFlags {
  data?: string;
  mode?: DataMode;
  seqLength?: number;
  lowercase?: boolean;
  cell?: Cell;
  layers?: number;
  dropout?: number;
  forgetBias?: number;
  activation?: Activation;
  hidden?: number;
  embed?: number;
  batch?: number;
  lr?: number;
  clip?: number;
  epochs?: number;
  time?: number;
  steps?: number;
  patience?: number;
  val?: number;
  seed?: number;
  dtype?: DType;
  shuffle?: boolean;
  init?: string;
  out?: string;
  checkpoint?: string;
  log?: string;
  resume?: string;
  preset?: string;
  backend?: Backend;
  threads?: number;
  print: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a character-level RNN on a text (default: the built-in dinosaur names) and print a few samples')
    .option('--data <file|dinosaurs>', 'training text, one sequence per line (default: dinosaurs)')
    .option('--mode <mode>', 'lines: each line is a sequence; chunks: the notebook\'s fixed-length chunks', choiceOption('--mode', DATA_MODES))
    .option('--seq-length <T>', 'time steps per chunk in mode chunks', integerOption('--seq-length', 1, 10_000))
    .option('--lowercase', 'lower-case the text first')
    .option('--cell <name>', 'the recurrent unit: rnn (the seed\'s), lstm or gru', choiceOption('--cell', CELLS))
    .option('--layers <N>', 'stacked recurrent layers', integerOption('--layers', 1, MAX_LAYERS))
    .option('--dropout <P>', 'dropout between stacked layers during training (off when evaluating and sampling)', numberOption('--dropout', 0, 0.95))
    .option('--forget-bias <X>', 'for --cell lstm: the forget gate\'s initial bias (1 is common)', numberOption('--forget-bias', -10, 10))
    .option('--activation <name>', 'sigma of Eq. 1.2 for --cell rnn: sigmoid (the seed\'s), tanh or relu', choiceOption('--activation', ACTIVATIONS))
    .option('--hidden <N>', 'hidden state size D_h', integerOption('--hidden', 1, 8192))
    .option('--embed <D>', 'embedding size; 0 = one-hot input', integerOption('--embed', 0, 4096))
    .option('--batch <N>', 'sequences per minibatch', integerOption('--batch', 1, 65_536))
    .option('--lr <X>', 'Adagrad learning rate', numberOption('--lr', 0, 100, { exclusiveMin: true }))
    .option('--clip <C>', 'clip gradients elementwise to [-C, C]', numberOption('--clip', 0, Infinity, { exclusiveMin: true }))
    .option('--epochs <N>', 'passes over the training data', integerOption('--epochs', 1, 1_000_000))
    .option('--time <SECONDS>', 'train for this many seconds instead of a number of epochs', numberOption('--time', 0, 1e7, { exclusiveMin: true }))
    .option('--steps <N>', 'stop after this many optimizer steps', integerOption('--steps', 1, 1e12))
    .option('--patience <N>', 'stop after N epochs without a better validation loss', integerOption('--patience', 1, 1_000_000))
    .option('--val <FRACTION>', 'fraction of lines held out for validation', numberOption('--val', 0, 0.9))
    .option('--seed <N>', 'random seed (weights, split, batch order)', integerOption('--seed', 0, 2 ** 32 - 1))
    .option('--dtype <type>', 'float32 (fast) or float64 (exact)', choiceOption('--dtype', DTYPES))
    .option('--shuffle', 'shuffle the training data between epochs')
    .option('--no-shuffle', 'keep the data order in every epoch')
    .option('--init <FILE>', 'start from the weights of a model file')
    .option('--out <FILE>', 'the trained model: with validation data, the epoch with the best validation loss (default: <data name>.safetensors)')
    .option('--checkpoint <FILE>', 'write a checkpoint here after every epoch')
    .option('--resume <FILE>', 'continue a run from its checkpoint')
    .option('--log <FILE>', 'append one JSON object per step and per epoch (JSON Lines)')
    .option('--preset <name>', 'start from a named recipe: seed (the notebook exactly)', choiceOption('--preset', Object.keys(PRESETS)))
    .option('--print <N>', 'samples to print after training', integerOption('--print', 0, 1000), 10)
    .option(backendOption.flags, backendOption.description, backendOption.parse)
    .option('--threads <N>', 'threads sharing each batch (default: every core with the WebAssembly kernels, else 1)', integerOption('--threads', 1, 64))
    .action(async (flags: TrainFlags) => {
      process.exitCode = await train(flags);
    });
}

function recipeFrom(flags: TrainFlags, base: Recipe): Recipe {
  const recipe: Recipe = { ...base };
  const set = <K extends keyof Recipe>(key: K, value: Recipe[K] | undefined) => {
    if (value !== undefined) recipe[key] = value;
  };
  set('mode', flags.mode);
  set('seqLength', flags.seqLength);
  set('lowercase', flags.lowercase);
  set('cell', flags.cell);
  set('layers', flags.layers);
  set('dropout', flags.dropout);
  set('forgetBias', flags.forgetBias);
  set('activation', flags.activation);
  set('hidden', flags.hidden);
  set('embed', flags.embed);
  set('batchSize', flags.batch);
  set('learningRate', flags.lr);
  set('clip', flags.clip);
  set('validationFraction', flags.val);
  set('patience', flags.patience);
  set('seed', flags.seed);
  set('dtype', flags.dtype);
  set('shuffle', flags.shuffle);
  if (flags.epochs !== undefined || flags.time !== undefined || flags.steps !== undefined) {
    recipe.epochs = flags.epochs;
    recipe.timeSeconds = flags.time;
    recipe.steps = flags.steps;
  }
  return recipe;
}

async function train(flags: TrainFlags): Promise<number> {
  if (flags.resume && flags.init) throw new BpttError('--resume and --init both given', 'use --resume to continue a run, or --init to start a new run from a model\'s weights');

  const kernels = await kernelsFor(flags.backend);
  let checkpoint: LoadedCheckpoint | undefined;
  let recipe: Recipe;
  if (flags.resume) {
    const fixed = (['mode', 'seqLength', 'lowercase', 'cell', 'layers', 'dropout', 'forgetBias', 'activation', 'hidden', 'embed', 'batch', 'lr', 'clip', 'val', 'seed', 'dtype', 'shuffle', 'preset'] as const).find((key) => flags[key] !== undefined);
    if (fixed) {
      const flag = fixed === 'shuffle' ? '--shuffle/--no-shuffle' : `--${fixed.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new BpttError(`${flag} cannot change when resuming: the run continues with the checkpoint's recipe`, 'drop it, or start a new run with --init to change it');
    }
    checkpoint = decodeCheckpoint(readBytes(flags.resume, 'checkpoint'), flags.resume, kernels);
    const budgetOnly = { epochs: flags.epochs, time: flags.time, steps: flags.steps, print: flags.print };
    recipe = recipeFrom(budgetOnly, checkpoint.training.recipe);
  } else {
    recipe = recipeFrom(flags, flags.preset ? PRESETS[flags.preset] : DEFAULT_RECIPE);
  }

  const initial = flags.init ? decodeModelFile(readBytes(flags.init, 'model file'), flags.init) : undefined;
  if (initial) {
    const c = initial.model.config;
    for (const [flag, given, inFile] of [['--cell', flags.cell, c.cell], ['--layers', flags.layers, c.layers], ['--hidden', flags.hidden, c.hidden], ['--embed', flags.embed, c.embed], ['--activation', flags.activation, c.activation]] as const) {
      if (given !== undefined && given !== inFile) throw new BpttError(`${flag} ${given} differs from ${flags.init}, which has ${inFile}`, `drop ${flag}: the architecture comes from the --init file`);
    }
    Object.assign(recipe, { cell: c.cell, layers: c.layers, hidden: c.hidden, embed: c.embed, activation: c.activation, dtype: flags.dtype ?? c.dtype });
  }

  const corpus = loadCorpus(flags.data ?? checkpoint?.training.dataSource ?? 'dinosaurs');
  const data = prepareData(corpus.text, recipe, corpus.source, checkpoint?.tokenizer ?? initial?.tokenizer);
  const dataFingerprint = fingerprint(corpus.text);
  if (checkpoint && checkpoint.training.dataFingerprint !== dataFingerprint) {
    throw new BpttError(`the data ${corpus.source} differs from the data the checkpoint ${flags.resume} was trained on (${checkpoint.training.dataSource})`, 'resume with the same --data, or start a new run');
  }

  const out = flags.out ?? `${corpus.name}.safetensors`;
  checkDistinctOutputs([{ flag: '--out', path: out }, { flag: '--checkpoint', path: flags.checkpoint }, { flag: '--log', path: flags.log }]);
  checkWritable(out, 'model file');
  if (flags.checkpoint) checkWritable(flags.checkpoint, 'checkpoint');
  // Before training, not after an hour: another run writing the same files, or too little disk space for them.
  lockOutput(out, 'model file', (line) => process.stderr.write(line));
  if (flags.checkpoint) lockOutput(flags.checkpoint, 'checkpoint', (line) => process.stderr.write(line));
  const plannedConfig = modelConfigOf(recipe, data.tokenizer.size);
  checkFreeSpace([
    { path: out, bytes: modelFileBytes(plannedConfig), what: 'model file' },
    ...(flags.checkpoint ? [{ path: flags.checkpoint, bytes: modelFileBytes(plannedConfig, 1 /* Adagrad's memory */), what: 'checkpoint' }] : []),
  ]);

  let model: RnnModel;
  if (checkpoint) model = checkpoint.model;
  else {
    model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed, kernels);
    if (initial) model.params.set(initial.model.params);
  }
  const parallel = await startDataParallel(model, flags.threads ?? defaultThreads(kernels));
  const trainer = new Trainer(model, data.train, data.validation, trainOptionsOf(recipe), undefined, parallel);
  if (checkpoint) restoreTrainer(trainer, checkpoint);

  const err = process.stderr;
  const input = recipe.embed > 0 ? `embedding ${recipe.embed}` : 'one-hot input';
  const unit = recipe.cell === 'rnn' ? `${recipe.activation} RNN` : recipe.cell.toUpperCase();
  err.write(
    `${checkpoint ? 'Resuming' : 'Training'} a ${unit} (${recipe.layers > 1 ? `${recipe.layers} layers, ` : ''}hidden ${recipe.hidden}, ${input}, ${model.params.length.toLocaleString('en-US')} parameters, ${recipe.dtype}) ` +
      `on ${corpus.source}: ${data.train.length} training and ${data.validation.length} validation ${recipe.mode === 'lines' ? 'lines' : 'chunks'}, ` +
      `vocabulary ${data.tokenizer.size}; ${model.kernels.name} kernels, ${parallel?.threads ?? 1} thread${parallel ? 's' : ''}; batch ${recipe.batchSize}, Adagrad lr ${recipe.learningRate}, clip ${recipe.clip}, ${budgetText(recipe)}\n`,
  );

  let lastCheckpointEpoch: number | undefined; // of this run
  const writeCheckpoint = () => {
    if (flags.checkpoint) writeFileAtomic(flags.checkpoint, encodeCheckpoint(trainer, data.tokenizer, { recipe, dataSource: corpus.source, dataFingerprint }), 'checkpoint');
    lastCheckpointEpoch = trainer.position.epoch;
  };
  const progress = createProgress(err, () => budgetText(recipe));
  const log = flags.log ? openLog(flags.log) : undefined;
  if (log) {
    trainer.on('step', (e) => log({ type: 'step', step: e.position.step, epoch: e.position.epoch, loss: e.loss, tokens: e.tokens, tokens_per_s: e.tokensPerSecond, clipped_fraction: e.clippedFraction, seconds: e.position.elapsedSeconds }));
    trainer.on('epoch', (e) => log({ type: 'epoch', step: e.position.step, epoch: e.position.epoch, train_loss: e.trainLoss, validation_loss: Number.isNaN(e.validationLoss) ? null : e.validationLoss, improved: e.improved, seconds: e.position.elapsedSeconds }));
  }
  let lastValidation = NaN;
  trainer.on('step', (event) => progress.step(event));
  // --out keeps the best model by validation loss (the checkpoint keeps the latest, to resume).
  let best: { params: FloatArray; epoch: number; loss: number } | null = null;
  trainer.on('epoch', (event) => {
    lastValidation = event.validationLoss;
    progress.epoch(event);
    if (event.improved) {
      best = { params: model.params.slice(), epoch: event.position.epoch, loss: event.validationLoss };
      writeFileAtomic(out, encodeModelFile(model, data.tokenizer), 'model file');
    }
    writeCheckpoint();
  });

  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    trainer.requestStop();
  };
  process.once('SIGINT', onInterrupt);
  try {
    await trainer.run();
  } catch (error) {
    progress.stop();
    if (error instanceof DivergenceError) {
      const kept = !flags.checkpoint ? '' : lastCheckpointEpoch !== undefined ? `the checkpoint ${flags.checkpoint} keeps epoch ${lastCheckpointEpoch}, the last good one; ` : `no checkpoint was written in this run (${flags.checkpoint} is as it was); `;
      err.write(`bptt: training diverged at step ${error.step}: ${error.what}; nothing was written after that; ${kept}lower the learning rate (--lr ${recipe.learningRate}: try ${recipe.learningRate / 10}) or --clip and train again\n`);
      return 1;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    parallel?.close();
  }
  progress.stop();
  writeCheckpoint();
  if (interrupted) {
    err.write(`Interrupted at step ${trainer.position.step}${flags.checkpoint ? `; checkpoint written to ${flags.checkpoint} (continue with --resume ${flags.checkpoint})` : ''}\n`);
    return 130;
  }

  if (Number.isNaN(lastValidation) && data.validation.length > 0) lastValidation = trainer.evaluate(data.validation).natsPerToken;
  let kept = best as { params: FloatArray; epoch: number; loss: number } | null;
  const seconds = trainer.position.elapsedSeconds;
  const { bestEpoch, bestValidationLoss } = trainer.position;
  if (!kept && checkpoint && bestEpoch !== undefined && bestValidationLoss !== undefined && existsSync(out)) {
    // Resumed, and no epoch since beat the best of the run(s) before: --out holds that best already.
    // Overwriting it with the last weights would lose it; keep it and sample from it, as an unbroken run does.
    const earlier = decodeModelFile(readBytes(out, 'model file'), out);
    if (earlier.model.params.length === model.params.length) kept = { params: earlier.model.params, epoch: bestEpoch, loss: bestValidationLoss };
  }
  if (kept) {
    // The best epoch's weights are in --out already; sample from them too.
    model.params.set(kept.params);
  } else writeFileAtomic(out, encodeModelFile(model, data.tokenizer), 'model file');
  err.write(
    `Trained ${trainer.position.step} steps (${trainer.position.epoch} epochs) in ${seconds.toFixed(1)} s` +
      (data.validation.length > 0 ? `; validation loss ${lastValidation.toFixed(4)} nats/char` : '') +
      (kept ? `; the best, ${kept.loss.toFixed(4)} at epoch ${kept.epoch}, is kept. Model written to ${out}\n` : `. Model written to ${out}\n`),
  );

  if (flags.print > 0) {
    const known = new Set(data.lines);
    const { samples } = generate(model, data.tokenizer, { count: flags.print, temperature: 1, seed: recipe.seed, maxLength: 100 });
    const novel = samples.filter((s) => !known.has(s)).length;
    err.write(`${flags.print} samples (${novel} not in the training data; * marks a copy):\n`);
    for (const sample of samples) process.stdout.write(`${sample}${known.has(sample) ? ' *' : ''}\n`);
  }
  return 0;
}

function budgetText(recipe: Recipe): string {
  const parts: string[] = [];
  if (recipe.epochs !== undefined) parts.push(`${recipe.epochs} epoch${recipe.epochs === 1 ? "" : "s"}`);
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

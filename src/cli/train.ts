/**
 * `bptt train`: flags → recipe → data → model → Trainer, with a progress bar,
 * checkpoints at every epoch, the model file at the end, and a few samples.
 */
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { DATA_MODES } from '../data/sequences.js';
import { DOCUMENT_BOUNDARIES } from '../data/stream.js';
import { decodeModelFile, MAX_LAYERS, modelFileBytes } from '../io/model-file.js';
import { createOptimizer } from '../optim/create-optimizer.js';
import { encodeModelFile } from '../io/model-file.js';
import { RnnModel } from '../model/rnn-model.js';
import { ACTIVATIONS } from '../nn/activation.js';
import { CELLS } from '../model/config.js';
import { generate } from '../sample/generate.js';
import { decodeCheckpoint, encodeCheckpoint, restoreTrainer, type LoadedCheckpoint } from '../train/checkpoint.js';
import { DEFAULT_RECIPE, modelConfigOf, PRESETS, trainOptionsOf, type Recipe } from '../train/recipe.js';
import { recipeOf, type RecipeOptions } from '../train/recipe-options.js';
import { DivergenceError, Trainer, type EpochEvent } from '../train/trainer.js';
import { DTYPES, type FloatArray } from '../core/arrays.js';
import { loadTrainingData } from './train-data.js';
import { existsSync, openSync, writeSync } from 'node:fs';
import { checkFreeSpace, checkWritable, fileError, readBytes, writeFileAtomic } from './files.js';
import { checkDistinctOutputs, lockOutput } from './lock.js';
import { choiceOption, integerOption, numberOption } from './options.js';
import { backendOption, kernelsFor } from './model-input.js';
import { createProgress } from './progress.js';
import { loadChartLibraries, LossHistory, lossChartSvg } from './loss-plot.js';
import { defaultThreads, startDataParallel } from './threads.js';
import type { Backend } from '../kernels/select.js';
import { DEFAULT_LEARNING_RATES, OPTIMIZER_LABELS, OPTIMIZERS, type OptimizerName } from '../optim/optimizer.js';
import { DEFAULT_DECAY_FACTOR, SCHEDULES, type ScheduleKind } from '../optim/schedule.js';
import { TOKENIZER_KINDS } from '../text/tokenizer.js';

/** The flags of `bptt train`: the recipe's (RecipeOptions, shared with the library's train()) and the CLI's own. */
interface TrainFlags extends RecipeOptions {
  data?: string;
  init?: string;
  out?: string;
  checkpoint?: string;
  log?: string;
  plot?: string;
  resume?: string;
  preset?: string;
  backend?: Backend;
  threads?: number;
  print: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a character- or word-level RNN on a text (default: the built-in dinosaur names) and print a few samples')
    .option('--data <file|name>', 'training text, one sequence per line, or a built-in corpus (bptt data lists them; default: dinosaurs)')
    .option('--mode <mode>', 'lines: each line is a sequence; chunks: the notebook\'s fixed-length chunks; stream: a long text as --batch streams, windows of --seq-length, state carried', choiceOption('--mode', DATA_MODES))
    .option('--seq-length <T>', 'time steps per chunk in mode chunks, per window in mode stream', integerOption('--seq-length', 1, 10_000))
    .option('--tokens <kind>', 'char: characters are the tokens; word: words and punctuation marks', choiceOption('--tokens', TOKENIZER_KINDS))
    .option('--min-count <N>', 'with --tokens word: words seen fewer times become <unk> (default 2)', integerOption('--min-count', 1, 1_000_000))
    .option('--documents <where>', 'mode stream: documents end at a blank-line (default), at every line, or none; the state resets to zero there', choiceOption('--documents', DOCUMENT_BOUNDARIES))
    .option('--eval-every <N>', 'also evaluate (and checkpoint) every N steps, for long epochs', integerOption('--eval-every', 1, 1e12))
    .option('--lowercase', 'lower-case the text first')
    .option('--cell <name>', 'the recurrent unit: rnn (the seed\'s), lstm or gru', choiceOption('--cell', CELLS))
    .option('--layers <N>', 'stacked recurrent layers', integerOption('--layers', 1, MAX_LAYERS))
    .option('--dropout <P>', 'dropout on non-recurrent connections (between stacked layers, before the output layer) during training; 0 = none', numberOption('--dropout', 0, 0.95))
    .option('--forget-bias <X>', 'for --cell lstm: the forget gate\'s initial bias (1 is common)', numberOption('--forget-bias', -10, 10))
    .option('--activation <name>', 'sigma of Eq. 1.2 for --cell rnn: sigmoid (the seed\'s), tanh or relu', choiceOption('--activation', ACTIVATIONS))
    .option('--hidden <N>', 'hidden state size D_h', integerOption('--hidden', 1, 8192))
    .option('--embed <D>', 'embedding size; 0 = one-hot input', integerOption('--embed', 0, 4096))
    .option('--batch <N>', 'sequences per minibatch', integerOption('--batch', 1, 65_536))
    .option('--optimizer <name>', `${OPTIMIZERS.join(', ')} (docs/optimizers.md)`, choiceOption('--optimizer', OPTIMIZERS))
    .option('--lr <X>', `learning rate (default: ${OPTIMIZERS.map((name) => `${DEFAULT_LEARNING_RATES[name]} for ${name}`).join(', ')})`, numberOption('--lr', 0, 100, { exclusiveMin: true }))
    .option('--momentum <MU>', 'momentum for sgd and rmsprop', numberOption('--momentum', 0, 0.9999))
    .option('--nesterov', 'Nesterov momentum for sgd (with --momentum)')
    .option('--beta1 <B>', 'adam/adamw: decay of the gradient mean (default 0.9)', numberOption('--beta1', 0, 0.9999))
    .option('--beta2 <B>', 'adam/adamw: decay of the squared-gradient mean (default 0.999); rmsprop: its alpha (default 0.99)', numberOption('--beta2', 0, 0.999999))
    .option('--eps <E>', 'epsilon of adagrad (default 1e-8), rmsprop, adam, adamw (default 1e-8)', numberOption('--eps', 0, 1, { exclusiveMin: true }))
    .option('--weight-decay <L>', 'L2 weight decay (decoupled for adamw; default 0, adamw 0.01)', numberOption('--weight-decay', 0, 10))
    .option('--schedule <name>', `learning-rate schedule: ${SCHEDULES.join(', ')} (default constant)`, choiceOption('--schedule', SCHEDULES))
    .option('--decay-every <N>', 'for --schedule step: multiply the learning rate by --decay-factor every N steps', integerOption('--decay-every', 1, 1e12))
    .option('--decay-factor <G>', 'for --schedule step: the factor (default 0.1)', numberOption('--decay-factor', 0, 1, { exclusiveMin: true }))
    .option('--schedule-steps <N>', 'for --schedule cosine: steps from --lr down to --min-lr (default: the budget\'s steps; needed with --time alone)', integerOption('--schedule-steps', 1, 1e12))
    .option('--min-lr <X>', 'for --schedule cosine: the final learning rate (default 0)', numberOption('--min-lr', 0, 100))
    .option('--warmup <W>', 'raise the learning rate linearly over the first W steps', integerOption('--warmup', 1, 1e12))
    .option('--clip <C|none>', 'clip gradients elementwise to [-C, C] (none: off)', (text: string) => (text === 'none' ? Infinity : numberOption('--clip', 0, Infinity, { exclusiveMin: true })(text)))
    .option('--clip-norm <N>', 'scale the gradients down to a global L2 norm of at most N (elementwise --clip is then off unless given)', numberOption('--clip-norm', 0, 1e6, { exclusiveMin: true }))
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
    .option('--plot <FILE.svg>', 'draw the training and validation loss curves as SVG, rewritten at every epoch')
    .option('--preset <name>', 'start from a named recipe: seed (the notebook exactly)', choiceOption('--preset', Object.keys(PRESETS)))
    .option('--print <N>', 'samples to print after training', integerOption('--print', 0, 1000), 10)
    .option(backendOption.flags, backendOption.description, backendOption.parse)
    .option('--threads <N>', 'threads sharing each batch (default: every core with the WebAssembly kernels, else 1)', integerOption('--threads', 1, 64))
    .action(async (flags: TrainFlags) => {
      process.exitCode = await train(flags);
    });
}

/** The recipe the flags give: the library's rules (src/train/recipe-options.ts), so `train()` and `bptt train` agree. */
function recipeFrom(flags: TrainFlags, base: Recipe): Recipe {
  return recipeOf(flags, base);
}

async function train(flags: TrainFlags): Promise<number> {
  if (flags.resume && flags.init) throw new BpttError('--resume and --init both given', 'use --resume to continue a run, or --init to start a new run from a model\'s weights');

  const kernels = await kernelsFor(flags.backend);
  let checkpoint: LoadedCheckpoint | undefined;
  let recipe: Recipe;
  if (flags.resume) {
    const fixed = (['mode', 'seqLength', 'documents', 'tokens', 'minCount', 'lowercase', 'cell', 'layers', 'dropout', 'forgetBias', 'activation', 'hidden', 'embed', 'batch', 'optimizer', 'momentum', 'nesterov', 'beta1', 'beta2', 'eps', 'weightDecay', 'lr', 'schedule', 'decayEvery', 'decayFactor', 'scheduleSteps', 'minLr', 'warmup', 'clip', 'clipNorm', 'val', 'seed', 'dtype', 'shuffle', 'preset'] as const).find((key) => flags[key] !== undefined);
    if (fixed) {
      const flag = fixed === 'shuffle' ? '--shuffle/--no-shuffle' : `--${fixed.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new BpttError(`${flag} cannot change when resuming: the run continues with the checkpoint's recipe`, 'drop it, or start a new run with --init to change it');
    }
    checkpoint = decodeCheckpoint(readBytes(flags.resume, 'checkpoint'), flags.resume, kernels);
    const budgetOnly = { epochs: flags.epochs, time: flags.time, steps: flags.steps, evalEvery: flags.evalEvery, print: flags.print };
    recipe = recipeFrom(budgetOnly, checkpoint.training.recipe);
  } else {
    recipe = recipeFrom(flags, flags.preset ? PRESETS[flags.preset] : DEFAULT_RECIPE);
    checkOptimizationFlags(flags, recipe);
  }

  if (flags.minCount !== undefined && recipe.tokens !== 'word') throw new BpttError('--min-count applies to word tokens only', 'add --tokens word, or drop --min-count');
  const initial = flags.init ? decodeModelFile(readBytes(flags.init, 'model file'), flags.init) : undefined;
  if (initial) {
    const c = initial.model.config;
    for (const [flag, given, inFile] of [['--cell', flags.cell, c.cell], ['--layers', flags.layers, c.layers], ['--hidden', flags.hidden, c.hidden], ['--embed', flags.embed, c.embed], ['--activation', flags.activation, c.activation], ['--tokens', flags.tokens, initial.tokenizer.kind]] as const) {
      if (given !== undefined && given !== inFile) throw new BpttError(`${flag} ${given} differs from ${flags.init}, which has ${inFile}`, `drop ${flag}: the architecture comes from the --init file`);
    }
    Object.assign(recipe, { tokens: initial.tokenizer.kind, cell: c.cell, layers: c.layers, hidden: c.hidden, embed: c.embed, activation: c.activation, dtype: flags.dtype ?? c.dtype });
  }

  const data = loadTrainingData(flags.data ?? checkpoint?.training.dataSource ?? 'dinosaurs', recipe, checkpoint?.tokenizer ?? initial?.tokenizer);
  process.once('exit', data.close);
  const corpus = { source: data.source, name: data.name };
  const dataFingerprint = data.fingerprint;
  if (checkpoint && checkpoint.training.dataFingerprint !== dataFingerprint) {
    throw new BpttError(`the data ${corpus.source} differs from the data the checkpoint ${flags.resume} was trained on (${checkpoint.training.dataSource})`, 'resume with the same --data, or start a new run');
  }
  const hasValidation = data.hasValidation;

  const out = flags.out ?? `${data.name}.safetensors`;
  checkDistinctOutputs([{ flag: '--out', path: out }, { flag: '--checkpoint', path: flags.checkpoint }, { flag: '--log', path: flags.log }, { flag: '--plot', path: flags.plot }]);
  checkWritable(out, 'model file');
  if (flags.checkpoint) checkWritable(flags.checkpoint, 'checkpoint');
  if (flags.plot) checkWritable(flags.plot, 'plot');
  if (flags.plot) await loadChartLibraries(); // optional packages: missing ones are named now, not after training
  // Before training, not after an hour: another run writing the same files, or too little disk space for them.
  lockOutput(out, 'model file', (line) => process.stderr.write(line));
  if (flags.checkpoint) lockOutput(flags.checkpoint, 'checkpoint', (line) => process.stderr.write(line));
  const plannedConfig = modelConfigOf(recipe, data.tokenizer.size);
  const optimizerArrays = Object.keys(createOptimizer(trainOptionsOf(recipe).optimizer ?? { name: 'adagrad' }, 1, 'float32').state).length;
  checkFreeSpace([
    { path: out, bytes: modelFileBytes(plannedConfig), what: 'model file' },
    ...(flags.checkpoint ? [{ path: flags.checkpoint, bytes: modelFileBytes(plannedConfig, optimizerArrays), what: 'checkpoint' }] : []),
  ]);

  let model: RnnModel;
  if (checkpoint) model = checkpoint.model;
  else {
    model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), recipe.seed, kernels);
    if (initial) model.params.set(initial.model.params);
  }
  const parallel = await startDataParallel(model, flags.threads ?? defaultThreads(kernels));
  let trainer: Trainer;
  try {
    trainer = new Trainer(model, data.train, data.validation, trainOptionsOf(recipe), undefined, parallel);
  } catch (error) {
    parallel?.close();
    throw error;
  }
  if (checkpoint) restoreTrainer(trainer, checkpoint);
  // A cosine spans the budget the run started with: a resume with a longer budget continues at its minimum.
  if (recipe.schedule === 'cosine') recipe.scheduleSteps = trainer.schedule.totalSteps;

  const err = process.stderr;
  const input = recipe.embed > 0 ? `embedding ${recipe.embed}` : 'one-hot input';
  const unit = recipe.cell === 'rnn' ? `${recipe.activation} RNN` : recipe.cell.toUpperCase();
  err.write(
    `${checkpoint ? 'Resuming' : 'Training'} ${unit === 'LSTM' ? 'an' : 'a'} ${unit} (${recipe.layers > 1 ? `${recipe.layers} layers, ` : ''}hidden ${recipe.hidden}, ${input}, ${model.params.length.toLocaleString('en-US')} parameters, ${recipe.dtype}) ` +
      `on ${corpus.source}: ${data.summary}, ` +
      `vocabulary ${data.tokenizer.size}${data.vocabularyNote}; ${model.kernels.name} kernels, ${parallel?.threads ?? 1} thread${parallel ? 's' : ''}; batch ${recipe.batchSize}, ${optimizationText(recipe)}, ${budgetText(recipe)}\n`,
  );

  let lastCheckpointEpoch: number | undefined; // of this run
  const writeCheckpoint = () => {
    if (flags.checkpoint) writeFileAtomic(flags.checkpoint, encodeCheckpoint(trainer, data.tokenizer, { recipe, dataSource: corpus.source, dataFingerprint }), 'checkpoint');
    lastCheckpointEpoch = trainer.position.epoch;
  };
  const progress = createProgress(err, () => budgetText(recipe));
  const log = flags.log ? openLog(flags.log) : undefined;
  if (log) {
    trainer.on('step', (e) => log({ type: 'step', step: e.position.step, epoch: e.position.epoch, loss: e.loss, tokens: e.tokens, tokens_per_s: e.tokensPerSecond, clipped_fraction: e.clippedFraction, gradient_norm: e.gradientNorm, learning_rate: e.learningRate, seconds: e.position.elapsedSeconds }));
    trainer.on('evaluation', (e) => log({ type: 'evaluation', step: e.position.step, epoch: e.position.epoch, train_loss: e.trainLoss, validation_loss: Number.isNaN(e.validationLoss) ? null : e.validationLoss, improved: e.improved, seconds: e.position.elapsedSeconds }));
    trainer.on('epoch', (e) => log({ type: 'epoch', step: e.position.step, epoch: e.position.epoch, train_loss: e.trainLoss, validation_loss: Number.isNaN(e.validationLoss) ? null : e.validationLoss, improved: e.improved, seconds: e.position.elapsedSeconds }));
  }
  const history = new LossHistory();
  const writePlot = () => {
    if (!flags.plot) return;
    const svg = lossChartSvg(history, { title: `${unit} (hidden ${recipe.hidden}) on ${corpus.name}: loss per ${data.tokenizer.unit}`, unit: data.tokenizer.unit });
    writeFileAtomic(flags.plot, new TextEncoder().encode(svg), 'plot');
  };
  if (flags.plot) {
    trainer.on('step', (e) => history.recordStep(e.position.step, e.loss));
    trainer.on('epoch', (e) => {
      history.recordEpoch(e.position.step, e.trainLoss, e.validationLoss);
      writePlot();
    });
  }
  let lastValidation = NaN;
  trainer.on('step', (event) => progress.step(event));
  // --out keeps the best model by validation loss (the checkpoint keeps the latest, to resume).
  let best: { params: FloatArray; at: string; loss: number } | null = null;
  const onValidation = (event: EpochEvent, kind: 'epoch' | 'evaluation') => {
    lastValidation = event.validationLoss;
    progress[kind](event);
    if (event.improved) {
      best = { params: model.params.slice(), at: recipe.evaluateEvery ? `step ${event.position.step}` : `epoch ${event.position.epoch}`, loss: event.validationLoss };
      writeFileAtomic(out, encodeModelFile(model, data.tokenizer), 'model file');
    }
    writeCheckpoint();
  };
  trainer.on('epoch', (event) => onValidation(event, 'epoch'));
  trainer.on('evaluation', (event) => onValidation(event, 'evaluation')); // --eval-every and the end of a budget: the same

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
  writePlot();
  if (interrupted) {
    err.write(`Interrupted at step ${trainer.position.step}${flags.checkpoint ? `; checkpoint written to ${flags.checkpoint} (continue with --resume ${flags.checkpoint})` : ''}\n`);
    return 130;
  }

  if (Number.isNaN(lastValidation) && hasValidation) lastValidation = trainer.evaluate(data.validation).natsPerToken;
  let kept = best as { params: FloatArray; at: string; loss: number } | null;
  const seconds = trainer.position.elapsedSeconds;
  const { bestEpoch, bestValidationLoss } = trainer.position;
  if (!kept && checkpoint && bestEpoch !== undefined && bestValidationLoss !== undefined && existsSync(out)) {
    // Resumed, and no epoch since beat the best of the run(s) before: --out holds that best already.
    // Overwriting it with the last weights would lose it; keep it and sample from it, as an unbroken run does.
    const earlier = decodeModelFile(readBytes(out, 'model file'), out);
    if (earlier.model.params.length === model.params.length) kept = { params: earlier.model.params, at: `epoch ${bestEpoch}`, loss: bestValidationLoss };
  }
  if (kept) {
    // The best epoch's weights are in --out already; sample from them too.
    model.params.set(kept.params);
  } else writeFileAtomic(out, encodeModelFile(model, data.tokenizer), 'model file');
  err.write(
    `Trained ${trainer.position.step} steps (${trainer.position.epoch} epochs) in ${seconds.toFixed(1)} s` +
      (trainer.stoppedEarly ? ` (stopped early: ${recipe.patience} epochs without a better validation loss)` : '') +
      (hasValidation ? `; validation loss ${lastValidation.toFixed(4)} nats/${data.tokenizer.unit}` : '') +
      (kept ? `; the best, ${kept.loss.toFixed(4)} at ${kept.at}, is kept. Model written to ${out}\n` : `. Model written to ${out}\n`),
  );

  if (flags.print > 0) {
    const known = new Set(data.lines);
    const { samples } = generate(model, data.tokenizer, { count: flags.print, temperature: 1, seed: recipe.seed, maxLength: 100 });
    const novel = samples.filter((s) => !known.has(s)).length;
    err.write(known.size > 0 ? `${flags.print} samples (${novel} not in the training data; * marks a copy):\n` : `${flags.print} samples:\n`);
    for (const sample of samples) process.stdout.write(`${sample}${known.has(sample) ? ' *' : ''}\n`);
  }
  return 0;
}

/** Which optimizers and schedules each optimization flag applies to: a flag that would be ignored is refused. */
const APPLIES_TO: Partial<Record<keyof TrainFlags, { optimizers?: readonly OptimizerName[]; schedules?: readonly ScheduleKind[] }>> = {
  momentum: { optimizers: ['sgd', 'rmsprop'] },
  nesterov: { optimizers: ['sgd'] },
  beta1: { optimizers: ['adam', 'adamw'] },
  beta2: { optimizers: ['rmsprop', 'adam', 'adamw'] },
  eps: { optimizers: ['adagrad', 'rmsprop', 'adam', 'adamw'] },
  decayEvery: { schedules: ['step'] },
  decayFactor: { schedules: ['step'] },
  scheduleSteps: { schedules: ['cosine'] },
  minLr: { schedules: ['cosine'] },
};

function checkOptimizationFlags(flags: TrainFlags, recipe: Recipe): void {
  const optimizer = recipe.optimizer ?? 'adagrad';
  const schedule = recipe.schedule ?? 'constant';
  for (const [key, scope] of Object.entries(APPLIES_TO) as [keyof TrainFlags, (typeof APPLIES_TO)[keyof TrainFlags]][]) {
    if (flags[key] === undefined || !scope) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (scope.optimizers && !scope.optimizers.includes(optimizer)) throw new BpttError(`${flag} does not apply to --optimizer ${optimizer}`, `drop it, or use it with --optimizer ${scope.optimizers.join(' or ')}`);
    if (scope.schedules && !scope.schedules.includes(schedule)) throw new BpttError(`${flag} does not apply to --schedule ${schedule}`, `drop it, or add --schedule ${scope.schedules.join(' or ')}`);
  }
  if (recipe.minLearningRate !== undefined && recipe.minLearningRate >= recipe.learningRate) {
    throw new BpttError(`--min-lr ${recipe.minLearningRate} is not below the learning rate ${recipe.learningRate}`, 'give a smaller --min-lr or a larger --lr');
  }
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

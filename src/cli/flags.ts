/**
 * Every flag of every `bptt` command, declared once. Each entry says what the flag takes (its parser
 * and range), its help line, its default (read from the code's own source of truth, e.g. DEFAULT_RECIPE,
 * never copied), which recipe field it sets, which commands have it, when it has no effect (then it is
 * refused with one line saying why), and whether `train --resume` may change it. From this one list come
 * the commander options (`addFlags`), the recipe a run trains with (`recipeFromFlags`), the refusal of flags
 * that do nothing (`refuseIneffective`) and of flags a resume cannot change, and docs/cli.md
 * (`npm run docs:cli`; test/cli/docs-cli.test.ts fails when the page differs from the table).
 *
 * Adding a flag is one entry here (plus its row in test/cli/flags.test.ts, the independent check of
 * every range) and the code that reads it: nothing else lists flags. A flag several commands share with
 * one meaning lists them all in `commands`; the same name with another meaning is another entry. A new
 * command: its name in COMMANDS, its flags here, its intro in flag-docs.ts, and in program.ts a command
 * built with addFlags(command, name) whose action reads checkedFlags(name, values). Then `npm run docs:cli`.
 */
import type { Command } from 'commander';
import { DTYPES } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { DATA_MODES } from '../data/sequences.js';
import { DOCUMENT_BOUNDARIES } from '../data/stream.js';
import { MAX_LAYERS } from '../io/model-file.js';
import { BACKENDS } from '../kernels/select.js';
import { CELLS } from '../model/config.js';
import { ACTIVATIONS } from '../nn/activation.js';
import { DEFAULT_LEARNING_RATES, OPTIMIZER_DEFAULTS, OPTIMIZERS, type OptimizerName } from '../optim/optimizer.js';
import { DEFAULT_DECAY_FACTOR, SCHEDULES } from '../optim/schedule.js';
import { TOKENIZER_KINDS } from '../text/tokenizer.js';
import { MIN_VOCABULARY } from '../text/word-tokenizer.js';
import { WORKLOADS } from '../train/benchmark.js';
import { DEFAULT_RECIPE, PRESETS, type Recipe } from '../train/recipe.js';
import { recipeOf, type RecipeOptions } from '../train/recipe-options.js';
import { choiceOption, integerOption, numberOption } from './options.js';

export const COMMANDS = ['train', 'sample', 'eval', 'score', 'gradcheck', 'bench', 'info', 'import', 'data'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** What a `noEffect` rule sees: the command's flags (defaults filled in), which were typed, and for train the recipe. */
export interface FlagContext {
  values: Record<string, unknown>;
  given: ReadonlySet<string>;
  /** train: the recipe the run trains with (defaults, preset, checkpoint and flags applied). */
  recipe?: Recipe;
}

export interface Flag {
  /** '--hidden'; with `negatable`, '--no-<name>' too. */
  name: string;
  /** '<N>', '[TEXT]' (the value may be left out), or absent for a switch. */
  value?: string;
  commands: readonly CommandName[];
  parse?: (text: string) => unknown;
  help: string;
  /** The value when the flag is not given (a constant of the code, not a copy of it). */
  default?: unknown;
  /** The default as docs and --help say it, when it is not `default` (e.g. the recipe's value). */
  defaultText?: () => string;
  required?: boolean;
  /** '--shuffle' also has '--no-shuffle'. */
  negatable?: boolean;
  /** train: the recipe field this flag sets (when its value is the field's). */
  recipe?: keyof Recipe;
  /** train: whether --resume may change it (budget, outputs, threads); a recipe flag may not. */
  resumable?: boolean;
  /** Why the flag does nothing given the rest, or undefined when it has an effect. */
  noEffect?: (context: FlagContext) => string | undefined;
}

const recipeValue = (field: keyof Recipe) => () => {
  const value = DEFAULT_RECIPE[field];
  return value === undefined ? 'none' : String(value);
};
const optimizerOf = (c: FlagContext): OptimizerName => c.recipe?.optimizer ?? 'adagrad';
/** A rule: the flag applies only to these optimizers. */
const forOptimizers =
  (...names: OptimizerName[]) =>
  (c: FlagContext) =>
    names.includes(optimizerOf(c)) ? undefined : `it applies to --optimizer ${names.join(' or ')}, not ${optimizerOf(c)}`;
const forSchedule = (name: string) => (c: FlagContext) =>
  (c.recipe?.schedule ?? 'constant') === name ? undefined : `it applies to --schedule ${name} (add it, or drop this flag)`;
const perOptimizer = (field: 'beta1' | 'beta2' | 'epsilon' | 'weightDecay', names: readonly OptimizerName[]) => () =>
  names.map((name) => `${OPTIMIZER_DEFAULTS[name][field]} for ${name}`).join(', ');
const seed = integerOption('--seed', 0, 2 ** 32 - 1);
/** train --mode: the data modes, and auto (data/auto-mode.ts picks one). */
export const TRAIN_MODES = ['auto', ...DATA_MODES] as const;
/** eval --mode: how a text is read. */
export const EVAL_MODES = ['lines', 'stream'] as const;
const modelReaders: CommandName[] = ['sample', 'eval', 'score'];

/** The table. Order: as `--help` lists them and docs/cli.md shows them. */
export const FLAGS: readonly Flag[] = [
  // train: the data
  {
    name: '--data',
    value: '<file|name>',
    commands: ['train'],
    help: 'training text (UTF-8, one sequence per line) or a built-in corpus (bptt data lists them)',
    defaultText: () => 'dinosaurs',
    resumable: true,
  },
  {
    name: '--tokens',
    value: '<kind>',
    commands: ['train'],
    parse: choiceOption('--tokens', TOKENIZER_KINDS),
    help: 'char: characters are the tokens; word: words and punctuation marks',
    recipe: 'tokens',
    defaultText: recipeValue('tokens'),
  },
  {
    name: '--min-count',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--min-count', 1, 1_000_000),
    help: 'with --tokens word: words seen fewer times become <unk>',
    recipe: 'minCount',
    defaultText: recipeValue('minCount'),
    noEffect: (c) => (c.recipe?.tokens === 'word' ? undefined : 'it applies to --tokens word'),
  },
  {
    name: '--max-vocab',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--max-vocab', MIN_VOCABULARY, 1_000_000),
    help: "with --tokens word: the vocabulary's most tokens (\\n and <unk> included); the rarer words become <unk>",
    recipe: 'maxVocab',
    defaultText: recipeValue('maxVocab'),
    noEffect: (c) => (c.recipe?.tokens === 'word' ? undefined : 'it applies to --tokens word'),
  },
  {
    name: '--mode',
    value: '<mode>',
    commands: ['train'],
    parse: choiceOption('--mode', TRAIN_MODES),
    help: "auto: stream with the text recipe for running text, lines for a list of short lines (decided from the text's beginning, said in the first line); lines: each line is a sequence; chunks: the notebook's fixed-length chunks; stream: a long text as --batch streams, windows of --seq-length, state carried",
    recipe: 'mode',
    defaultText: () => 'auto',
  },
  {
    name: '--seq-length',
    value: '<T>',
    commands: ['train'],
    parse: integerOption('--seq-length', 1, 10_000),
    help: 'time steps per chunk in mode chunks, per window in mode stream',
    recipe: 'seqLength',
    defaultText: recipeValue('seqLength'),
    noEffect: (c) => (c.recipe?.mode === 'lines' ? 'mode lines feeds each line whole (use --mode chunks or stream)' : undefined),
  },
  {
    name: '--documents',
    value: '<where>',
    commands: ['train'],
    parse: choiceOption('--documents', DOCUMENT_BOUNDARIES),
    help: 'mode stream: documents end at a blank line, at every line, or none; the state resets to zero there',
    recipe: 'documents',
    defaultText: () => 'blank-line',
    noEffect: (c) => (c.recipe?.mode === 'stream' ? undefined : 'it applies to --mode stream'),
  },
  {
    name: '--lowercase',
    commands: ['train'],
    help: 'lower-case the text first',
    recipe: 'lowercase',
    defaultText: () => (DEFAULT_RECIPE.lowercase ? 'on' : 'off'),
  },
  {
    name: '--val',
    value: '<FRACTION>',
    commands: ['train'],
    parse: numberOption('--val', 0, 0.9),
    help: 'fraction of lines held out for validation (seeded; in mode stream the end of the text)',
    recipe: 'validationFraction',
    defaultText: recipeValue('validationFraction'),
    noEffect: (c) => (c.values.valData !== undefined ? '--val-data gives the held-out text; all of --data trains' : undefined),
  },
  {
    name: '--val-data',
    value: '<FILE>',
    commands: ['train'],
    help: 'validate on this held-out text instead of a part of --data (all of --data then trains); give it again when resuming',
    resumable: true,
  },
  // train: the model
  {
    name: '--cell',
    value: '<name>',
    commands: ['train'],
    parse: choiceOption('--cell', CELLS),
    help: "the recurrent unit: rnn (the seed's), lstm or gru",
    recipe: 'cell',
    defaultText: recipeValue('cell'),
  },
  {
    name: '--layers',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--layers', 1, MAX_LAYERS),
    help: 'stacked recurrent layers',
    recipe: 'layers',
    defaultText: recipeValue('layers'),
  },
  {
    name: '--hidden',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--hidden', 1, 8192),
    help: 'hidden state size D_h (a size that does not fit in memory is refused before training)',
    recipe: 'hidden',
    defaultText: recipeValue('hidden'),
  },
  {
    name: '--embed',
    value: '<D>',
    commands: ['train'],
    parse: integerOption('--embed', 0, 4096),
    help: 'embedding size; 0 = one-hot input',
    recipe: 'embed',
    defaultText: recipeValue('embed'),
  },
  {
    name: '--activation',
    value: '<name>',
    commands: ['train'],
    parse: choiceOption('--activation', ACTIVATIONS),
    help: "σ of Eq. 1.2 for --cell rnn: sigmoid (the seed's), tanh or relu",
    recipe: 'activation',
    defaultText: recipeValue('activation'),
    noEffect: (c) => (c.recipe?.cell === 'rnn' ? undefined : `it applies to --cell rnn; the ${c.recipe?.cell} has its own gate functions`),
  },
  {
    name: '--forget-bias',
    value: '<X>',
    commands: ['train'],
    parse: numberOption('--forget-bias', -10, 10),
    help: "the LSTM forget gate's initial bias (1 is common)",
    recipe: 'forgetBias',
    defaultText: () => "the init scheme's",
    noEffect: (c) => (c.recipe?.cell === 'lstm' ? undefined : 'it applies to --cell lstm'),
  },
  {
    name: '--dropout',
    value: '<P>',
    commands: ['train'],
    parse: numberOption('--dropout', 0, 0.95),
    help: 'dropout on non-recurrent connections (between stacked layers, before the output layer) while training; 0 = none',
    recipe: 'dropout',
    defaultText: recipeValue('dropout'),
  },
  {
    name: '--dtype',
    value: '<type>',
    commands: ['train'],
    parse: choiceOption('--dtype', DTYPES),
    help: 'float32 (fast) or float64 (exact; the pure-TypeScript kernels)',
    recipe: 'dtype',
    defaultText: recipeValue('dtype'),
  },
  { name: '--init', value: '<FILE>', commands: ['train'], help: 'start from the weights of a model file (the data must fit its vocabulary)' },
  // train: the optimization
  {
    name: '--batch',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--batch', 1, 65_536),
    help: 'sequences per minibatch (streams in mode stream)',
    recipe: 'batchSize',
    defaultText: recipeValue('batchSize'),
  },
  {
    name: '--optimizer',
    value: '<name>',
    commands: ['train'],
    parse: choiceOption('--optimizer', OPTIMIZERS),
    help: `${OPTIMIZERS.join(', ')}, as torch.optim (docs/optimizers.md)`,
    recipe: 'optimizer',
    defaultText: () => DEFAULT_RECIPE.optimizer ?? 'adagrad',
  },
  {
    name: '--lr',
    value: '<X>',
    commands: ['train'],
    parse: numberOption('--lr', 0, 100, { exclusiveMin: true }),
    help: 'learning rate',
    recipe: 'learningRate',
    defaultText: () =>
      `${DEFAULT_RECIPE.learningRate} (with --optimizer: ${OPTIMIZERS.filter((name) => name !== (DEFAULT_RECIPE.optimizer ?? 'adagrad'))
        .map((name) => `${name} ${DEFAULT_LEARNING_RATES[name]}`)
        .join(', ')}; --preset seed: ${PRESETS.seed.learningRate})`,
  },
  {
    name: '--momentum',
    value: '<MU>',
    commands: ['train'],
    parse: numberOption('--momentum', 0, 0.9999),
    help: 'momentum for sgd and rmsprop',
    recipe: 'momentum',
    defaultText: () => String(OPTIMIZER_DEFAULTS.sgd.momentum),
    noEffect: forOptimizers('sgd', 'rmsprop'),
  },
  {
    name: '--nesterov',
    commands: ['train'],
    help: 'Nesterov momentum for sgd (with --momentum)',
    recipe: 'nesterov',
    defaultText: () => 'off',
    noEffect: (c) => forOptimizers('sgd')(c) ?? (c.recipe?.momentum ? undefined : 'Nesterov momentum needs --momentum above 0'),
  },
  {
    name: '--beta1',
    value: '<B>',
    commands: ['train'],
    parse: numberOption('--beta1', 0, 0.9999),
    help: 'adam/adamw: decay of the gradient mean',
    recipe: 'beta1',
    defaultText: perOptimizer('beta1', ['adam']),
    noEffect: forOptimizers('adam', 'adamw'),
  },
  {
    name: '--beta2',
    value: '<B>',
    commands: ['train'],
    parse: numberOption('--beta2', 0, 0.999999),
    help: 'adam/adamw: decay of the squared-gradient mean; rmsprop: its α',
    recipe: 'beta2',
    defaultText: perOptimizer('beta2', ['adam', 'rmsprop']),
    noEffect: forOptimizers('rmsprop', 'adam', 'adamw'),
  },
  {
    name: '--eps',
    value: '<E>',
    commands: ['train'],
    parse: numberOption('--eps', 0, 1, { exclusiveMin: true }),
    help: 'the ε of adagrad, rmsprop, adam, adamw',
    recipe: 'epsilon',
    defaultText: perOptimizer('epsilon', ['adagrad', 'adam']),
    noEffect: forOptimizers('adagrad', 'rmsprop', 'adam', 'adamw'),
  },
  {
    name: '--weight-decay',
    value: '<L>',
    commands: ['train'],
    parse: numberOption('--weight-decay', 0, 10),
    help: 'L2 weight decay (decoupled for adamw)',
    recipe: 'weightDecay',
    defaultText: perOptimizer('weightDecay', ['adagrad', 'adamw']),
  },
  {
    name: '--schedule',
    value: '<name>',
    commands: ['train'],
    parse: choiceOption('--schedule', SCHEDULES),
    help: `learning-rate schedule: ${SCHEDULES.join(', ')}`,
    recipe: 'schedule',
    defaultText: () => DEFAULT_RECIPE.schedule ?? 'constant',
  },
  {
    name: '--decay-every',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--decay-every', 1, 1e12),
    help: 'for --schedule step: multiply the learning rate by --decay-factor every N steps',
    recipe: 'decayEvery',
    defaultText: () => 'none (needed with step)',
    noEffect: forSchedule('step'),
  },
  {
    name: '--decay-factor',
    value: '<G>',
    commands: ['train'],
    parse: numberOption('--decay-factor', 0, 1, { exclusiveMin: true }),
    help: 'for --schedule step: the factor',
    recipe: 'decayFactor',
    defaultText: () => String(DEFAULT_DECAY_FACTOR),
    noEffect: forSchedule('step'),
  },
  {
    name: '--schedule-steps',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--schedule-steps', 1, 1e12),
    help: 'for --schedule cosine: steps from --lr down to --min-lr (with --time alone the cosine spans the time budget)',
    recipe: 'scheduleSteps',
    defaultText: () => "the budget's steps (or its time)",
    noEffect: forSchedule('cosine'),
  },
  {
    name: '--min-lr',
    value: '<X>',
    commands: ['train'],
    parse: numberOption('--min-lr', 0, 100),
    help: 'for --schedule cosine: the final learning rate',
    recipe: 'minLearningRate',
    defaultText: () => '0',
    noEffect: forSchedule('cosine'),
  },
  {
    name: '--warmup',
    value: '<W>',
    commands: ['train'],
    parse: integerOption('--warmup', 1, 1e12),
    help: 'raise the learning rate linearly over the first W steps',
    recipe: 'warmup',
    defaultText: () => 'none',
  },
  {
    name: '--clip',
    value: '<C|none>',
    commands: ['train'],
    parse: (text: string) => (text === 'none' ? Infinity : numberOption('--clip', 0, Infinity, { exclusiveMin: true })(text)),
    help: 'clip gradients elementwise to [-C, C] (none: off)',
    recipe: 'clip',
    defaultText: () => `${DEFAULT_RECIPE.clip} (none with --clip-norm)`,
  },
  {
    name: '--clip-norm',
    value: '<N>',
    commands: ['train'],
    parse: numberOption('--clip-norm', 0, 1e6, { exclusiveMin: true }),
    help: 'scale the gradients down to a global L2 norm of at most N (elementwise --clip is then off unless given)',
    recipe: 'clipNorm',
    defaultText: () => 'none',
  },
  {
    name: '--shuffle',
    commands: ['train'],
    negatable: true,
    help: 'shuffle the training sequences in every epoch, the first included (--no-shuffle: keep the data order; mode stream keeps its order)',
    recipe: 'shuffle',
    defaultText: () => (DEFAULT_RECIPE.shuffle ? 'shuffle' : 'no shuffle'),
    noEffect: (c) => (c.recipe?.mode === 'stream' ? 'mode stream reads its streams in order' : undefined),
  },
  {
    name: '--seed',
    value: '<N>',
    commands: ['train'],
    parse: seed,
    help: 'random seed (weights, split, batch order, dropout, samples)',
    recipe: 'seed',
    defaultText: recipeValue('seed'),
  },
  {
    name: '--preset',
    value: '<name>',
    commands: ['train'],
    parse: choiceOption('--preset', Object.keys(PRESETS)),
    help: 'start from a named recipe: seed (the notebook exactly); other flags override its values',
    defaultText: () => 'none',
  },
  // train: the budget (a resume may change it)
  {
    name: '--epochs',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--epochs', 1, 1_000_000),
    help: 'passes over the training data (with --time and --steps: whichever ends first)',
    defaultText: () => `${DEFAULT_RECIPE.epochs}`,
    resumable: true,
  },
  {
    name: '--time',
    value: '<SECONDS>',
    commands: ['train'],
    parse: numberOption('--time', 0, 1e7, { exclusiveMin: true }),
    help: 'train for this many seconds',
    defaultText: () => 'none',
    resumable: true,
  },
  {
    name: '--steps',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--steps', 1, 1e12),
    help: 'stop after this many optimizer steps',
    defaultText: () => 'none',
    resumable: true,
  },
  {
    name: '--patience',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--patience', 1, 1_000_000),
    help: 'stop after N epochs without a better validation loss',
    recipe: 'patience',
    defaultText: recipeValue('patience'),
    resumable: true,
    noEffect: (c) => (c.recipe?.validationFraction ? undefined : 'there is no validation data (--val 0)'),
  },
  {
    name: '--eval-every',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--eval-every', 1, 1e12),
    help: 'also evaluate, checkpoint and keep the best model every N steps (long epochs)',
    recipe: 'evaluateEvery',
    defaultText: () => 'mode stream: sized so evaluations take about 5% of the time (streamEvaluateEvery); other modes: epoch ends only',
    resumable: true,
  },
  // train: the files
  {
    name: '--out',
    value: '<FILE>',
    commands: ['train'],
    help: "the trained model: with validation data, the best epoch (a resume keeps the run's own)",
    defaultText: () => '<data name>.safetensors',
    resumable: true,
  },
  {
    name: '--checkpoint',
    value: '<FILE>',
    commands: ['train'],
    help: 'write a checkpoint here after every epoch and on Ctrl-C (a resume keeps writing the one it resumed)',
    defaultText: () => 'none',
    resumable: true,
  },
  {
    name: '--resume',
    value: '<FILE>',
    commands: ['train'],
    help: 'continue a run from its checkpoint, with its recipe, data, model file and log',
    resumable: true,
  },
  {
    name: '--log',
    value: '<FILE>',
    commands: ['train'],
    help: 'append one JSON object per step and per epoch (JSON Lines)',
    defaultText: () => 'none',
    resumable: true,
  },
  {
    name: '--plot',
    value: '<FILE.svg>',
    commands: ['train'],
    help: 'draw the training and validation loss curves as SVG, rewritten at every epoch',
    defaultText: () => 'none',
    resumable: true,
  },
  {
    name: '--print',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--print', 0, 1000),
    help: 'samples to print after training',
    default: 10,
    resumable: true,
  },
  // every command that computes
  { name: '--model', value: '<FILE>', commands: modelReaders, required: true, help: 'model file written by bptt train' },
  {
    name: '--backend',
    value: '<name>',
    commands: ['train', ...modelReaders],
    parse: choiceOption('--backend', BACKENDS),
    help: `kernels: ${BACKENDS.join(', ')}`,
    defaultText: () => '$BPTT_BACKEND, else auto (the fastest available)',
    resumable: true,
  },
  {
    name: '--threads',
    value: '<N>',
    commands: ['train'],
    parse: integerOption('--threads', 1, 64),
    help: 'threads sharing each batch (native and WebAssembly kernels)',
    defaultText: () => 'every core (up to 8) with the native and WebAssembly kernels, else 1',
    resumable: true,
  },
  // sample
  {
    name: '--prime',
    value: '<TEXT>',
    commands: ['sample'],
    help: 'text every sample starts with (with --length, a whole passage may warm the state, line ends included)',
    default: '',
  },
  {
    name: '--length',
    value: '<N>',
    commands: ['sample'],
    parse: integerOption('--length', 1, 10_000_000),
    help: "a passage: N tokens of running text after the prime, going on past line ends (char-rnn's -length; for models of running text)",
    noEffect: (c) => notSampling(c),
  },
  {
    name: '--count',
    value: '<N>',
    commands: ['sample'],
    parse: integerOption('--count', 1, 100_000),
    help: 'number of samples (with --beam: see --beam)',
    default: 10,
    noEffect: (c) =>
      c.values.beam !== undefined ? '--beam K returns K completions' : c.values.explain !== undefined ? '--explain explains one sample' : undefined,
  },
  {
    name: '--temperature',
    value: '<X>',
    commands: ['sample'],
    parse: numberOption('--temperature', 0, 100),
    help: 'below 1: safer, above 1: wilder; 0: always the most likely token',
    default: 1,
    noEffect: (c) => notSampling(c),
  },
  {
    name: '--top-k',
    value: '<K>',
    commands: ['sample'],
    parse: integerOption('--top-k', 1, 1_000_000),
    help: 'sample only among the K most likely tokens',
    noEffect: (c) => notSampling(c),
  },
  {
    name: '--top-p',
    value: '<P>',
    commands: ['sample'],
    parse: numberOption('--top-p', 0, 1, { exclusiveMin: true }),
    help: 'sample only among the most likely tokens that together have probability P',
    noEffect: (c) => notSampling(c),
  },
  {
    name: '--max-length',
    value: '<N>',
    commands: ['sample'],
    parse: integerOption('--max-length', 1, 1_000_000),
    help: 'most tokens (characters or words) per sample after the prime',
    default: 100,
    noEffect: (c) =>
      typeof c.values.explain === 'string'
        ? '--explain TEXT explains the given text'
        : c.values.length !== undefined
          ? '--length N writes N tokens'
          : undefined,
  },
  {
    name: '--stop',
    value: '<TEXT>',
    commands: ['sample'],
    help: 'also end a sample when its generated text ends with TEXT (cut off); the end of a line always ends it, except in a passage (--length)',
    noEffect: (c) => (typeof c.values.explain === 'string' ? '--explain TEXT explains the given text' : undefined),
  },
  {
    name: '--novel',
    commands: ['sample'],
    help: "reject samples that appear in the training data (the model file's record of it, or --data)",
    noEffect: (c) => (typeof c.values.explain === 'string' ? '--explain TEXT explains the given text' : undefined),
  },
  {
    name: '--data',
    value: '<file|name>',
    commands: ['sample'],
    help: 'the training data, for --novel',
    defaultText: () => "the model file's record of its training data",
    noEffect: (c) => (c.values.novel ? undefined : 'it is read for --novel only'),
  },
  { name: '--seed', value: '<N>', commands: ['sample'], parse: seed, help: 'random seed', default: 1, noEffect: (c) => notSampling(c) },
  {
    name: '--beam',
    value: '<K>',
    commands: ['sample'],
    parse: integerOption('--beam', 1, 10_000),
    help: 'beam search: the K most likely completions with their log-probabilities, no sampling',
  },
  {
    name: '--length-penalty',
    value: '<A>',
    commands: ['sample'],
    parse: numberOption('--length-penalty', 0, 10),
    help: 'for --beam: rank by log p / tokens^A (0: total log-probability, 1: per token)',
    default: 0,
    noEffect: (c) => (c.values.beam === undefined ? 'it applies to --beam' : undefined),
  },
  { name: '--explain', value: '[TEXT]', commands: ['sample'], help: 'one sample (or TEXT) token by token: its probability, the likeliest alternatives' },
  {
    name: '--alternatives',
    value: '<N>',
    commands: ['sample'],
    parse: integerOption('--alternatives', 0, 1_000_000),
    help: 'for --explain: alternatives listed per token',
    default: 5,
    noEffect: (c) => (c.values.explain === undefined ? 'it applies to --explain' : undefined),
  },
  {
    name: '--json',
    commands: ['sample'],
    help: 'with --beam: one JSON object per completion; with --explain: the explanation as JSON',
    noEffect: (c) => (c.values.beam === undefined && c.values.explain === undefined ? 'plain samples are text; it applies to --beam and --explain' : undefined),
  },
  // eval and score
  {
    name: '--data',
    value: '<file|name>',
    commands: ['eval'],
    help: 'text to evaluate: one sequence per line (mode lines), or running text (mode stream)',
    default: 'dinosaurs',
  },
  {
    name: '--mode',
    value: '<mode>',
    commands: ['eval'],
    parse: choiceOption('--mode', EVAL_MODES),
    help: 'lines: each line from h = 0; stream: the text as streams, state carried window after window, documents reset, as training read its held-out end',
    defaultText: () => "the model's (stream for a model trained in mode stream, else lines)",
  },
  { name: '--file', value: '<FILE>', commands: ['score'], help: "score each line of FILE ('-': standard input) as well as the TEXT arguments" },
  { name: '--strict', commands: ['eval', 'score'], help: 'refuse a text with characters the model does not know (default: skip them, and report how many)' },
  { name: '--json', commands: ['eval', 'score', 'gradcheck', 'bench', 'info', 'data'], help: 'print JSON (one object per line)' },
  // gradcheck
  { name: '--cell', value: '<name>', commands: ['gradcheck'], parse: choiceOption('--cell', CELLS), help: 'rnn, lstm or gru', default: 'rnn' },
  { name: '--layers', value: '<N>', commands: ['gradcheck'], parse: integerOption('--layers', 1, 4), help: 'stacked layers', default: 1 },
  {
    name: '--activation',
    value: '<name>',
    commands: ['gradcheck'],
    parse: choiceOption('--activation', ACTIVATIONS),
    help: 'sigmoid, tanh or relu, for --cell rnn',
    default: 'sigmoid',
    noEffect: (c) => (c.values.cell === 'rnn' ? undefined : `it applies to --cell rnn; the ${String(c.values.cell)} has its own gate functions`),
  },
  { name: '--embed', value: '<D>', commands: ['gradcheck'], parse: integerOption('--embed', 0, 64), help: 'embedding size; 0 = one-hot input', default: 0 },
  { name: '--hidden', value: '<N>', commands: ['gradcheck'], parse: integerOption('--hidden', 1, 64), help: 'hidden size', default: 10 },
  { name: '--seed', value: '<N>', commands: ['gradcheck'], parse: seed, help: 'random seed', default: 1 },
  // bench
  {
    name: '--preset',
    value: '<name>',
    commands: ['bench'],
    parse: choiceOption('--preset', Object.keys(WORKLOADS)),
    help: `one workload: ${Object.keys(WORKLOADS).join(', ')}`,
    defaultText: () => 'all',
  },
  {
    name: '--backend',
    value: '<name>',
    commands: ['bench'],
    parse: choiceOption('--backend', BACKENDS),
    help: 'one backend besides the reference',
    defaultText: () => 'every one available',
  },
  {
    name: '--threads',
    value: '<N>',
    commands: ['bench'],
    parse: integerOption('--threads', 1, 64),
    help: 'threads for the native and WebAssembly backends',
    defaultText: () => '1 and every core',
    noEffect: (c) => (c.values.backend === 'reference' ? 'the reference kernels run on one thread' : undefined),
  },
  {
    name: '--seconds',
    value: '<S>',
    commands: ['bench'],
    parse: numberOption('--seconds', 0, 600, { exclusiveMin: true }),
    help: 'timed seconds per backend and workload',
    default: 3,
  },
  // import
  { name: '--out', value: '<FILE>', commands: ['import'], required: true, help: 'the bptt model file to write (never one of the inputs)' },
  {
    name: '--data',
    value: '<file|name>',
    commands: ['import'],
    help: 'the text the model was trained on: its sorted characters and "\\n" are the vocabulary',
    default: 'dinosaurs',
  },
  { name: '--lowercase', commands: ['import'], help: 'the model was trained on lower-cased text' },
  {
    name: '--activation',
    value: '<name>',
    commands: ['import'],
    parse: choiceOption('--activation', ACTIVATIONS),
    help: 'the nonlinearity of an nn.RNN (tanh or relu; an LSTM or GRU file refuses it)',
    default: 'tanh',
  },
];

/** Sampling flags do nothing under --beam (it searches) or --explain TEXT (it reads the text). */
function notSampling(c: FlagContext): string | undefined {
  if (c.values.beam !== undefined) return '--beam searches instead of sampling';
  if (typeof c.values.explain === 'string') return '--explain TEXT explains the given text';
  return undefined;
}

/** '--hidden' → 'hidden', '--seq-length' → 'seqLength' (commander's attribute name). */
export function flagKey(name: string): string {
  return name.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function flagsOf(command: CommandName): Flag[] {
  return FLAGS.filter((flag) => flag.commands.includes(command));
}

/** The default as a reader sees it, or undefined for none worth saying. */
export function defaultTextOf(flag: Flag): string | undefined {
  if (flag.defaultText) return flag.defaultText();
  if (flag.default === undefined) return undefined;
  return flag.default === '' ? '""' : String(flag.default);
}

/** Adds the command's flags from the table to a commander command (no commander defaults: `withDefaults` fills them, so a typed flag is told from a default). */
export function addFlags(command: Command, name: CommandName): Command {
  for (const flag of flagsOf(name)) {
    const spec = `${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
    const shown = defaultTextOf(flag);
    const help = `${flag.help}${shown !== undefined ? ` (default: ${shown})` : ''}`;
    if (flag.required) command.requiredOption(spec, help);
    else if (flag.parse) command.option(spec, help, flag.parse);
    else command.option(spec, help);
    if (flag.negatable) command.option(`--no-${flag.name.slice(2)}`, `the opposite of ${flag.name}`);
  }
  return command;
}

/** The flags a user typed (commander gives only those, as no option has a commander default). */
export function givenFlags(values: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(values).filter((key) => values[key] !== undefined));
}

/** The values with the table's defaults filled in for the flags not given. */
export function withDefaults<T>(name: CommandName, values: Record<string, unknown>): T {
  const filled: Record<string, unknown> = { ...values };
  for (const flag of flagsOf(name)) if (filled[flagKey(flag.name)] === undefined && flag.default !== undefined) filled[flagKey(flag.name)] = flag.default;
  return filled as T;
}

/** How a flag is named in a message: '--shuffle' given as --no-shuffle is named so. */
function spelled(flag: Flag, value: unknown): string {
  return flag.negatable && value === false ? `--no-${flag.name.slice(2)}` : flag.name;
}

/** Refuses, with one line saying why, every given flag that would have no effect. */
export function refuseIneffective(name: CommandName, context: FlagContext): void {
  for (const flag of flagsOf(name)) {
    const key = flagKey(flag.name);
    if (!context.given.has(key) || !flag.noEffect) continue;
    const why = flag.noEffect(context);
    if (why !== undefined) throw new BpttError(`${spelled(flag, context.values[key])} has no effect here: ${why}`, 'drop it');
  }
}

/** train --resume: refuses a given flag the checkpoint's recipe fixes. */
export function refuseOnResume(given: ReadonlySet<string>, values: Record<string, unknown>): void {
  for (const flag of flagsOf('train')) {
    const key = flagKey(flag.name);
    if (given.has(key) && !flag.resumable) {
      throw new BpttError(
        `${spelled(flag, values[key])} cannot change when resuming: the run continues with the checkpoint's recipe`,
        'drop it, or start a new run with --init to change it',
      );
    }
  }
}

/** The flag that sets a recipe field (for messages). */
export function flagOfField(field: keyof Recipe): string | undefined {
  return FLAGS.find((flag) => flag.recipe === field)?.name;
}

/**
 * The recipe of a run: `base` (the defaults, a preset, or a checkpoint's recipe) with each given flag's
 * field set. Two fields depend on others: a new --optimizer brings its own default learning rate unless
 * --lr is given, and --clip-norm turns the elementwise clip off unless --clip is given. The budget
 * (--epochs, --time, --steps) is replaced as a whole when any of it is given.
 */
export function recipeFromFlags(values: Record<string, unknown>, given: ReadonlySet<string>, base: Recipe): Recipe {
  // The given flags are the library's RecipeOptions (camelCase): its rules (train/recipe-options.ts), so train() and bptt train agree.
  return recipeOf(Object.fromEntries([...given].map((key) => [key, values[key]])) as RecipeOptions, base);
}

/**
 * The flags a command's action works with: the given values with the table's defaults, after refusing
 * every given flag that has no effect. (train, whose rules need its recipe, calls refuseIneffective itself.)
 */
export function checkedFlags<T>(name: CommandName, values: Record<string, unknown>): T {
  const filled = withDefaults<Record<string, unknown>>(name, values);
  refuseIneffective(name, { values: filled, given: givenFlags(values) });
  return filled as T;
}

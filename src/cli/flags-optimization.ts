/**
 * The flag table's rows for `bptt train`'s optimization: batch, optimizer and its hyperparameters,
 * schedule, clipping, shuffling, seed and preset. Each optimizer's defaults are its own
 * (OPTIMIZER_DEFAULTS); a flag for another optimizer or schedule is refused (noEffect).
 */
import { DEFAULT_LEARNING_RATES, OPTIMIZER_DEFAULTS, OPTIMIZERS, type OptimizerName } from '../optim/optimizer.js';
import { DEFAULT_DECAY_FACTOR, SCHEDULES } from '../optim/schedule.js';
import { DEFAULT_RECIPE, PRESETS } from '../train/recipe.js';
import type { Flag, FlagContext } from './flag.js';
import { choiceOption, integerOption, numberOption, recipeValue, seedOption } from './options.js';

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

/** train: the optimization. */
export const OPTIMIZATION_FLAGS: readonly Flag[] = [
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
    parse: seedOption,
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
];

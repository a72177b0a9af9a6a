/**
 * The flag table's rows for `bptt train`'s data, model, budget and files (flags.ts puts them in
 * order with the optimization's, flags-optimization.ts). Defaults are read from DEFAULT_RECIPE,
 * never copied.
 */
import { DTYPES } from '../core/arrays.js';
import { DATA_MODES } from '../data/sequences.js';
import { DOCUMENT_BOUNDARIES } from '../data/stream.js';
import { MAX_LAYERS } from '../io/model-file.js';
import { CELLS } from '../model/config.js';
import { ACTIVATIONS } from '../nn/activation.js';
import { TOKENIZER_KINDS } from '../text/tokenizer.js';
import { MIN_VOCABULARY } from '../text/word-tokenizer.js';
import { DEFAULT_RECIPE } from '../train/recipe.js';
import type { Flag } from './flag.js';
import { choiceOption, integerOption, numberOption, recipeValue } from './options.js';

/** train --mode: the data modes, and auto (data/auto-mode.ts picks one). */
export const TRAIN_MODES = ['auto', ...DATA_MODES] as const;

/** train: the data and the model. */
export const TRAIN_DATA_AND_MODEL_FLAGS: readonly Flag[] = [
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
];

/** train: the budget (a resume may change it) and the files. */
export const TRAIN_BUDGET_AND_FILE_FLAGS: readonly Flag[] = [
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
];

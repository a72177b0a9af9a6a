/**
 * The flag table's rows for the commands besides train (and train's --backend and --threads,
 * which it shares with the commands that compute): sample, eval, score, gradcheck, bench, import,
 * export; --json for every command that prints data.
 */
import { BACKENDS } from '../kernels/select.js';
import { CELLS } from '../model/config.js';
import { ACTIVATIONS } from '../nn/activation.js';
import { WORKLOADS } from '../train/benchmark.js';
import type { CommandName, Flag, FlagContext } from './flag.js';
import { choiceOption, integerOption, numberOption, seedOption } from './options.js';

/** eval --mode: how a text is read. */
export const EVAL_MODES = ['lines', 'stream'] as const;
const modelReaders: CommandName[] = ['sample', 'eval', 'score'];

/** Every command's flags but train's own. */
export const COMMAND_FLAGS: readonly Flag[] = [
  // every command that computes
  { name: '--model', value: '<FILE>', commands: [...modelReaders, 'export onnx'], required: true, help: 'model file written by bptt train' },
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
  { name: '--seed', value: '<N>', commands: ['sample'], parse: seedOption, help: 'random seed', default: 1, noEffect: (c) => notSampling(c) },
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
  { name: '--seed', value: '<N>', commands: ['gradcheck'], parse: seedOption, help: 'random seed', default: 1 },
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
  // export
  { name: '--out', value: '<FILE>', commands: ['export onnx'], required: true, help: 'the .onnx file to write' },
  {
    name: '--model',
    value: '<FILE>',
    commands: ['export pytorch'],
    required: true,
    help: 'model file (or checkpoint: its recipe is kept) written by bptt train',
  },
  { name: '--out', value: '<DIR>', commands: ['export pytorch'], required: true, help: 'a new (or empty) folder for the project' },
];

/** Sampling flags do nothing under --beam (it searches) or --explain TEXT (it reads the text). */
function notSampling(c: FlagContext): string | undefined {
  if (c.values.beam !== undefined) return '--beam searches instead of sampling';
  if (typeof c.values.explain === 'string') return '--explain TEXT explains the given text';
  return undefined;
}

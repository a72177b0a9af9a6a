/**
 * Every flag of every command against wrong types, out-of-range values and
 * missing values: exit code 2 and one line naming the flag. The cases come
 * from one table, FLAGS, which says what each flag takes; the test fails when
 * a command has a flag the table lacks (or the table a flag the command lost),
 * so a new flag cannot go unchecked: add its row.
 *
 * The program is parsed in-process (src/cli/program.ts, as main.ts does) with
 * every command's action replaced by a recorder, so a value that is wrongly
 * accepted is reported instead of starting a training. The end-to-end exit
 * codes through a real process are checked in bad-input.test.ts.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram, reportError } from '../../src/cli/program.js';
import { DATA_MODES } from '../../src/data/sequences.js';
import { DTYPES } from '../../src/core/arrays.js';
import { BACKENDS } from '../../src/kernels/select.js';
import { CELLS } from '../../src/model/config.js';
import { ACTIVATIONS } from '../../src/nn/activation.js';
import { MAX_LAYERS } from '../../src/io/model-file.js';
import { PRESETS } from '../../src/train/recipe.js';
import { WORKLOADS } from '../../src/cli/bench.js';
import { DOCUMENT_BOUNDARIES } from '../../src/data/stream.js';
import { OPTIMIZERS } from '../../src/optim/optimizer.js';
import { SCHEDULES } from '../../src/optim/schedule.js';
import { TOKENIZER_KINDS } from '../../src/text/tokenizer.js';

type Kind =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'number'; min: number; max: number; exclusiveMin?: boolean }
  | { kind: 'choice'; choices: readonly string[] }
  /** Any text (a path, a prime): only a missing value is wrong; what the file holds is tested elsewhere. */
  | { kind: 'text' }
  /** Takes no value. */
  | { kind: 'switch' }
  /** Takes a value or none (e.g. --explain [TEXT]): neither is wrong. */
  | { kind: 'optionalText' };

const integer = (min: number, max: number): Kind => ({ kind: 'integer', min, max });
const number = (min: number, max: number, exclusiveMin = false): Kind => ({ kind: 'number', min, max, exclusiveMin });
const choice = (choices: readonly string[]): Kind => ({ kind: 'choice', choices });
const text: Kind = { kind: 'text' };
const flagSwitch: Kind = { kind: 'switch' };
const optionalText: Kind = { kind: 'optionalText' };
const seed = integer(0, 2 ** 32 - 1);
const backend = choice(BACKENDS);

/** What each flag of each command takes. Add a row for every new flag. */
const FLAGS: Record<string, { base: string[]; flags: Record<string, Kind> }> = {
  train: {
    base: [],
    flags: {
      '--data': text,
      '--mode': choice(['auto', ...DATA_MODES]),
      '--val-data': text,
      '--seq-length': integer(1, 10_000),
      '--lowercase': flagSwitch,
      '--cell': choice(CELLS),
      '--layers': integer(1, MAX_LAYERS),
      '--dropout': number(0, 0.95),
      '--forget-bias': number(-10, 10),
      '--activation': choice(ACTIVATIONS),
      '--hidden': integer(1, 8192),
      '--embed': integer(0, 4096),
      '--batch': integer(1, 65_536),
      '--lr': number(0, 100, true),
      '--clip': number(0, Infinity, true),
      '--epochs': integer(1, 1_000_000),
      '--time': number(0, 1e7, true),
      '--steps': integer(1, 1e12),
      '--patience': integer(1, 1_000_000),
      '--val': number(0, 0.9),
      '--seed': seed,
      '--dtype': choice(DTYPES),
      '--shuffle': flagSwitch,
      '--no-shuffle': flagSwitch,
      '--init': text,
      '--out': text,
      '--checkpoint': text,
      '--resume': text,
      '--log': text,
      '--preset': choice(Object.keys(PRESETS)),
      '--print': integer(0, 1000),
      '--backend': backend,
      '--threads': integer(1, 64),
      '--tokens': choice(TOKENIZER_KINDS),
      '--min-count': integer(1, 1_000_000),
      '--max-vocab': integer(4, 1_000_000),
      '--documents': choice(DOCUMENT_BOUNDARIES),
      '--eval-every': integer(1, 1e12),
      '--optimizer': choice(OPTIMIZERS),
      '--momentum': number(0, 0.9999),
      '--nesterov': flagSwitch,
      '--beta1': number(0, 0.9999),
      '--beta2': number(0, 0.999999),
      '--eps': number(0, 1, true),
      '--weight-decay': number(0, 10),
      '--schedule': choice(SCHEDULES),
      '--decay-every': integer(1, 1e12),
      '--decay-factor': number(0, 1, true),
      '--schedule-steps': integer(1, 1e12),
      '--min-lr': number(0, 100),
      '--warmup': integer(1, 1e12),
      '--clip-norm': number(0, 1e6, true),
      '--plot': text,
    },
  },
  sample: {
    base: ['--model', 'm.safetensors'],
    flags: {
      '--model': text,
      '--backend': backend,
      '--prime': text,
      '--count': integer(1, 100_000),
      '--temperature': number(0, 100),
      '--top-k': integer(1, 1_000_000),
      '--top-p': number(0, 1, true),
      '--max-length': integer(1, 1_000_000),
      '--length': integer(1, 10_000_000),
      '--novel': flagSwitch,
      '--data': text,
      '--seed': seed,
      '--stop': text,
      '--beam': integer(1, 10_000),
      '--length-penalty': number(0, 10),
      '--explain': optionalText,
      '--alternatives': integer(0, 1_000_000),
      '--json': flagSwitch,
    },
  },
  eval: {
    base: ['--model', 'm.safetensors'],
    flags: { '--model': text, '--backend': backend, '--data': text, '--mode': choice(['lines', 'stream']), '--json': flagSwitch, '--strict': flagSwitch },
  },
  score: {
    base: ['--model', 'm.safetensors', 'tyrannosaurus'],
    flags: { '--model': text, '--backend': backend, '--json': flagSwitch, '--strict': flagSwitch, '--file': text },
  },
  gradcheck: {
    base: [],
    flags: {
      '--cell': choice(CELLS),
      '--layers': integer(1, 4),
      '--activation': choice(ACTIVATIONS),
      '--embed': integer(0, 64),
      '--hidden': integer(1, 64),
      '--seed': seed,
      '--json': flagSwitch,
    },
  },
  bench: {
    base: [],
    flags: {
      '--preset': choice(Object.keys(WORKLOADS)),
      '--backend': backend,
      '--threads': integer(1, 64),
      '--seconds': number(0, 600, true),
      '--json': flagSwitch,
    },
  },
  info: { base: ['m.safetensors'], flags: { '--json': flagSwitch } },
  data: { base: [], flags: { '--json': flagSwitch } },
  import: {
    base: ['state.safetensors', '--out', 'o.safetensors'],
    flags: { '--out': text, '--data': text, '--lowercase': flagSwitch, '--activation': choice(ACTIVATIONS) },
  },
  // `bptt export onnx|pytorch`: the subcommands' flags (--model, --out, both required text) are in REQUIRED.
  export: { base: [], flags: {} },
};

/** Required options and arguments: leaving each out is refused, naming it. */
const REQUIRED: { command: string; args: string[]; mentions: string }[] = [
  { command: 'sample', args: [], mentions: "'--model <FILE>'" },
  { command: 'eval', args: [], mentions: "'--model <FILE>'" },
  { command: 'score', args: ['tyrannosaurus'], mentions: "'--model <FILE>'" },
  { command: 'info', args: [], mentions: "'FILE'" },
  { command: 'import', args: ['--out', 'o.safetensors'], mentions: "'STATE'" },
  { command: 'import', args: ['state.safetensors'], mentions: "'--out <FILE>'" },
  { command: 'export', args: ['onnx', '--out', 'm.onnx'], mentions: "'--model <FILE>'" },
  { command: 'export', args: ['onnx', '--model', 'm.safetensors'], mentions: "'--out <FILE>'" },
  { command: 'export', args: ['pytorch', '--out', 'project'], mentions: "'--model <FILE>'" },
  { command: 'export', args: ['pytorch', '--model', 'm.safetensors'], mentions: "'--out <DIR>'" },
];

interface Parsed {
  code: number;
  stderr: string;
  /** Whether the command's action would have run (the arguments were accepted). */
  accepted: boolean;
}

/** Parses `bptt ...args` as main.ts does, with every action replaced by a recorder. */
async function parse(args: string[]): Promise<Parsed> {
  let stderr = '';
  const write = (line: string) => void (stderr += line);
  const program = createProgram(write);
  let accepted = false;
  for (const command of program.commands) command.action(() => void (accepted = true));
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, stderr, accepted };
  } catch (error) {
    return { code: reportError(error, write), stderr, accepted };
  }
}

/** Exit 2, nothing run, exactly one line that names `flag` and, after a ';', what to do. */
function expectRefused(result: Parsed, flag: string, value?: string): void {
  const report = `args refused? exit ${result.code}, accepted ${result.accepted}, stderr:\n${result.stderr}`;
  expect(result.code, report).toBe(2);
  expect(result.accepted, report).toBe(false);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, report).toHaveLength(1);
  expect(lines[0], report).toMatch(/^bptt: .+; \S.+$/);
  expect(lines[0], report).toContain(flag);
  if (value !== undefined) expect(lines[0], report).toContain(value);
}

/** The bad values of a flag of this kind, each with what is wrong with it. */
function badValues(kind: Kind): { value: string; problem: string }[] {
  switch (kind.kind) {
    case 'integer':
      return [
        { value: 'abc', problem: 'not a number' },
        { value: '2.5', problem: 'not whole' },
        { value: '0x10', problem: 'hexadecimal' },
        { value: String(kind.min - 1), problem: 'below the minimum' },
        ...(Number.isFinite(kind.max) ? [{ value: String(kind.max + 1), problem: 'above the maximum' }] : []),
      ];
    case 'number':
      return [
        { value: 'abc', problem: 'not a number' },
        { value: 'NaN', problem: 'NaN' },
        { value: '0x10', problem: 'hexadecimal' },
        { value: kind.exclusiveMin ? String(kind.min) : String(kind.min - 1), problem: 'below the minimum' },
        ...(Number.isFinite(kind.max) ? [{ value: String(kind.max * 2 + 1), problem: 'above the maximum' }] : [{ value: 'Infinity', problem: 'infinite' }]),
      ];
    case 'choice':
      return [
        { value: 'bogus', problem: 'not a choice' },
        { value: kind.choices[0].toUpperCase() + 'X', problem: 'not a choice' },
      ];
    default:
      return [];
  }
}

/** Values the flag must accept: the ends of its range, every choice. */
function goodValues(kind: Kind): string[] {
  switch (kind.kind) {
    case 'integer':
      return [String(kind.min), ...(Number.isFinite(kind.max) ? [String(kind.max)] : [])];
    case 'number':
      return [kind.exclusiveMin ? String(kind.min + 1e-9) : String(kind.min), ...(Number.isFinite(kind.max) ? [String(kind.max)] : ['1e300'])];
    case 'choice':
      return [...kind.choices];
    default:
      return [];
  }
}

function longFlags(command: Command): string[] {
  return command.options.map((option) => option.long!).filter((flag) => flag !== '--help');
}

describe('the flag table covers every flag of every command', () => {
  const program = createProgram();
  it('has a row for each command', () => {
    expect(program.commands.map((c) => c.name()).sort()).toEqual(Object.keys(FLAGS).sort());
  });
  it.each(program.commands.map((c) => [c.name(), c] as const))('bptt %s: every flag has a row, and every row a flag', (name, command) => {
    expect(longFlags(command).sort(), `add the new flags of bptt ${name} to FLAGS in test/cli/flags.test.ts`).toEqual(Object.keys(FLAGS[name].flags).sort());
  });
});

const rows = Object.entries(FLAGS).flatMap(([command, { base, flags }]) =>
  Object.entries(flags).flatMap(([flag, kind]) => [
    ...badValues(kind).map(({ value, problem }) => ({ name: `${command} ${flag} ${value} (${problem})`, command, base, flag, kind, value })),
  ]),
);

describe('wrong types and ranges are refused, naming the flag and the value', () => {
  it.each(rows)('$name', async ({ command, base, flag, value }) => {
    expectRefused(await parse([command, ...base, flag, value]), flag, value);
  });
});

describe('a missing value is refused, naming the flag', () => {
  const valued = Object.entries(FLAGS).flatMap(([command, { base, flags }]) =>
    Object.entries(flags)
      .filter(([, kind]) => kind.kind !== 'switch' && kind.kind !== 'optionalText')
      .map(([flag]) => ({ name: `${command} ${flag}`, command, base, flag })),
  );
  it.each(valued)('$name', async ({ command, base, flag }) => {
    // The base arguments first, the flag last: nothing is left to be its value.
    expectRefused(await parse([command, ...base, flag]), flag);
  });
});

describe('a switch given a value is refused, naming it', () => {
  const switches = Object.entries(FLAGS).flatMap(([command, { base, flags }]) =>
    Object.entries(flags)
      .filter(([, kind]) => kind.kind === 'switch')
      .map(([flag]) => ({ name: `${command} ${flag}=yes`, command, base, flag })),
  );
  it.each(switches)('$name', async ({ command, base, flag }) => {
    expectRefused(await parse([command, ...base, `${flag}=yes`]), flag);
  });
});

describe('required options and arguments', () => {
  it.each(REQUIRED)('bptt $command without $mentions is refused', async ({ command, args, mentions }) => {
    expectRefused(await parse([command, ...args]), mentions);
  });
});

describe('the table matches the code: the ends of each range and every choice are accepted', () => {
  const accepted = Object.entries(FLAGS).flatMap(([command, { base, flags }]) =>
    Object.entries(flags).flatMap(([flag, kind]) => goodValues(kind).map((value) => ({ name: `${command} ${flag} ${value}`, command, base, flag, value }))),
  );
  it.each(accepted)('$name', async ({ command, base, flag, value }) => {
    const result = await parse([command, ...base, flag, value]);
    expect(result, result.stderr).toMatchObject({ code: 0, accepted: true });
  });
});

it('counts: every row above ran', () => {
  // The number of refusal cases, for docs/robustness.md (printed, and bounded so a broken table is noticed).
  console.log(
    `flags: ${rows.length} wrong-value cases over ${Object.values(FLAGS).reduce((n, c) => n + Object.keys(c.flags).length, 0)} flags of ${Object.keys(FLAGS).length} commands`,
  );
  expect(rows.length).toBeGreaterThan(150);
});

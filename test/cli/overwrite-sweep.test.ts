/**
 * The sweep of issue 13: every command that writes a file, every pair (output, input) of its path flags,
 * including the files an output makes beside itself (its lock file, its write probe), each spelled three
 * ways (as given, through ./sub/.., through a symbolic link). Every pair must be refused with one line
 * naming both, before anything is written, and leave the input byte for byte as it was. The pairs tried
 * are listed in docs/robustness.md ("No output overwrites an input"). The one pair allowed on purpose:
 * `--checkpoint` equal to `--resume` (a resumed run updates its checkpoint).
 *
 * Commands that write nothing but stdout (sample, eval, score, info, data, gradcheck, bench) have no pair.
 * Parsed in-process (the program main.ts runs), so each refusal costs no process start.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProgram, reportError } from '../../src/cli/program.js';
import { describeRun, dinosPath, freshDir, runCli } from './cli-helpers.js';
import { repoRoot } from '../helpers.js';

let dir: string;

beforeAll(() => {
  dir = freshDir();
  writeFileSync(join(dir, 'names.txt'), readFileSync(dinosPath, 'utf8').split('\n').slice(0, 40).join('\n') + '\n');
  const trained = runCli(dir, [
    'train',
    '--data',
    'names.txt',
    '--cell',
    'rnn',
    '--hidden',
    '8',
    '--embed',
    '0',
    '--threads',
    '1',
    '--print',
    '0',
    '--epochs',
    '1',
    '--out',
    'model.safetensors',
    '--checkpoint',
    'ck.ckpt',
  ]);
  if (trained.status !== 0) throw new Error(describeRun(trained));
  mkdirSync(join(dir, 'sub'));
  copyFileSync(join(repoRoot, 'test/fixtures/torch-tanh-onehot.safetensors'), join(dir, 'state.safetensors'));
}, 120_000);

/** Runs `bptt ...args` in-process; returns the exit code and stderr. */
async function bptt(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = (text: string) => void (stderr += text);
  try {
    await createProgram(write).parseAsync(args, { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stderr };
  } catch (error) {
    return { code: reportError(error, write), stderr };
  } finally {
    process.exitCode = 0;
  }
}

/** The input files of the sweep: flag, the file it names, the other flags it needs. */
const TRAIN_INPUTS = [
  { flag: '--data', file: 'names.txt', args: (path: string) => ['--data', path] },
  { flag: '--init', file: 'model.safetensors', args: (path: string) => ['--data', 'names.txt', '--init', path] },
  { flag: '--resume', file: 'ck.ckpt', args: (path: string) => ['--resume', path] },
];
const TRAIN_OUTPUTS = ['--out', '--checkpoint', '--log', '--plot'];
/** How an output names the input's file: as given, through a detour, through a link; and what it makes beside itself. */
const SPELLINGS: { name: string; output: (file: string) => { path: string; link?: string } }[] = [
  { name: 'the same path', output: (file: string) => ({ path: file }) },
  { name: './sub/..', output: (file: string) => ({ path: `./sub/../${file}` }) },
  { name: 'a symbolic link', output: (file: string) => ({ path: `link-${file}`, link: file }) },
];
/** An input named like what an output makes beside itself: <out>.lock, .<out>.probe. */
const BESIDE = [
  { name: 'its lock file', output: (file: string) => file.replace(/\.lock$/, '') },
  { name: 'its write probe', output: (file: string) => file.replace(/^\.(.*)\.probe$/, '$1') },
];

const cases: { label: string; args: string[]; input: string; mentions: string[]; link?: [string, string] }[] = [];
for (const input of TRAIN_INPUTS) {
  for (const output of TRAIN_OUTPUTS) {
    if (output === '--checkpoint' && input.flag === '--resume') continue; // allowed: a resume updates its checkpoint
    for (const spelling of SPELLINGS) {
      const { path, link } = spelling.output(input.file);
      const extra = output === '--out' ? [] : ['--out', 'fresh.safetensors'];
      cases.push({
        label: `train ${output} = ${input.flag} (${spelling.name})`,
        args: ['train', ...input.args(input.file), ...extra, output, path, '--print', '0', '--threads', '1'],
        input: input.file,
        mentions: [output, input.flag],
        link: link ? [link, path] : undefined,
      });
    }
  }
}
// Inputs named like the files beside an output (copies of names.txt under those names).
for (const output of ['--out', '--checkpoint']) {
  for (const [i, beside] of BESIDE.entries()) {
    const file = i === 0 ? 'target.safetensors.lock' : '.target.safetensors.probe';
    const extra = output === '--out' ? [] : ['--out', 'fresh.safetensors'];
    cases.push({
      label: `train ${output}: ${beside.name} = --data`,
      args: ['train', '--data', file, ...extra, output, beside.output(file), '--print', '0', '--threads', '1'],
      input: file,
      mentions: [output, '--data', beside.name.replace('its ', '')],
    });
  }
}
for (const spelling of SPELLINGS) {
  const { path, link } = spelling.output('state.safetensors');
  cases.push({
    label: `import --out = STATE (${spelling.name})`,
    args: ['import', 'state.safetensors', '--out', path],
    input: 'state.safetensors',
    mentions: ['--out', 'STATE'],
    link: link ? [link, path] : undefined,
  });
  const data = spelling.output('names.txt');
  cases.push({
    label: `import --out = --data (${spelling.name})`,
    args: ['import', 'state.safetensors', '--data', 'names.txt', '--out', data.path],
    input: 'names.txt',
    mentions: ['--out', '--data'],
    link: data.link ? [data.link, data.path] : undefined,
  });
}

describe('no output can overwrite an input: every pair refused before anything is written', () => {
  it('covers every output and input flag of train and import', () => {
    expect(cases.length).toBe(11 * 3 + 4 + 6);
  });

  it.each(cases.map((c) => [c.label, c] as const))('%s', async (_, c) => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      if (c.input.endsWith('.lock') || c.input.endsWith('.probe')) copyFileSync('names.txt', c.input);
      if (c.link) {
        try {
          symlinkSync(c.link[0], c.link[1]);
        } catch {
          // made by an earlier case
        }
      }
      const before = readFileSync(c.input);
      const files = readdirSync('.').sort();
      const result = await bptt(c.args);
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      for (const text of c.mentions) expect(lines[0]).toContain(text);
      expect(readFileSync(c.input).equals(before), `${c.input} changed`).toBe(true);
      expect(readdirSync('.').sort(), 'a file was written').toEqual(files);
    } finally {
      process.chdir(cwd);
    }
  });
});

/**
 * Issue 13's regressions, each through the real CLI: what a new user typed that lost data (an output
 * that is an input; a resume that forgot its files; paths in a checkpoint that only made sense in the
 * folder it started in), sizes that crashed, results that were silently wrong (novelty against the
 * wrong text, eval stopping at one unknown character, flags that did nothing), and the small things.
 * Every test here failed on the main branch before the fix.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModelFile } from '../../src/io/model-file.js';
import { decodeCheckpoint } from '../../src/train/checkpoint.js';
import { cliEntry, describeRun, dinosPath, expectUserError, freshDir, runCliAsync, Sentinels, startCli } from './cli-helpers.js';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';

/** A small, fast run: a 60-name file, a tiny RNN, one thread, no samples. */
const TINY = ['--cell', 'rnn', '--hidden', '8', '--embed', '0', '--threads', '1', '--print', '0', '--batch', '16'];
const names = () => readFileSync(dinosPath, 'utf8').split('\n').slice(0, 60).join('\n') + '\n';

function dirWithNames(): string {
  const dir = freshDir();
  writeFileSync(join(dir, 'names.txt'), names());
  return dir;
}

const ok = (result: { status: number | null }, report: string) => expect(result.status, report).toBe(0);

describe.concurrent('1. no output may be an input', () => {
  it.each(['--out', '--checkpoint', '--log', '--plot'])('train %s naming the --data file is refused before anything is written', async (flag) => {
    const dir = dirWithNames();
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'names.txt'));
    const args = ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', flag, 'names.txt'];
    if (flag !== '--out') args.push('--out', 'm.safetensors');
    expectUserError(await runCliAsync(dir, args), [flag, 'names.txt', '--data', 'same file']);
    sentinels.expectUnchanged();
    expect(existsSync(join(dir, 'm.safetensors'))).toBe(false);
  });

  it('compares files, not spellings: ./x, a symbolic link and a hard link are the data too', async () => {
    const dir = dirWithNames();
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'names.txt'), join(dir, 'link.txt'));
    linkSync(join(dir, 'names.txt'), join(dir, 'sub', 'hard.txt'));
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'names.txt'));
    for (const out of ['./sub/../names.txt', 'link.txt', 'sub/hard.txt']) {
      expectUserError(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', '--out', out]), ['--out', out, '--data']);
    }
    sentinels.expectUnchanged();
  });

  it('train --out naming the --init model, and import --out naming its state dict, are refused', async () => {
    const dir = dirWithNames();
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', '--out', 'm.safetensors']), 'first run');
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'm.safetensors'));
    expectUserError(
      await runCliAsync(dir, [
        'train',
        '--data',
        'names.txt',
        '--threads',
        '1',
        '--print',
        '0',
        '--epochs',
        '1',
        '--init',
        'm.safetensors',
        '--out',
        'm.safetensors',
      ]),
      ['--out', '--init'],
    );
    expectUserError(await runCliAsync(dir, ['import', 'm.safetensors', '--out', 'm.safetensors']), ['--out', 'STATE']);
    expectUserError(
      await runCliAsync(dir, ['import', join(repoRoot, 'test/fixtures/torch-tanh-onehot.safetensors'), '--data', 'names.txt', '--out', 'names.txt']),
      ['--out', '--data'],
    );
    sentinels.expectUnchanged();
  });
});

describe.concurrent('2 and 3. a resume keeps its run’s files, from any folder', () => {
  it('a resume keeps writing the run’s --out and checkpoint, never <data>.safetensors', async () => {
    const dir = dirWithNames();
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', '--out', 'm.safetensors', '--checkpoint', 'ck.ckpt']), 'first run');
    const unrelated = new Sentinels();
    unrelated.add(join(dir, 'names.safetensors'), 'an unrelated model of that name');
    const resumed = await runCliAsync(dir, ['train', '--resume', 'ck.ckpt', '--epochs', '3', '--threads', '1', '--print', '0']);
    ok(resumed, describeRun(resumed));
    unrelated.expectUnchanged();
    expect(decodeCheckpoint(readFileSync(join(dir, 'ck.ckpt')), 'ck').training.position.epoch).toBe(3);
    expect(resumed.stderr).toContain('m.safetensors');
  });

  it('resumes from another folder: the data path resolves against the folder the run started in', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'project', 'data'), { recursive: true });
    writeFileSync(join(dir, 'project', 'data', 'names.txt'), names());
    ok(
      await runCliAsync(join(dir, 'project'), [
        'train',
        '--data',
        'data/names.txt',
        ...TINY,
        '--epochs',
        '1',
        '--out',
        'm.safetensors',
        '--checkpoint',
        'ck.ckpt',
      ]),
      'first run',
    );
    const resumed = await runCliAsync(dir, ['train', '--resume', 'project/ck.ckpt', '--epochs', '2', '--threads', '1', '--print', '0']);
    ok(resumed, describeRun(resumed));
    // The model file is the run's own, in its folder, not ./names.safetensors here.
    expect(existsSync(join(dir, 'names.safetensors'))).toBe(false);
    expect(decodeModelFile(readFileSync(join(dir, 'project', 'm.safetensors')), 'm').metadata.data?.source).toBe(join(dir, 'project', 'data', 'names.txt'));
  });

  it('a checkpoint’s data path that is missing is named with where it came from and how to override it', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'project', 'data'), { recursive: true });
    writeFileSync(join(dir, 'project', 'data', 'names.txt'), names());
    ok(
      await runCliAsync(join(dir, 'project'), [
        'train',
        '--data',
        'data/names.txt',
        ...TINY,
        '--epochs',
        '1',
        '--out',
        'm.safetensors',
        '--checkpoint',
        'ck.ckpt',
      ]),
      'first run',
    );
    renameSync(join(dir, 'project', 'data'), join(dir, 'project', 'moved'));
    const result = await runCliAsync(dir, ['train', '--resume', 'project/ck.ckpt', '--epochs', '2', '--threads', '1', '--print', '0']);
    expectUserError(result, ['names.txt', 'ck.ckpt', '--data']);
  });

  it('a resume that improves on nothing does not keep or sample from another run’s model file', async () => {
    const dir = dirWithNames();
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '2', '--out', 'm.safetensors', '--checkpoint', 'ck.ckpt']), 'first run');
    // Another run (another seed, the same shapes) writes over m.safetensors.
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--seed', '9', '--epochs', '1', '--out', 'other.safetensors']), 'other run');
    copyFileSync(join(dir, 'other.safetensors'), join(dir, 'm.safetensors'));
    const resumed = await runCliAsync(dir, ['train', '--resume', 'ck.ckpt', '--epochs', '2', '--threads', '1', '--print', '0']);
    ok(resumed, describeRun(resumed));
    expect(resumed.stderr).toContain("another run's model");
    const written = decodeModelFile(readFileSync(join(dir, 'm.safetensors')), 'm').model.params;
    expect(Array.from(written)).toEqual(Array.from(decodeCheckpoint(readFileSync(join(dir, 'ck.ckpt')), 'ck').model.params));
  });
});

describe.concurrent('4. sizes that do not fit are refused before training', () => {
  it("--hidden 4096 --batch 128 (in the flags' ranges) says what it needs, the kernels' limit and which flag to lower", async () => {
    const result = await runCliAsync(freshDir(), ['train', '--hidden', '4096', '--batch', '128', '--epochs', '1', '--print', '0']);
    expectUserError(result, ['needs about', 'GiB', "kernels' heap", '--hidden']);
  });

  it("--hidden 3000 is past the WebAssembly kernels' 1 GiB, and --backend reference is named as the way out", async () => {
    const result = await runCliAsync(freshDir(), ['train', '--hidden', '3000', '--backend', 'wasm-relaxed', '--epochs', '1', '--print', '0']);
    expectUserError(result, ['needs about 1.96 GiB', "wasm-relaxed kernels' heap of 1.00 GiB", '--backend reference', '--hidden']);
  });

  it('a huge batch of long windows in mode stream names --batch or --seq-length', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'book.txt'), 'the quick brown fox jumps over the lazy dog\n'.repeat(120_000));
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      'book.txt',
      '--mode',
      'stream',
      '--batch',
      '4096',
      '--seq-length',
      '1024',
      '--epochs',
      '1',
      '--print',
      '0',
      '--val',
      '0',
    ]);
    expectUserError(result, ['needs about', "kernels' heap", '--batch', '--seq-length']);
  });
});

describe.concurrent('6. sample --novel checks novelty against what the model was trained on', () => {
  it('without --data: the model file’s record; refused when that text is not at hand', async () => {
    const dir = dirWithNames();
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', '--out', 'm.safetensors']), 'train');
    const record = decodeModelFile(readFileSync(join(dir, 'm.safetensors')), 'm').metadata.data!;
    expect(record).toMatchObject({ source: join(dir, 'names.txt'), lines: 60 });
    const sampled = await runCliAsync(dir, ['sample', '--model', 'm.safetensors', '--novel', '--count', '5']);
    ok(sampled, describeRun(sampled));
    renameSync(join(dir, 'names.txt'), join(dir, 'gone.txt'));
    expectUserError(await runCliAsync(dir, ['sample', '--model', 'm.safetensors', '--novel']), ['names.txt', 'not at hand', '--data']);
    // A file changed since: refused too.
    writeFileSync(join(dir, 'names.txt'), 'Abc\nDef\n');
    expectUserError(await runCliAsync(dir, ['sample', '--model', 'm.safetensors', '--novel']), ['changed', '--data']);
  });

  it('a model file without a record (written before there were records) refuses to claim novelty', async () => {
    const model = join(repoRoot, 'test/fixtures/torch-tanh-onehot.safetensors');
    expectUserError(await runCliAsync(freshDir(), ['sample', '--model', model, '--novel']), ['does not record', '--data']);
  });
});

describe.concurrent('7 and score input: unknown characters are skipped and counted', () => {
  it('eval and score skip characters the model does not know, count them, and --json says how many', async () => {
    const dir = dirWithNames();
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', '--out', 'm.safetensors']), 'train');
    const text = 'Aardonyx\n‘Abelisaurus’ 2\n';
    writeFileSync(join(dir, 'text.txt'), text);
    const vocabulary = new Set(decodeModelFile(readFileSync(join(dir, 'm.safetensors')), 'm').metadata.vocab);
    const unknown = (s: string) => [...s].filter((c) => !vocabulary.has(c)).length;
    expect(unknown(text)).toBeGreaterThanOrEqual(4); // ‘ ’, the space and 2 at least
    const evaluated = await runCliAsync(dir, ['eval', '--model', 'm.safetensors', '--data', 'text.txt', '--json']);
    ok(evaluated, describeRun(evaluated));
    expect(JSON.parse(evaluated.stdout).unknown).toBe(unknown(text));
    expect(evaluated.stderr).toContain(`skipped ${unknown(text)} characters`);
    const scored = await runCliAsync(dir, ['score', '--model', 'm.safetensors', '--json', 'Aa‘a']);
    ok(scored, describeRun(scored));
    expect(JSON.parse(scored.stdout).unknown).toBe(1);
  });

  it('score --file reads strings from a file, and from standard input with -', async () => {
    const dir = dirWithNames();
    ok(await runCliAsync(dir, ['train', '--data', 'names.txt', ...TINY, '--epochs', '1', '--out', 'm.safetensors']), 'train');
    const fromFile = await runCliAsync(dir, ['score', '--model', 'm.safetensors', '--file', 'names.txt', '--json']);
    ok(fromFile, describeRun(fromFile));
    expect(fromFile.stdout.trim().split('\n')).toHaveLength(60);
    const tsx = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
    const piped = spawnSync(process.execPath, ['--import', tsx, cliEntry, 'score', '--model', 'm.safetensors', '--file', '-'], {
      cwd: dir,
      input: 'Aardonyx\nAbelisaurus\n',
      encoding: 'utf8',
    });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout.split('\n')[0]).toMatch(/^Aardonyx\tlog p = -/);
    expectUserError(await runCliAsync(dir, ['score', '--model', 'm.safetensors']), ['nothing to score', '--file']);
  });
});

describe.concurrent('8. a flag that has no effect is refused with one line saying why', () => {
  const model = join(repoRoot, 'test/fixtures/torch-tanh-onehot.safetensors');
  it.each([
    [
      ['train', '--cell', 'gru', '--activation', 'relu'],
      ['--activation', 'no effect', '--cell rnn'],
    ],
    [
      ['train', '--documents', 'line'],
      ['--documents', 'no effect', 'stream'],
    ],
    [
      ['train', '--seq-length', '20'],
      ['--seq-length', 'no effect', 'mode lines'],
    ],
    [
      ['train', '--forget-bias', '1', '--cell', 'gru'],
      ['--forget-bias', 'no effect'],
    ],
    [
      ['train', '--val', '0', '--patience', '3'],
      ['--patience', 'no effect', 'validation'],
    ],
    [
      ['gradcheck', '--cell', 'lstm', '--activation', 'tanh'],
      ['--activation', 'no effect'],
    ],
  ])('%j', async (args, mentions) => {
    expectUserError(await runCliAsync(freshDir(), args[0] === 'train' ? [...args, '--print', '0'] : args), mentions);
  });

  it.each([
    [['--json'], ['--json', 'no effect', '--beam']],
    [
      ['--length-penalty', '1'],
      ['--length-penalty', 'no effect', '--beam'],
    ],
    [
      ['--alternatives', '3'],
      ['--alternatives', 'no effect', '--explain'],
    ],
    [
      ['--data', 'dinosaurs'],
      ['--data', 'no effect', '--novel'],
    ],
    [
      ['--beam', '3', '--temperature', '0.5'],
      ['--temperature', 'no effect'],
    ],
  ])('sample %j', async (args, mentions) => {
    expectUserError(await runCliAsync(freshDir(), ['sample', '--model', model, ...args]), mentions);
  });
});

describe.concurrent('the smaller things', () => {
  it('one epoch is "1 epoch"; chunks samples carry no copy marker', async () => {
    const dir = dirWithNames();
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      'names.txt',
      '--mode',
      'chunks',
      '--seq-length',
      '8',
      '--cell',
      'rnn',
      '--hidden',
      '8',
      '--embed',
      '0',
      '--threads',
      '1',
      '--epochs',
      '1',
      '--print',
      '5',
    ]);
    ok(result, describeRun(result));
    expect(result.stderr).toContain('(1 epoch)');
    expect(result.stderr).not.toContain('1 epochs');
    expect(result.stderr).toContain('5 samples:');
    expect(result.stderr).not.toContain('* marks a copy');
  });

  it('Ctrl-C without --checkpoint says what was kept where, and how to be able to continue', async () => {
    const dir = freshDir();
    const run = startCli(dir, [
      'train',
      '--data',
      dinosPath,
      '--cell',
      'rnn',
      '--hidden',
      '16',
      '--time',
      '60',
      '--print',
      '0',
      '--threads',
      '1',
      '--out',
      'm.safetensors',
    ]);
    await run.stderrMatches(/^epoch 2 /m);
    run.child.kill('SIGINT');
    const result = await run.result;
    expect(result.status, describeRun(result)).toBe(130);
    expect(result.stderr).toMatch(
      /Interrupted at step \d+; no checkpoint \(train with --checkpoint FILE to be able to continue an interrupted run\); the best model so far \(epoch \d+, validation loss \d\.\d{4}\) is in m\.safetensors/,
    );
    expect(existsSync(join(dir, 'm.safetensors'))).toBe(true);
  });
});

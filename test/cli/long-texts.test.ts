/**
 * Long texts over the CLI (issue 16): mode auto's decision on the first line, a flag winning over the
 * text recipe, progress lines without a terminal, the final evaluation kept as the best model,
 * `bptt eval` on the held-out end agreeing with the loss training reported, `bptt sample --length`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeRun, dinosPath, freshDir, prose, runCliAsync } from './cli-helpers.js';

describe('bptt on running text', () => {
  const dir = freshDir();
  const text = prose(7, 40);
  const small = ['--hidden', '16', '--embed', '8', '--batch', '4', '--seq-length', '16'];
  let trained: Awaited<ReturnType<typeof runCliAsync>>;

  beforeAll(async () => {
    writeFileSync(join(dir, 'book.txt'), text);
    trained = await runCliAsync(dir, ['train', '--data', 'book.txt', ...small, '--steps', '30', '--print', '0', '--out', 'book.safetensors']);
  }, 180_000);

  it('decides mode stream with the text recipe, says why on the first line, and flags win', () => {
    const report = describeRun(trained);
    expect(trained.status, report).toBe(0);
    const lines = trained.stderr.split('\n');
    expect(lines[0], report).toMatch(
      /^Mode auto: stream, with the text recipe \(running text: \d+% of lines are blank \(paragraphs or documents\)\): LSTM 256, batch 32, windows of 64, Adagrad lr 0.04, clip 5, dropout 0.2; any flag/,
    );
    expect(lines[1], report).toMatch(/^Training an LSTM \(hidden 16, embedding 8, .*windows of 16/);
  });

  it('prints progress lines without a terminal, and keeps the last weights when they are the best', () => {
    const report = describeRun(trained);
    expect(trained.stderr, report).toMatch(/^step 1 \(3% of 30 steps\) {2}epoch 0 {2}loss \d/m);
    expect(trained.stderr, report).toMatch(/^step 30 evaluated {2}train [\d.]+ {2}val [\d.]+ \(best so far\)/m);
    expect(trained.stderr, report).toMatch(/the best, [\d.]+ at step 30, is kept/);
  });

  it('bptt eval on the held-out end gives the loss training reported', async () => {
    const reported = Number(/validation loss ([\d.]+) nats\/char/.exec(trained.stderr)![1]);
    writeFileSync(join(dir, 'held-out.txt'), text.slice(text.length - Math.floor(text.length * 0.1)));
    const result = await runCliAsync(dir, ['eval', '--model', 'book.safetensors', '--data', 'held-out.txt', '--json']);
    expect(result.status, describeRun(result)).toBe(0);
    const report = JSON.parse(result.stdout) as { nats_per_char: number; mode: string; streams: number };
    expect(report.mode).toBe('stream'); // the model's mode, from its file
    expect(report.streams).toBe(4);
    expect(report.nats_per_char).toBeCloseTo(reported, 4);
    // Read line by line instead, the same text scores differently: the mode matters.
    const lines = await runCliAsync(dir, ['eval', '--model', 'book.safetensors', '--data', 'held-out.txt', '--json', '--mode', 'lines']);
    expect((JSON.parse(lines.stdout) as { mode: string; nats_per_char: number }).mode).toBe('lines');
  });

  it('bptt sample --length writes a passage of that many characters past line ends', async () => {
    const result = await runCliAsync(dir, ['sample', '--model', 'book.safetensors', '--length', '400', '--prime', 'the sea\nlay']);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout.startsWith('the sea\nlay')).toBe(true);
    expect(result.stdout.length).toBe('the sea\nlay'.length + 400 + 1); // one passage, then a line end
  });

  it('decides mode lines for a list of names', async () => {
    const result = await runCliAsync(dir, ['train', '--data', dinosPath, '--steps', '2', '--print', '0', '--hidden', '8', '--out', 'names.safetensors']);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stderr.split('\n')[0]).toMatch(
      /^Mode auto: lines, with the default recipe \(a list of short lines: [\d,]+ lines, median \d+ characters, no blank lines\)/,
    );
    expect(readFileSync(join(dir, 'names.safetensors')).length).toBeGreaterThan(0);
  });
});

/**
 * Word tokens in mode stream over the CLI (issue 16): mode auto streams running text in words, the
 * vocabulary counted in a first pass over the file; `bptt eval` on the held-out end gives the loss
 * training reported; `bptt sample --length N` writes N word tokens; bad vocabulary limits are refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { joinWords, splitWords, TEXT_RECIPE } from '../../src/index.js';
import { describeRun, expectSameTensors, expectUserError, freshDir, prose, runCliAsync } from './cli-helpers.js';

/** The word tokens of a text as the tokenizer reads it, <unk> (which decodes as "<unk>") counted as one. */
const tokensOf = (text: string) => splitWords(text.replaceAll('<unk>', 'unk'));

describe('bptt on running text, in words', () => {
  const dir = freshDir();
  const text = prose(11, 170);
  const pieces = splitWords(text);
  const small = ['--hidden', '16', '--embed', '8', '--batch', '4', '--seq-length', '16'];
  /** `bptt train` on book.txt in words, the small model, quiet; `extra` adds the run's own flags. */
  const trainWords = (...extra: string[]) => runCliAsync(dir, ['train', '--data', 'book.txt', '--tokens', 'word', ...small, '--print', '0', ...extra]);
  let trained: Awaited<ReturnType<typeof runCliAsync>>;

  beforeAll(async () => {
    writeFileSync(join(dir, 'book.txt'), text);
    trained = await trainWords('--steps', '30', '--out', 'book.safetensors');
  }, 180_000);

  it('mode auto streams it in words, with the text recipe', () => {
    const report = describeRun(trained);
    expect(trained.status, report).toBe(0);
    const lines = trained.stderr.split('\n');
    expect(lines[0], report).toMatch(/^Mode auto: stream, with the text recipe \(running text: \d+% of lines are blank/);
    const held = Math.floor(pieces.length * TEXT_RECIPE.validationFraction);
    // Each part is cut into 4 streams of ⌊(tokens − 1)/4⌋ positions (data/stream.ts).
    const positions = (tokens: number) => (4 * Math.floor((tokens - 1) / 4)).toLocaleString('en-US');
    expect(lines[1], report).toContain(
      `${positions(pieces.length - held)} training and ${positions(held)} validation tokens in 4 streams (validation 4), windows of 16`,
    );
    // 19 words and '.', '\n' and <unk> (none unknown: every word is seen many times).
    expect(lines[1], report).toContain("vocabulary 22 tokens (words and marks; 0.0% of the text's tokens are <unk>)");
    expect(trained.stderr, report).toMatch(/validation loss [\d.]+ nats\/token; the best, [\d.]+ at step 30, is kept/);
  });

  it('bptt eval --mode stream on the held-out end gives the loss training reported', async () => {
    const reported = Number(/validation loss ([\d.]+) nats\/token/.exec(trained.stderr)![1]);
    const tail = pieces.slice(pieces.length - Math.floor(pieces.length * TEXT_RECIPE.validationFraction));
    const heldOut = joinWords(tail);
    expect(splitWords(heldOut)).toEqual(tail); // the held-out tokens, exactly
    writeFileSync(join(dir, 'held-out.txt'), heldOut);
    const result = await runCliAsync(dir, ['eval', '--model', 'book.safetensors', '--data', 'held-out.txt', '--mode', 'stream', '--json']);
    expect(result.status, describeRun(result)).toBe(0);
    const report = JSON.parse(result.stdout) as { nats_per_token: number; mode: string; streams: number; tokens: number };
    expect(report).toMatchObject({ mode: 'stream', streams: 4 });
    expect(report.nats_per_token).toBeCloseTo(reported, 4);
    // The model's own mode is the default.
    const byDefault = await runCliAsync(dir, ['eval', '--model', 'book.safetensors', '--data', 'held-out.txt', '--json']);
    expect((JSON.parse(byDefault.stdout) as { nats_per_token: number }).nats_per_token).toBe(report.nats_per_token);
  });

  it("--val-data validates on another file, read in the training text's words", async () => {
    writeFileSync(join(dir, 'other.txt'), 'the sea lay under a white sky and the men rang bells of gold.\n'.repeat(20));
    const result = await trainWords('--val-data', 'other.txt', '--steps', '2', '--out', 'val-data.safetensors');
    expect(result.status, describeRun(result)).toBe(0);
    // 16 tokens a line ('rang' and 'gold' read as <unk>): 320 tokens, 4 streams of ⌊319/4⌋ = 79 positions.
    expect(result.stderr).toMatch(/; 316 validation tokens from other\.txt in 4 streams/);
  });

  it('bptt sample --length N writes N word tokens after the prime, past line ends', async () => {
    const prime = 'the sea\nlay';
    const result = await runCliAsync(dir, ['sample', '--model', 'book.safetensors', '--length', '120', '--prime', prime]);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout.startsWith(prime)).toBe(true);
    // The prime's tokens, 120 more, and the line end after the passage.
    expect(tokensOf(result.stdout)).toHaveLength(splitWords(prime).length + 120 + 1);
  });

  it('refuses a vocabulary limit out of range, or one that cannot apply, with one line', async () => {
    expectUserError(await runCliAsync(dir, ['train', '--data', 'book.txt', '--tokens', 'word', '--max-vocab', '0']), ['--max-vocab', '0']);
    expectUserError(await runCliAsync(dir, ['train', '--data', 'book.txt', '--max-vocab', '100']), ['--max-vocab', '--tokens word']);
    expectUserError(await runCliAsync(dir, ['train', '--data', 'book.txt', '--mode', 'stream', '--tokens', 'word', '--min-count', '100000']), [
      'fewer than two different words seen at least 100000 times',
      '--min-count',
    ]);
  });

  it('a word run resumes from its checkpoint to the same weights as a straight run', async () => {
    const common = ['--data', 'book.txt', '--mode', 'stream', '--tokens', 'word', ...small, '--print', '0', '--threads', '2', '--eval-every', '4'];
    const straight = await runCliAsync(dir, ['train', ...common, '--steps', '10', '--checkpoint', 'straight.ckpt', '--out', 'straight.safetensors']);
    expect(straight.status, describeRun(straight)).toBe(0);
    const first = await runCliAsync(dir, ['train', ...common, '--steps', '6', '--checkpoint', 'run.ckpt', '--out', 'first.safetensors']);
    expect(first.status, describeRun(first)).toBe(0);
    const resumed = await runCliAsync(dir, [
      'train',
      '--resume',
      'run.ckpt',
      '--steps',
      '10',
      '--print',
      '0',
      '--threads',
      '2',
      '--out',
      'resumed.safetensors',
    ]);
    expect(resumed.status, describeRun(resumed)).toBe(0);
    expect(resumed.stderr).toMatch(/^Resuming .* tokens in 4 streams/m);
    expectSameTensors(join(dir, 'run.ckpt'), join(dir, 'straight.ckpt')); // weights, Adagrad's memory, the carried state
  });

  it('--max-vocab keeps the most frequent words; the rest read as <unk>', async () => {
    const result = await trainWords('--max-vocab', '12', '--steps', '2', '--out', 'capped.safetensors');
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stderr.split('\n')[1]).toMatch(/vocabulary 12 tokens \(words and marks; [1-9][\d.]*% of the text's tokens are <unk>\)/);
  });
});

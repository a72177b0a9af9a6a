/**
 * `bptt sample` beyond plain sampling: --beam, --explain, --json, --stop,
 * checked against `bptt score` and plain sampling on a tiny trained model.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeRun, dinosPath, expectUserError, freshDir, outputLines, runCliAsync } from './cli-helpers.js';

interface ScoreReport {
  text: string;
  log_prob: number;
}

describe.concurrent('bptt sample --beam, --explain, --stop', () => {
  let modelPath: string;

  beforeAll(async () => {
    const dir = freshDir();
    modelPath = join(dir, 'm.safetensors');
    const trained = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--batch',
      '64',
      '--out',
      'm.safetensors',
      '--print',
      '0',
    ]);
    expect(trained.status, describeRun(trained)).toBe(0);
  });

  async function score(texts: string[]): Promise<ScoreReport[]> {
    const result = await runCliAsync(freshDir(), ['score', '--model', modelPath, '--json', ...texts]);
    expect(result.status, describeRun(result)).toBe(0);
    return outputLines(result.stdout).map((line) => JSON.parse(line) as ScoreReport);
  }

  it('--beam 4 prints 4 distinct completions, best first, each with the log-probability bptt score gives it', async () => {
    const result = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--beam', '4']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    expect(lines).toHaveLength(4);
    const parsed = lines.map((line) => {
      const match = /^(.+)\tlog p = (-[\d.]+)\t([\d.]+) nats\/token$/.exec(line);
      expect(match, line).not.toBeNull();
      return { text: match![1], logProbability: Number(match![2]) };
    });
    expect(new Set(parsed.map((c) => c.text)).size).toBe(4);
    for (let i = 1; i < 4; i++) expect(parsed[i - 1].logProbability).toBeGreaterThanOrEqual(parsed[i].logProbability);
    const scores = await score(parsed.map((c) => c.text));
    parsed.forEach((c, i) => expect(Math.abs(c.logProbability - scores[i].log_prob)).toBeLessThanOrEqual(0.0005 + 1e-6));
  });

  it('--beam --json prints one object per completion, as the library returns it', async () => {
    const beam = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--beam', '3', '--json', '--length-penalty', '1']);
    expect(beam.status, describeRun(beam)).toBe(0);
    const completions = outputLines(beam.stdout).map(
      (line) => JSON.parse(line) as { text: string; finished: boolean; ids: number[]; logProbability: number; meanLogProbability: number; score: number },
    );
    expect(completions).toHaveLength(3);
    for (const c of completions) {
      expect(c.finished).toBe(true);
      expect(c.ids).toHaveLength(Array.from(c.text).length);
      expect(c.meanLogProbability).toBeCloseTo(c.logProbability / (c.ids.length + 1), 12);
      expect(c.score).toBe(c.meanLogProbability); // length penalty 1: ranked per token
    }
    for (let i = 1; i < 3; i++) expect(completions[i - 1].score).toBeGreaterThanOrEqual(completions[i].score);
    const scores = await score(completions.map((c) => c.text));
    completions.forEach((c, i) => expect(Math.abs(c.logProbability - scores[i].log_prob)).toBeLessThan(1e-4));
  });

  it('--explain --json: the first sample of the same seed, token by token, scored as bptt score scores it', async () => {
    const [explained, plain] = await Promise.all([
      runCliAsync(freshDir(), ['sample', '--model', modelPath, '--explain', '--json', '--seed', '5', '--alternatives', '3']),
      runCliAsync(freshDir(), ['sample', '--model', modelPath, '--count', '1', '--seed', '5']),
    ]);
    expect(explained.status, describeRun(explained)).toBe(0);
    const explanation = JSON.parse(explained.stdout) as {
      prime: string;
      text: string;
      logProbability: number;
      natsPerToken: number;
      tokens: { text: string; probability: number; logProbability: number; alternatives: { probability: number }[]; hidden: number[] }[];
    };
    expect(explanation.text).toBe(outputLines(plain.stdout)[0]);
    expect(explanation.tokens.map((t) => t.text).join('')).toBe(`${explanation.text}\n`);
    for (const token of explanation.tokens) {
      expect(token.alternatives).toHaveLength(3);
      expect(token.hidden).toHaveLength(8);
      expect(token.alternatives[0].probability).toBeGreaterThanOrEqual(token.alternatives[2].probability);
    }
    const [scored] = await score([explanation.text]);
    expect(Math.abs(explanation.logProbability - scored.log_prob)).toBeLessThan(1e-4);
  });

  it('--explain TEXT prints a table: a header, one row per token with its probability, and the total', async () => {
    const result = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--explain', 'rex']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    expect(lines[0]).toBe('prime "", text "rex"');
    const rows = lines.slice(2, -1);
    expect(rows.map((row) => /^\s+\d+\s+(".*?")/.exec(row)?.[1])).toEqual(['"r"', '"e"', '"x"', '"\\n"']);
    const probabilities = rows.map((row) => Number(/^\s+\d+\s+".*?"\s+([\d.]+)/.exec(row)![1]));
    const logP = probabilities.reduce((sum, p) => sum + Math.log(p), 0);
    const [scored] = await score(['rex']);
    const total = Number(/^log p = (-[\d.]+) over 4 tokens/.exec(lines.at(-1)!)?.[1]);
    expect(Math.abs(total - scored.log_prob)).toBeLessThanOrEqual(0.0005 + 1e-6);
    // Probabilities are printed to 4 decimals: each log p may be off by up to 0.00005 / p.
    expect(Math.abs(logP - scored.log_prob)).toBeLessThan(probabilities.reduce((sum, p) => sum + 0.00005 / p, 0));
  });

  it('--stop TEXT ends each sample where its generated text reaches TEXT, which is cut off', async () => {
    const [stopped, plain] = await Promise.all([
      runCliAsync(freshDir(), ['sample', '--model', modelPath, '--count', '8', '--seed', '3', '--stop', 'u']),
      runCliAsync(freshDir(), ['sample', '--model', modelPath, '--count', '1', '--seed', '3']),
    ]);
    expect(stopped.status, describeRun(stopped)).toBe(0);
    const lines = outputLines(stopped.stdout);
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(line).not.toContain('u');
    const first = outputLines(plain.stdout)[0];
    expect(first).toContain('u'); // so that the stop text matters for this seed
    expect(lines[0]).toBe(first.slice(0, first.indexOf('u')));
  });

  it.each([
    [
      ['--beam', '2', '--explain'],
      ['--beam', '--explain'],
    ],
    [['--stop', ''], ['--stop']],
    [
      ['--beam', '0'],
      ['--beam', '0'],
    ],
    [
      ['--length-penalty', '-1'],
      ['--length-penalty', '-1'],
    ],
    [
      ['--explain', 'T-rex'],
      ['"-"', 'T-rex'],
    ],
  ])('sample %j: exit 2, one line naming the problem', async (args, mentions) => {
    expectUserError(await runCliAsync(freshDir(), ['sample', '--model', modelPath, ...args]), mentions);
  });
});

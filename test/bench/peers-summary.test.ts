/**
 * bench/peers/summarize.py: with several rounds (run.sh's ROUNDS) each row is the median of its
 * rounds and each ratio the median of the ratios taken within a round, not a ratio of medians
 * measured minutes apart. Runs the script on made-up measurements.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'bptt-peers-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function summarize(lines: object[]): string {
  const file = join(directory, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return execFileSync('python3', ['bench/peers/summarize.py', file], { encoding: 'utf8' });
}

const bptt = (round: number, threads: number, rate: number) => ({ round, workload: 'seed', backend: 'wasm-relaxed', threads, tokens_per_s: rate });
const torch = (round: number, threads: number, rate: number) => ({
  round,
  workload: 'seed',
  peer: 'torch-manual',
  dtype: 'float32',
  threads,
  blas_threads: 2,
  tokens_per_s: rate,
});
const numpy = (round: number, rate: number) => ({ round, workload: 'seed', peer: 'numpy', dtype: 'float64', threads: 2, tokens_per_s: rate });

describe('bench/peers/summarize.py', () => {
  it('one round: each row as measured, ratios against bptt’s best', () => {
    const out = summarize([bptt(1, 1, 100_000), bptt(1, 2, 200_000), numpy(1, 80_000)]);
    expect(out).toMatch(/numpy float64\s+BLAS 2\s+80,000\s+2\.50×/);
    expect(out).toContain('bptt wasm-relaxed / numpy float64 = 2.50×');
  });

  it('three rounds: medians and ranges; the summary is the median of per-round ratios', () => {
    const out = summarize([
      bptt(1, 2, 200_000),
      numpy(1, 100_000),
      torch(1, 1, 250_000),
      torch(1, 2, 150_000),
      bptt(2, 2, 180_000),
      numpy(2, 120_000),
      torch(2, 1, 200_000),
      torch(2, 2, 220_000),
      bptt(3, 2, 210_000),
      numpy(3, 70_000),
      torch(3, 1, 210_000),
      torch(3, 2, 200_000),
    ]);
    expect(out).toMatch(/bptt wasm-relaxed\s+2 threads\s+200,000 \(180,000–210,000\)/);
    // numpy: per-round ratios 2.00, 1.50, 3.00 → median 2.00 (the ratio of medians would be 2.00 too)
    expect(out).toMatch(/numpy float64\s+BLAS 2\s+100,000 \(70,000–120,000\)\s+2\.00× \(1\.50×–3\.00×\)/);
    // torch's best setting per round: 250k, 220k, 210k → ratios 0.80, 0.82, 1.00 → median 0.82
    expect(out).toContain('bptt wasm-relaxed / torch-manual float32 = 0.82× (0.80×–1.00×)');
    // best setting by median: torch 1 (210k) over torch 2 (200k)
    expect(out).toMatch(/torch 1, BLAS 2.*<- best setting/);
  });
});

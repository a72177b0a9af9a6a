/**
 * kill -9 during training and checkpoint writes, 50 times (scripts/kill-test.mjs):
 * no torn or missing checkpoint, no harmful leftovers, and every chain of
 * killed-and-resumed runs ends with the uninterrupted run's model, bitwise.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

it('survives 50 kill -9s, half of them aimed at checkpoint and model writes', { timeout: 400_000 }, () => {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'kill-test.mjs'), '--kills', '50', '--json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 390_000,
  });
  const report = `exit ${result.status}\n${result.stderr}`;
  expect(result.status, report).toBe(0);
  const counts = JSON.parse(result.stdout.trim().split('\n').pop()!);
  console.log(result.stderr.trim().split('\n').pop());
  expect(counts.failures, report).toEqual([]);
  expect(counts.kills).toBe(50);
  expect(counts.killsMidWrite, 'no kill landed inside a write: the test would prove little').toBeGreaterThan(0);
  expect(counts.checkpointsVerified).toBeGreaterThan(0);
  expect(counts.chainsBitwiseEqual).toBe(counts.chains);
  expect(counts.staleLocksTakenOver).toBeGreaterThan(0);
});

/**
 * Progress without a terminal: a line at the first step, then at least every PROGRESS_EVERY_SECONDS, and
 * at evaluations; a resumed run's ETA counts only what this process has done.
 */
import { describe, expect, it } from 'vitest';
import { createProgress, PROGRESS_EVERY_SECONDS } from '../../src/cli/progress.js';
import type { EpochEvent, StepEvent, TrainingPosition } from '../../src/train/trainer.js';

function fakeStream(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}
const position = (epoch: number): TrainingPosition => ({ step: epoch * 10, epoch, batchInEpoch: 0, elapsedSeconds: 0 });
const step = (progress: number, epoch: number): StepEvent => ({
  position: position(epoch),
  loss: 1,
  tokens: 100,
  tokensPerSecond: 1000,
  clippedFraction: 0,
  gradientNorm: 1,
  learningRate: 0.1,
  progress,
});
const epoch = (n: number): EpochEvent => ({ position: position(n), trainLoss: 1, validationLoss: 1, improved: false }) as EpochEvent;

describe('createProgress (plain lines)', () => {
  it('a run resumed at 80% with two of ten epochs left, one done in 10 s: eta 10s, not 1s', () => {
    const { stream, lines } = fakeStream();
    let now = 0;
    const progress = createProgress(
      stream,
      () => '10 epochs',
      () => now,
    );
    progress.step(step(0.8, 8)); // the first step of the resumed run
    now = 10_000;
    progress.step(step(0.9, 9));
    progress.epoch(epoch(9));
    expect(lines.at(-1)).toMatch(/eta 10s\n$/);
  });

  it('an unbroken run: eta from its whole progress', () => {
    const { stream, lines } = fakeStream();
    let now = 0;
    const progress = createProgress(
      stream,
      () => '4 epochs',
      () => now,
    );
    progress.step(step(0, 0));
    now = 5_000;
    progress.step(step(0.25, 1));
    progress.epoch(epoch(1));
    expect(lines.at(-1)).toMatch(/eta 15s\n$/);
  });
});

describe('progress without a terminal', () => {
  it('prints a step line at the first step and then every PROGRESS_EVERY_SECONDS', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
    let ms = 0;
    const progress = createProgress(
      stream,
      () => '160 s',
      () => ms,
    );
    const position = { step: 0, epoch: 0, batchInEpoch: 0, elapsedSeconds: 0 };
    const step = (s: number): StepEvent => ({
      position: { ...position, step: s, elapsedSeconds: ms / 1000 },
      loss: 2,
      tokens: 2048,
      tokensPerSecond: 10_000,
      clippedFraction: 0,
      gradientNorm: 1,
      learningRate: 0.002,
      progress: ms / 160_000,
    });
    // A step every second for 35 s: lines at steps 1, 11, 21 and 31.
    for (let s = 1; s <= 35; s++) {
      progress.step(step(s));
      ms += 1000;
    }
    expect(lines.map((line) => line.split(' ')[1])).toEqual([
      '1',
      String(1 + PROGRESS_EVERY_SECONDS),
      String(1 + 2 * PROGRESS_EVERY_SECONDS),
      String(1 + 3 * PROGRESS_EVERY_SECONDS),
    ]);
    expect(lines[1]).toMatch(/^step 11 \(6% of 160 s\) {2}epoch 0 {2}loss 2\.0000 {2}lr 0\.00200 {2}10,000 tok\/s {2}10 s {2}eta \d+s\n$/);
    const evaluation: EpochEvent = { position: { ...position, step: 36, elapsedSeconds: 36 }, trainLoss: 1.9, validationLoss: 1.8, improved: true };
    progress.evaluation(evaluation);
    expect(lines.at(-1)).toMatch(/^step 36 evaluated {2}train 1\.9000 {2}val 1\.8000 \(best so far\)/);
  });
});

/** The plain progress lines (not a terminal): a resumed run's ETA counts only what this process has done. */
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import type { EpochEvent, StepEvent, TrainingPosition } from '../../src/train/trainer.js';

function fakeStream(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}
const position = (epoch: number): TrainingPosition => ({ step: epoch * 10, epoch, batchInEpoch: 0, elapsedSeconds: 0 });
const step = (progress: number, epoch: number): StepEvent => ({ position: position(epoch), loss: 1, tokens: 100, tokensPerSecond: 1000, clippedFraction: 0, gradientNorm: 1, learningRate: 0.1, progress });
const epoch = (n: number): EpochEvent => ({ position: position(n), trainLoss: 1, validationLoss: 1, improved: false }) as EpochEvent;

describe('createProgress (plain lines)', () => {
  it('a run resumed at 80% with two of ten epochs left, one done in 10 s: eta 10s, not 1s', () => {
    const { stream, lines } = fakeStream();
    let now = 0;
    const progress = createProgress(stream, () => '10 epochs', () => now);
    progress.step(step(0.8, 8)); // the first step of the resumed run
    now = 10_000;
    progress.step(step(0.9, 9));
    progress.epoch(epoch(9));
    expect(lines.at(-1)).toMatch(/eta 10s\n$/);
  });

  it('an unbroken run: eta from its whole progress', () => {
    const { stream, lines } = fakeStream();
    let now = 0;
    const progress = createProgress(stream, () => '4 epochs', () => now);
    progress.step(step(0, 0));
    now = 5_000;
    progress.step(step(0.25, 1));
    progress.epoch(epoch(1));
    expect(lines.at(-1)).toMatch(/eta 15s\n$/);
  });
});

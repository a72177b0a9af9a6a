/**
 * Shows a training run's progress: on a terminal, a live bar with loss,
 * tokens/s and ETA (cli-progress); otherwise (a log file, CI) one plain line
 * per epoch.
 */
import cliProgress from 'cli-progress';
import type { EpochEvent, StepEvent } from '../train/trainer.js';

export interface Progress {
  step(event: StepEvent): void;
  epoch(event: EpochEvent): void;
  stop(): void;
}

const formatLoss = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : '-');
const formatRate = (value: number) => Math.round(value).toLocaleString('en-US');

export function createProgress(stream: NodeJS.WriteStream, describeBudget: () => string): Progress {
  let tokensPerSecond = 0;
  let validationLoss = NaN;
  if (!stream.isTTY) {
    let lastProgress = 0;
    let started = Date.now();
    return {
      step(event) {
        tokensPerSecond = tokensPerSecond === 0 ? event.tokensPerSecond : 0.9 * tokensPerSecond + 0.1 * event.tokensPerSecond;
        lastProgress = event.progress;
      },
      epoch(event) {
        const elapsed = (Date.now() - started) / 1000;
        const eta = lastProgress > 0 ? (elapsed * (1 - lastProgress)) / lastProgress : NaN;
        stream.write(
          `epoch ${event.position.epoch} (${describeBudget()})  train ${formatLoss(event.trainLoss)}  val ${formatLoss(event.validationLoss)}  ` +
            `${formatRate(tokensPerSecond)} tok/s  step ${event.position.step}  eta ${Number.isFinite(eta) ? `${Math.ceil(eta)}s` : '-'}\n`,
        );
      },
      stop() {
        started = Date.now();
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {percentage}% | epoch {epoch} | loss {loss} | val {val} | {rate} tok/s | ETA {eta_formatted}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      etaBuffer: 50,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { epoch: 0, loss: '-', val: '-', rate: '-' });
  let smoothedLoss = NaN;
  return {
    step(event) {
      tokensPerSecond = tokensPerSecond === 0 ? event.tokensPerSecond : 0.9 * tokensPerSecond + 0.1 * event.tokensPerSecond;
      smoothedLoss = Number.isNaN(smoothedLoss) ? event.loss : 0.95 * smoothedLoss + 0.05 * event.loss;
      bar.update(Math.round(event.progress * 1000), {
        epoch: event.position.epoch,
        loss: formatLoss(smoothedLoss),
        val: formatLoss(validationLoss),
        rate: formatRate(tokensPerSecond),
      });
    },
    epoch(event) {
      validationLoss = event.validationLoss;
      bar.update({ epoch: event.position.epoch, val: formatLoss(validationLoss) });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Shows a training run's progress: on a terminal, a live bar with loss,
 * tokens/s and ETA (cli-progress); otherwise (a log file, CI) plain lines: one
 * at the first step, then at least every PROGRESS_EVERY_SECONDS, and one per
 * epoch and evaluation.
 */
import cliProgress from 'cli-progress';
import type { EpochEvent, StepEvent } from '../train/trainer.js';

export interface Progress {
  step(event: StepEvent): void;
  epoch(event: EpochEvent): void;
  /** An evaluation between epochs (--eval-every, or at the end of a budget). */
  evaluation(event: EpochEvent): void;
  stop(): void;
}

/** Without a terminal, a step line at least this often (seconds): a run nobody watches still says how it goes. */
export const PROGRESS_EVERY_SECONDS = 10;

const formatLoss = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : '-');
const formatRate = (value: number) => Math.round(value).toLocaleString('en-US');

/** `now`: the clock in milliseconds (a test gives its own). */
export function createProgress(stream: NodeJS.WriteStream, describeBudget: () => string, now: () => number = Date.now): Progress {
  let tokensPerSecond = 0;
  let validationLoss = NaN;
  if (!stream.isTTY) {
    let lastProgress = 0;
    // Where this process started: a resumed run begins part-way, and only what it did itself measures its speed.
    let startProgress: number | undefined;
    let started = now();
    let lastLine = -Infinity;
    let smoothedLoss = NaN;
    const eta = () => {
      const elapsed = (now() - started) / 1000;
      const done = lastProgress - (startProgress ?? 0);
      const seconds = done > 0 ? (elapsed * (1 - lastProgress)) / done : NaN;
      return Number.isFinite(seconds) ? `${Math.ceil(seconds)}s` : '-';
    };
    return {
      step(event) {
        tokensPerSecond = tokensPerSecond === 0 ? event.tokensPerSecond : 0.9 * tokensPerSecond + 0.1 * event.tokensPerSecond;
        smoothedLoss = Number.isNaN(smoothedLoss) ? event.loss : 0.95 * smoothedLoss + 0.05 * event.loss;
        if (startProgress === undefined) {
          // The first step's own share of the work is unknown: measure from its end.
          startProgress = event.progress;
          started = now();
        }
        lastProgress = event.progress;
        if (now() - lastLine < PROGRESS_EVERY_SECONDS * 1000) return;
        lastLine = now();
        stream.write(
          `step ${event.position.step} (${Math.floor(100 * event.progress)}% of ${describeBudget()})  epoch ${event.position.epoch}  loss ${formatLoss(smoothedLoss)}  ` +
            `lr ${event.learningRate.toPrecision(3)}  ${formatRate(tokensPerSecond)} tok/s  ${event.position.elapsedSeconds.toFixed(0)} s  eta ${eta()}\n`,
        );
      },
      epoch(event) {
        lastLine = now();
        stream.write(
          `epoch ${event.position.epoch} (${describeBudget()})  train ${formatLoss(event.trainLoss)}  val ${formatLoss(event.validationLoss)}  ` +
            `${formatRate(tokensPerSecond)} tok/s  step ${event.position.step}  eta ${eta()}\n`,
        );
      },
      evaluation(event) {
        lastLine = now();
        stream.write(
          `step ${event.position.step} evaluated  train ${formatLoss(event.trainLoss)}  val ${formatLoss(event.validationLoss)}${event.improved ? ' (best so far)' : ''}  ` +
            `${formatRate(tokensPerSecond)} tok/s  ${event.position.elapsedSeconds.toFixed(0)} s  eta ${eta()}\n`,
        );
      },
      stop() {
        started = now();
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
  let smoothedLoss = NaN;
  let startedBar = false;
  return {
    step(event) {
      if (!startedBar) {
        // Started at the first step's progress: a resumed run's earlier part does not count as done in no time.
        bar.start(1000, Math.round(event.progress * 1000), { epoch: event.position.epoch, loss: '-', val: '-', rate: '-' });
        startedBar = true;
      }
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
      if (startedBar) bar.update({ epoch: event.position.epoch, val: formatLoss(validationLoss) });
    },
    evaluation(event) {
      validationLoss = event.validationLoss;
      if (startedBar) bar.update({ val: formatLoss(validationLoss) });
    },
    stop() {
      bar.stop();
    },
  };
}

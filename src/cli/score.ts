/** `bptt score`: how likely a model finds given strings (each as a line: start, characters, end). */
import type { Command } from 'commander';
import { lineSequences } from '../data/sequences.js';
import type { Backend } from '../kernels/select.js';
import { evaluate } from '../train/trainer.js';
import { kernelsFor, loadModel, withModelOptions } from './model-input.js';

export function registerScore(program: Command): void {
  withModelOptions(program.command('score').description('log-probability and nats per character (per token for word models) of each given string under a model (end of line included)'))
    .option('--json', 'print one JSON object per string')
    .argument('<TEXT...>', 'strings to score, e.g. names')
    .action(async (texts: string[], flags: { model: string; json?: boolean; backend?: Backend }) => {
      const { model, tokenizer } = loadModel(flags.model, await kernelsFor(flags.backend));
      for (const text of texts) {
        const [sequence] = lineSequences([tokenizer.normalize(text)], tokenizer, `the string ${JSON.stringify(text)}`);
        const { natsPerToken, tokens } = evaluate(model, [sequence]);
        const unit = tokenizer.unit; // 'char', or 'token' for word models
        const logProb = -natsPerToken * tokens;
        const report = { text, log_prob: logProb, [`nats_per_${unit}`]: natsPerToken, [`${unit}s`]: tokens };
        if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`${text}\tlog p = ${logProb.toFixed(3)}\t${natsPerToken.toFixed(4)} nats/${unit}\n`);
      }
    });
}

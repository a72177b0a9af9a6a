/** `bptt eval`: how well a model predicts a text, in nats and bits per character (per token for word models). */
import type { Command } from 'commander';
import { lineSequences, textLines } from '../data/sequences.js';
import { evaluate } from '../train/trainer.js';
import { loadCorpus } from './corpus.js';
import { kernelsFor, loadModel, withModelOptions } from './model-input.js';
import type { Backend } from '../kernels/select.js';

export function registerEval(program: Command): void {
  withModelOptions(program.command('eval').description('mean loss of a model on a text: nats and bits per character or word token (end of line included) and perplexity'))
    .option('--data <file|name>', 'text to evaluate, one sequence per line', 'dinosaurs')
    .option('--json', 'print one JSON object')
    .action(async (flags: { model: string; data: string; json?: boolean; backend?: Backend }) => {
      const { model, tokenizer } = loadModel(flags.model, await kernelsFor(flags.backend));
      const corpus = loadCorpus(flags.data);
      const lines = textLines(tokenizer.normalize(corpus.text));
      const result = evaluate(model, lineSequences(lines, tokenizer, corpus.source));
      const unit = tokenizer.unit; // 'char', or 'token' for word models
      const nats = result.natsPerToken;
      const report = {
        [`nats_per_${unit}`]: nats,
        [`bits_per_${unit}`]: nats / Math.LN2,
        perplexity: Math.exp(nats),
        [`${unit}s`]: result.tokens,
        lines: lines.length,
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(
          `${corpus.source}: ${lines.length} lines, ${result.tokens} ${unit === 'char' ? 'characters' : 'tokens'} (end of line included)\n` +
            `  ${nats.toFixed(4)} nats/${unit}  ${(nats / Math.LN2).toFixed(4)} bits/${unit}  perplexity ${Math.exp(nats).toFixed(3)}\n`,
        );
      }
    });
}

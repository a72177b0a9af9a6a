/** `bptt eval`: how well a model predicts a text, in nats and bits per character (per token for word models). */
import type { Command } from 'commander';
import { lineSequences, textLines } from '../data/sequences.js';
import type { Backend } from '../kernels/select.js';
import { evaluate } from '../train/trainer.js';
import { loadCorpus } from './corpus.js';
import { addFlags, checkedFlags } from './flags.js';
import { kernelsFor, knownText, loadModel, unknownNote } from './model-input.js';

interface EvalFlags {
  model: string;
  data: string;
  json?: boolean;
  strict?: boolean;
  backend?: Backend;
}

export function registerEval(program: Command): void {
  addFlags(program.command('eval').description('mean loss of a model on a text: nats and bits per character or word token (end of line included) and perplexity'), 'eval').action(async (values: Record<string, unknown>) => {
    const flags = checkedFlags<EvalFlags>('eval', values);
    const { model, tokenizer } = loadModel(flags.model, await kernelsFor(flags.backend));
    const corpus = loadCorpus(flags.data);
    // Characters the model never saw (a ‘ in a long text) are skipped and counted, not a reason to stop.
    const known = knownText(tokenizer, corpus.text, flags.strict === true);
    const lines = textLines(known.text);
    const result = evaluate(model, lineSequences(lines, tokenizer, corpus.source));
    const unit = tokenizer.unit; // 'char', or 'token' for word models
    const nats = result.natsPerToken;
    process.stderr.write(unknownNote(known.unknown, known.first, unit));
    const report = {
      [`nats_per_${unit}`]: nats,
      [`bits_per_${unit}`]: nats / Math.LN2,
      perplexity: Math.exp(nats),
      [`${unit}s`]: result.tokens,
      lines: lines.length,
      unknown: known.unknown,
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

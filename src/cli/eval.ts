/** `bptt eval`: how well a model predicts a text, in nats and bits per character (per token for word models). */
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { lineSequences, textLines } from '../data/sequences.js';
import { ArrayTokenSource, idArrayFor } from '../data/stream.js';
import type { StreamReading } from '../io/model-file.js';
import type { Backend } from '../kernels/select.js';
import { evaluationStreams, streamReadingOf, TEXT_RECIPE } from '../train/recipe.js';
import { evaluate, evaluateStreams, type EvaluationResult } from '../train/trainer.js';
import { loadCorpus } from './corpus.js';
import { addFlags, checkedFlags } from './flags.js';
import type { EVAL_MODES } from './flags-commands.js';
import { kernelsFor, knownText, loadModel, unknownNote } from './model-input.js';

interface EvalFlags {
  model: string;
  data: string;
  mode?: (typeof EVAL_MODES)[number];
  json?: boolean;
  strict?: boolean;
  backend?: Backend;
}

export function registerEval(program: Command): void {
  addFlags(
    program.command('eval').description('mean loss of a model on a text: nats and bits per character or word token (end of line included) and perplexity'),
    'eval',
  ).action(async (values: Record<string, unknown>) => {
    const flags = checkedFlags<EvalFlags>('eval', values);
    const { model, tokenizer, metadata } = loadModel(flags.model, await kernelsFor(flags.backend));
    // The model's own way of reading text, unless --mode says otherwise; a lines model read as a stream takes the text recipe's layout.
    const mode = flags.mode ?? (metadata.stream ? 'stream' : 'lines');
    const reading: StreamReading | undefined = mode === 'stream' ? (metadata.stream ?? streamReadingOf(TEXT_RECIPE)) : undefined;
    const corpus = loadCorpus(flags.data);
    // Characters the model never saw (a ‘ in a long text) are skipped and counted, not a reason to stop.
    const known = knownText(tokenizer, corpus.text, flags.strict === true);
    let result: EvaluationResult;
    let what: string;
    if (reading) {
      const codes = tokenizer.encode(known.text, corpus.source);
      const units = tokenizer.unit === 'char' ? 'characters' : 'tokens';
      if (codes.length < 2) throw new BpttError(`${corpus.source} has fewer than two ${units} the model knows`, 'give a longer text');
      const ids = idArrayFor(tokenizer.size, codes.length);
      ids.set(codes);
      const streams = evaluationStreams(new ArrayTokenSource(ids), tokenizer, reading);
      result = evaluateStreams(model, streams);
      what = `${codes.length} ${units} as ${streams.streams} streams, windows of ${reading.steps}, state carried, documents end at ${reading.documents}`;
    } else {
      const lines = textLines(known.text);
      result = evaluate(model, lineSequences(lines, tokenizer, corpus.source));
      what = `${lines.length} lines, ${result.tokens} ${tokenizer.unit === 'char' ? 'characters' : 'tokens'} (end of line included)`;
    }
    const unit = tokenizer.unit; // 'char', or 'token' for word models
    const nats = result.natsPerToken;
    process.stderr.write(unknownNote(known.unknown, known.first, unit));
    const report = {
      [`nats_per_${unit}`]: nats,
      [`bits_per_${unit}`]: nats / Math.LN2,
      perplexity: Math.exp(nats),
      [`${unit}s`]: result.tokens,
      mode,
      ...(reading ? { streams: result.sequences } : { lines: result.sequences }),
      unknown: known.unknown,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      process.stdout.write(
        `${corpus.source}: ${what}\n  ${nats.toFixed(4)} nats/${unit}  ${(nats / Math.LN2).toFixed(4)} bits/${unit}  perplexity ${Math.exp(nats).toFixed(3)}\n`,
      );
  });
}

/** `bptt score`: how likely a model finds given strings (each as a line: start, characters, end). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { lineSequences, textLines } from '../data/sequences.js';
import type { Backend } from '../kernels/select.js';
import { evaluate } from '../train/trainer.js';
import { fileError } from './files.js';
import { addFlags, checkedFlags } from './flags.js';
import { kernelsFor, knownText, loadModel, unknownNote } from './model-input.js';

interface ScoreFlags {
  model: string;
  file?: string;
  json?: boolean;
  strict?: boolean;
  backend?: Backend;
}

export function registerScore(program: Command): void {
  addFlags(
    program
      .command('score')
      .description('log-probability and nats per character (per token for word models) of each given string under a model (end of line included)'),
    'score',
  )
    .argument('[TEXT...]', 'strings to score, e.g. names (or give --file)')
    .action(async (texts: string[], values: Record<string, unknown>) => {
      const flags = checkedFlags<ScoreFlags>('score', values);
      const strings = [...texts, ...(flags.file !== undefined ? textLines(readText(flags.file)) : [])];
      if (strings.length === 0) throw new BpttError('nothing to score', 'give strings as arguments, or --file FILE (one per line; - for standard input)');
      const { model, tokenizer } = loadModel(flags.model, await kernelsFor(flags.backend));
      const unit = tokenizer.unit; // 'char', or 'token' for word models
      let unknownTotal = 0;
      let firstUnknown: string | undefined;
      for (const text of strings) {
        const what = `the string ${JSON.stringify(text)}`;
        const known = knownText(tokenizer, text, flags.strict === true);
        unknownTotal += known.unknown;
        firstUnknown ??= known.first;
        const [sequence] = lineSequences([known.text], tokenizer, what);
        const { natsPerToken, tokens } = evaluate(model, [sequence]);
        const logProb = -natsPerToken * tokens;
        const report = { text, log_prob: logProb, [`nats_per_${unit}`]: natsPerToken, [`${unit}s`]: tokens, unknown: known.unknown };
        if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else
          process.stdout.write(
            `${text}\tlog p = ${logProb.toFixed(3)}\t${natsPerToken.toFixed(4)} nats/${unit}${known.unknown ? `\t(${known.unknown} unknown skipped)` : ''}\n`,
          );
      }
      process.stderr.write(unknownNote(unknownTotal, firstUnknown, unit));
    });
}

/** The text of --file: a UTF-8 file, or standard input for '-'. */
function readText(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (error) {
    throw fileError(error, path === '-' ? 'standard input' : path, 'file');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BpttError(`${path === '-' ? 'standard input' : path} is not valid UTF-8 text`, 'save it as UTF-8');
  }
}

/**
 * The `bptt` program: every subcommand registered on one commander Command,
 * and how an error becomes one line on stderr and an exit code. main.ts runs
 * it on process.argv; tests build it to check every flag of every command.
 */
import { Command, CommanderError } from 'commander';
import { BpttError } from '../core/errors.js';
import { registerBench } from './bench.js';
import { registerData } from './data.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerGradcheck } from './gradcheck.js';
import { registerImport } from './import.js';
import { registerInfo } from './info.js';
import { registerSample } from './sample.js';
import { registerScore } from './score.js';
import { registerTrain } from './train.js';

/** `writeError` receives commander's own error lines (unknown option, missing value). */
export function createProgram(writeError: (text: string) => void = (text) => process.stderr.write(text)): Command {
  const program = new Command('bptt')
    .description('Recurrent neural networks from scratch: backpropagation through time, derived by hand.')
    // commander's own errors (unknown option, missing value) become one line, like every other error.
    .configureOutput({ writeErr: writeError, outputError: (message, write) => write(`bptt: ${message.replace(/^error: /, '').trim()}; see bptt --help\n`) })
    .exitOverride(); // set before the subcommands are added, so that they inherit it

  registerTrain(program);
  registerSample(program);
  registerEval(program);
  registerGradcheck(program);
  registerBench(program);
  registerInfo(program);
  registerImport(program);
  registerScore(program);
  registerData(program);
  registerExport(program);
  return program;
}

/** The exit code for an error thrown by parsing or by a command; a BpttError's one line goes to `writeError`. */
export function reportError(error: unknown, writeError: (text: string) => void = (text) => process.stderr.write(text)): number {
  if (error instanceof CommanderError) {
    // commander already printed the message (or the help text); an option parser's BpttError arrives here too.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof BpttError) {
    writeError(`bptt: ${error.message}\n`);
    return 2;
  }
  throw error;
}

#!/usr/bin/env node
/**
 * The `bptt` command: a thin shell over the library. Each subcommand lives in
 * its own file; errors a user can fix (BpttError) print one line and exit 2.
 */
import { Command, CommanderError } from 'commander';
import { BpttError } from '../core/errors.js';
import { registerBench } from './bench.js';
import { registerData } from './data.js';
import { registerEval } from './eval.js';
import { registerGradcheck } from './gradcheck.js';
import { registerImport } from './import.js';
import { registerInfo } from './info.js';
import { registerSample } from './sample.js';
import { registerScore } from './score.js';
import { registerTrain } from './train.js';
import { enableRelaxedSimd } from './engine.js';

enableRelaxedSimd();
// `bptt sample | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('bptt')
  .description('Recurrent neural networks from scratch: backpropagation through time, derived by hand.')
  // commander's own errors (unknown option, missing value) become one line, like every other error.
  .configureOutput({ outputError: (message, write) => write(`bptt: ${message.replace(/^error: /, '').trim()}; see bptt --help\n`) })
  .exitOverride();

registerTrain(program);
registerSample(program);
registerEval(program);
registerGradcheck(program);
registerBench(program);
registerInfo(program);
registerImport(program);
registerScore(program);
registerData(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed the message (or the help text); an option parser's BpttError arrives here too.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof BpttError) {
    process.stderr.write(`bptt: ${error.message}\n`);
    return 2;
  }
  throw error;
}

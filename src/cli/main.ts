#!/usr/bin/env node
/**
 * The `bptt` command: a thin shell over the library. Each subcommand lives in
 * its own file (registered in program.ts); errors a user can fix (BpttError)
 * print one line and exit 2.
 */
import { enableRelaxedSimd } from './engine.js';
import { createProgram, reportError } from './program.js';

enableRelaxedSimd();
// `bptt sample | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

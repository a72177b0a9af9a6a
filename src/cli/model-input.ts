/** Loading a model file given on the command line. */
import type { Command } from 'commander';
import { decodeModelFile, type SavedModel } from '../io/model-file.js';
import type { Kernels } from '../kernels/kernels.js';
import { BACKENDS, loadKernels, type Backend } from '../kernels/select.js';
import { readBytes } from './files.js';
import { choiceOption } from './options.js';

export function loadModel(path: string, kernels?: Kernels): SavedModel {
  return decodeModelFile(readBytes(path, 'model file'), path, kernels);
}

/** The --backend option: a flag, else the BPTT_BACKEND environment variable, else 'auto'. */
export const backendOption = {
  flags: '--backend <name>',
  description: `kernels: ${BACKENDS.join(', ')} (default: $BPTT_BACKEND or auto, the fastest available)`,
  parse: choiceOption('--backend', BACKENDS),
};

/** The options every command that reads a model has: --model FILE and --backend. */
export function withModelOptions(command: Command): Command {
  return command.requiredOption('--model <FILE>', 'model file written by bptt train').option(backendOption.flags, backendOption.description, backendOption.parse);
}

export function kernelsFor(flag: Backend | undefined): Promise<Kernels> {
  const fromEnvironment = process.env.BPTT_BACKEND;
  const backend = flag ?? (fromEnvironment ? choiceOption('BPTT_BACKEND', BACKENDS)(fromEnvironment) : 'auto');
  return loadKernels(backend);
}

/**
 * `bptt export onnx`: the model as an ONNX graph (docs/onnx.md).
 * `bptt export pytorch`: a PyTorch project that trains the model further with torchrun (docs/scale-out.md).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { PYTORCH_TEMPLATES, pytorchProjectFiles } from '../export/pytorch.js';
import { checkWritable, refuseOverlaps, writeFileAtomic } from './files.js';
import { addFlags, checkedFlags } from './flags.js';
import { loadModel } from './model-input.js';

/**
 * The templates' folder: src/export/pytorch/ of the package, from this file in src/cli/ (tsx) or
 * dist/cli/ (the built package, which ships src/ too).
 */
const TEMPLATES = fileURLToPath(new URL('../../src/export/pytorch/', import.meta.url));

/** Both subcommands' flags (flags-commands.ts): the model file read and what is written. */
interface ExportFlags {
  model: string;
  out: string;
}

export function registerExport(program: Command): void {
  const command = program.command('export').description('take a model elsewhere: an ONNX graph (onnx) or a PyTorch project that trains it further (pytorch)');

  addFlags(
    command
      .command('onnx')
      .description('write the model as an ONNX graph (inputs input_ids, h0 [, c0]; outputs logits, hn [, cn]) for ONNX Runtime; see docs/onnx.md'),
    'export onnx',
  ).action(async (values: Record<string, unknown>) => {
    const flags = checkedFlags<ExportFlags>('export onnx', values);
    // Loaded here, not with the program: the protobuf code would add a quarter second to every command's start.
    const { exportOnnx } = await loadOnnxExport();
    refuseOverlaps([{ flag: '--model', path: flags.model }], [{ flag: '--out', path: flags.out }]);
    const { model, tokenizer } = loadModel(flags.model);
    checkWritable(flags.out, 'ONNX file');
    writeFileAtomic(flags.out, exportOnnx(model, tokenizer, packageVersion()), 'ONNX file');
    process.stderr.write(`Wrote ${flags.out}; see docs/onnx.md for running it\n`);
  });

  addFlags(
    command
      .command('pytorch')
      .description(
        'write a PyTorch project (model.py, train.py for torchrun, the weights) that continues training the model and writes a bptt model file; see docs/scale-out.md',
      ),
    'export pytorch',
  ).action((values: Record<string, unknown>) => {
    const flags = checkedFlags<ExportFlags>('export pytorch', values);
    const saved = loadModel(flags.model);
    const folder = flags.out;
    if (existsSync(folder) && readdirSync(folder).length > 0) {
      throw new BpttError(`the folder ${folder} is not empty`, 'give a new folder for the project: bptt export never overwrites files there');
    }
    if (resolve(flags.model).startsWith(`${resolve(folder)}/`)) throw new BpttError(`the model file ${flags.model} is inside ${folder}`, 'give another folder');
    mkdirSync(folder, { recursive: true });
    const files: Record<string, Uint8Array> = { ...pytorchProjectFiles(saved) };
    for (const name of PYTORCH_TEMPLATES) files[name] = readFileSync(join(TEMPLATES, name));
    for (const [name, bytes] of Object.entries(files)) writeFileAtomic(join(folder, name), bytes, 'project file');
    process.stderr.write(`Wrote a PyTorch project to ${folder}; see ${join(folder, 'README.md')}\n`);
  });
}

/** bptt's version, recorded as the ONNX file's producer_version. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
  return manifest.version;
}

/** The ONNX writer and its protobuf code (the optional package onnx-proto), or one line saying how to install it. */
async function loadOnnxExport(): Promise<typeof import('../export/onnx.js')> {
  try {
    return await import('../export/onnx.js');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new BpttError(
      'bptt export onnx writes its protobuf with the npm package onnx-proto, which is not installed',
      'run npm install onnx-proto to use bptt export onnx',
    );
  }
}

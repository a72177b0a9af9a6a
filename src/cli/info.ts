/** `bptt info FILE`: what a model file or checkpoint holds. */
import type { Command } from 'commander';
import { parseSafetensors } from '../io/safetensors.js';
import { readBytes } from './files.js';
import { loadModel } from './model-input.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description("a model file's architecture, parameter count, tensors and metadata")
    .argument('<FILE>', 'model file or checkpoint written by bptt (or a PyTorch state dict with bptt metadata)')
    .option('--json', 'print one JSON object')
    .action((path: string, flags: { json?: boolean }) => {
      const { model, metadata, checkpoint } = loadModel(path);
      const file = parseSafetensors(readBytes(path, 'model file'), path);
      const tensors = [...file.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
      const report = {
        file: path,
        cell: metadata.cell,
        activation: metadata.activation,
        hidden: metadata.hidden,
        layers: metadata.layers,
        embed: metadata.embed,
        vocab_size: metadata.vocab.length,
        vocab: metadata.vocab.join(''),
        lowercase: metadata.lowercase,
        dtype: model.config.dtype,
        parameters: model.params.length,
        checkpoint: checkpoint ? checkpoint.training : null,
        tensors,
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const input = metadata.embed > 0 ? `embedding ${metadata.embed}` : 'one-hot input';
      process.stdout.write(
        `${path}: ${metadata.cell === 'rnn' ? `${metadata.activation} RNN` : metadata.cell.toUpperCase()}, hidden ${metadata.hidden}, ${metadata.layers} layer${metadata.layers > 1 ? 's' : ''}, ${input}, ` +
          `vocabulary ${metadata.vocab.length} ${JSON.stringify(metadata.vocab.join(''))}${metadata.lowercase ? ' (lower-cases its input)' : ''}, ` +
          `${model.params.length.toLocaleString('en-US')} parameters, ${model.config.dtype}\n`,
      );
      for (const t of tensors) process.stdout.write(`  ${t.name.padEnd(28)} ${t.dtype}  [${t.shape.join(', ')}]\n`);
      if (checkpoint) {
        const position = (checkpoint.training as { position?: { step: number; epoch: number } }).position;
        process.stdout.write(`  checkpoint: step ${position?.step}, epoch ${position?.epoch}; continue with bptt train --resume ${path}\n`);
      }
    });
}

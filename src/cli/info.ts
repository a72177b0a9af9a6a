/** `bptt info FILE`: what a model file or checkpoint holds. */
import type { Command } from 'commander';
import { parseSafetensors } from '../io/safetensors.js';
import { readBytes } from './files.js';
import { addFlags, checkedFlags } from './flags.js';
import { loadModel } from './model-input.js';
import type { ModelMetadata } from '../io/model-file.js';

/** Characters: all of them; words: the count, the unknown token and the most frequent few. */
function vocabularyText(metadata: ModelMetadata): string {
  const { vocab } = metadata;
  if (metadata.tokenizer === 'char') return `vocabulary ${vocab.length} ${JSON.stringify(vocab.join(''))}`;
  const shown = vocab.filter((token) => token !== '\n' && token !== metadata.unknown).slice(0, 12);
  return `word tokens, vocabulary ${vocab.length} (unknown words: ${metadata.unknown}; most frequent: ${shown.map((t) => JSON.stringify(t)).join(' ')})`;
}

export function registerInfo(program: Command): void {
  addFlags(program.command('info').description("a model file's architecture, parameter count, tensors and metadata"), 'info')
    .argument('<FILE>', 'model file or checkpoint written by bptt (or a PyTorch state dict with bptt metadata)')
    .action((path: string, values: Record<string, unknown>) => {
      const flags = checkedFlags<{ json?: boolean }>('info', values);
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
        tokenizer: metadata.tokenizer,
        vocab_size: metadata.vocab.length,
        // Characters as one string (as before words existed); word tokens as a list.
        vocab: metadata.tokenizer === 'char' ? metadata.vocab.join('') : metadata.vocab,
        ...(metadata.unknown === undefined ? {} : { unknown: metadata.unknown }),
        lowercase: metadata.lowercase,
        dtype: model.config.dtype,
        parameters: model.params.length,
        trained_on: metadata.data ?? null,
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
          `${vocabularyText(metadata)}${metadata.lowercase ? ' (lower-cases its input)' : ''}, ` +
          `${model.params.length.toLocaleString('en-US')} parameters, ${model.config.dtype}\n`,
      );
      if (metadata.data)
        process.stdout.write(`  trained on ${metadata.data.source} (${metadata.data.lines} lines, fingerprint ${metadata.data.fingerprint})\n`);
      for (const t of tensors) process.stdout.write(`  ${t.name.padEnd(28)} ${t.dtype}  [${t.shape.join(', ')}]\n`);
      if (checkpoint) {
        const position = (checkpoint.training as { position?: { step: number; epoch: number } }).position;
        process.stdout.write(`  checkpoint: step ${position?.step}, epoch ${position?.epoch}; continue with bptt train --resume ${path}\n`);
      }
    });
}

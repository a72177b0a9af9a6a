/** `bptt import`: a PyTorch state dict (safetensors) → a bptt model file. */
import type { Command } from 'commander';
import { importStateDict } from '../io/model-file.js';
import { ACTIVATIONS, type Activation } from '../nn/activation.js';
import { CharTokenizer } from '../text/char-tokenizer.js';
import { loadCorpus } from './corpus.js';
import { checkWritable, readBytes, writeFileAtomic } from './files.js';
import { choiceOption } from './options.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn a PyTorch state dict (safetensors: rnn.* of nn.RNN/nn.LSTM/nn.GRU, fc.*, optional embedding.*) into a bptt model file')
    .argument('<STATE>', 'the state dict, e.g. from safetensors.torch.save_file(model.state_dict(), path)')
    .requiredOption('--out <FILE>', 'the bptt model file to write')
    .option('--data <file|name>', 'the text the model was trained on: its sorted characters and "\\n" are the vocabulary', 'dinosaurs')
    .option('--lowercase', 'the model was trained on lower-cased text')
    .option('--activation <name>', 'the nonlinearity of an nn.RNN (tanh or relu; ignored for LSTM and GRU)', choiceOption('--activation', ACTIVATIONS), 'tanh')
    .action((state: string, flags: { out: string; data: string; lowercase?: boolean; activation: Activation }) => {
      const vocab = [...CharTokenizer.fromText(loadCorpus(flags.data).text, { lowercase: flags.lowercase }).tokens];
      checkWritable(flags.out, 'model file');
      const bytes = importStateDict(readBytes(state, 'state dict'), state, { vocab, activation: flags.activation, lowercase: flags.lowercase ?? false });
      writeFileAtomic(flags.out, bytes, 'model file');
      process.stderr.write(`Imported ${state} into ${flags.out}; see bptt info ${flags.out}\n`);
    });
}

/** `bptt import`: a PyTorch state dict (safetensors) → a bptt model file. */
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { findCorpus } from '../data/corpora.js';
import { decodeModelFile, importStateDict } from '../io/model-file.js';
import type { Activation } from '../nn/activation.js';
import { CharTokenizer } from '../text/char-tokenizer.js';
import { loadCorpus } from './corpus.js';
import { checkWritable, readBytes, refuseOverlaps, writeFileAtomic } from './files.js';
import { addFlags, checkedFlags } from './flags.js';

interface ImportFlags {
  out: string;
  data: string;
  lowercase?: boolean;
  activation: Activation;
}

export function registerImport(program: Command): void {
  addFlags(
    program
      .command('import')
      .description('turn a PyTorch state dict (safetensors: rnn.* of nn.RNN/nn.LSTM/nn.GRU, fc.*, optional embedding.*) into a bptt model file'),
    'import',
  )
    .argument('<STATE>', 'the state dict, e.g. from safetensors.torch.save_file(model.state_dict(), path)')
    .action((state: string, values: Record<string, unknown>) => {
      const flags = checkedFlags<ImportFlags>('import', values);
      refuseOverlaps(
        [
          { flag: 'STATE', path: state },
          { flag: '--data', path: findCorpus(flags.data) ? undefined : flags.data },
        ],
        [{ flag: '--out', path: flags.out }],
      );
      const vocab = [...CharTokenizer.fromText(loadCorpus(flags.data).text, { lowercase: flags.lowercase }).tokens];
      checkWritable(flags.out, 'model file');
      const bytes = importStateDict(readBytes(state, 'state dict'), state, { vocab, activation: flags.activation, lowercase: flags.lowercase ?? false });
      const cell = decodeModelFile(bytes, state).metadata.cell;
      if (values.activation !== undefined && cell !== 'rnn')
        throw new BpttError(`--activation has no effect here: ${state} holds an ${cell.toUpperCase()}, which has its own gate functions`, 'drop it');
      writeFileAtomic(flags.out, bytes, 'model file');
      process.stderr.write(`Imported ${state} into ${flags.out}; see bptt info ${flags.out}\n`);
    });
}

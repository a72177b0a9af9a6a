/** `bptt data`: the built-in corpora, with their npm packages and sizes. */
import type { Command } from 'commander';
import { BUILT_IN_CORPORA, textStatistics } from '../data/corpora.js';
import { builtInText, corpusInstalled, corpusPackage } from './corpus.js';
import { addFlags, checkedFlags } from './flags.js';

export function registerData(program: Command): void {
  addFlags(program.command('data').description('list the built-in corpora (for --data NAME) with their npm packages and sizes'), 'data').action(
    (values: Record<string, unknown>) => {
      const flags = checkedFlags<{ json?: boolean }>('data', values);
      const rows = BUILT_IN_CORPORA.map((corpus) => {
        if (!corpusInstalled(corpus)) {
          return {
            name: corpus.name,
            package: corpus.packageName,
            installed: false,
            lines: null,
            characters: null,
            distinct_characters: null,
            description: `${corpus.description} (not installed: npm install ${corpus.packageName})`,
          };
        }
        const statistics = textStatistics(builtInText(corpus));
        const npmPackage = `${corpus.packageName}@${corpusPackage(corpus).version}`;
        return {
          name: corpus.name,
          package: npmPackage,
          installed: true,
          lines: statistics.lines,
          characters: statistics.characters,
          distinct_characters: statistics.distinctCharacters,
          description: corpus.description,
        };
      });
      if (flags.json) {
        for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
        return;
      }
      const table = [
        ['name', 'npm package', 'lines', 'characters', 'distinct', 'what'],
        ...rows.map((r) => [
          r.name,
          r.package,
          r.lines?.toLocaleString('en-US') ?? '-',
          r.characters?.toLocaleString('en-US') ?? '-',
          r.distinct_characters === null ? '-' : String(r.distinct_characters),
          r.description,
        ]),
      ];
      const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
      const numeric = new Set([2, 3, 4]);
      for (const row of table) {
        const cells = row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])));
        process.stdout.write(`${cells.join('  ').trimEnd()}\n`);
      }
      process.stdout.write('characters and distinct characters do not count line ends; train on one with bptt train --data NAME\n');
    },
  );
}

/**
 * docs/cli.md is generated from the flag table (npm run docs:cli): this fails when the page on disk
 * differs, so no documented default, range or flag can drift from the code. It also checks that the
 * train defaults the page states are DEFAULT_RECIPE's own values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliReference } from '../../src/cli/flag-docs.js';
import { createProgram } from '../../src/cli/program.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { repoRoot } from '../helpers.js';

describe('docs/cli.md', () => {
  it('is what npm run docs:cli generates from the flag table', () => {
    const page = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8');
    expect(page, 'docs/cli.md is stale: run npm run docs:cli').toBe(cliReference());
  });

  it('states the defaults DEFAULT_RECIPE holds', () => {
    const page = cliReference();
    const row = (flag: string) => page.split('\n').find((line) => line.startsWith(`| \`${flag} `)) ?? '';
    expect(row('--hidden')).toContain(`\`${DEFAULT_RECIPE.hidden}\``);
    expect(row('--embed')).toContain(`\`${DEFAULT_RECIPE.embed}\``);
    expect(row('--dropout')).toContain(`\`${DEFAULT_RECIPE.dropout}\``);
    expect(row('--lr')).toContain(`\`${DEFAULT_RECIPE.learningRate} `);
    expect(row('--batch')).toContain(`\`${DEFAULT_RECIPE.batchSize}\``);
    expect(row('--cell')).toContain(`\`${DEFAULT_RECIPE.cell}\``);
  });

  it('bptt train --help gives the default learning rate the run uses', () => {
    const train = createProgram().commands.find((command) => command.name() === 'train')!;
    const lr = train.options.find((option) => option.long === '--lr')!;
    expect(lr.description).toContain(`default: ${DEFAULT_RECIPE.learningRate} `);
  });

  it('documents every flag of every command', () => {
    const page = cliReference();
    for (const command of createProgram().commands) {
      for (const option of command.options) expect(page, `${command.name()} ${option.long}`).toContain(`\`${option.long}`);
    }
  });

  it('documents the subcommands (bptt export onnx, bptt export pytorch) in sections of their own, every flag with its value', () => {
    const page = cliReference();
    const subcommands = createProgram().commands.flatMap((command) => command.commands.map((sub) => ({ name: `${command.name()} ${sub.name()}`, sub })));
    expect(subcommands.map((s) => s.name).sort()).toEqual(['export onnx', 'export pytorch']);
    for (const { name, sub } of subcommands) {
      const section = page.split(`## \`bptt ${name}\``)[1]?.split('\n## ')[0] ?? '';
      expect(section, name).not.toBe('');
      for (const option of sub.options) expect(section, `${name} ${option.flags}`).toContain(`\`${option.flags}\``);
    }
  });
});

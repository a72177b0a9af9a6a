/**
 * The model names no cell: src/model works with every cell through its CellType / RecurrentCell
 * object (src/nn/recurrent-cell.ts), so a new cell is one file in src/nn (and its line in cells.ts),
 * never a branch in the model's sweep, workspace, state layout or derivation walk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CELL_TYPES } from '../../src/nn/cells.js';
import { repoRoot } from '../helpers.js';

/** A cell's name as a string literal ('lstm', "gru", `rnn`): what a branch on the cell type compares with. */
const cellLiteral = new RegExp(`(['"\`])(${Object.keys(CELL_TYPES).join('|')})\\1`);
/** A cell's object picked by name (CELL_TYPES.lstm, lstmCell, gruCellForward…): the other way to single one out. */
const cellByName = new RegExp(`CELL_TYPES\\.(${Object.keys(CELL_TYPES).join('|')})\\b|\\b(${Object.keys(CELL_TYPES).join('|')})Cell\\w*`);

/** The code of a file without its comments (a comment may name a cell to explain it). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('src/model names no cell', () => {
  const folder = join(repoRoot, 'src', 'model');
  const files = readdirSync(folder).filter((name) => name.endsWith('.ts'));

  it('the rule sees a branch on the cell type, and not a comment naming a cell', () => {
    expect(cellLiteral.test(code("if (cell === 'lstm') {}"))).toBe(true);
    expect(cellLiteral.test(code('case "gru":'))).toBe(true);
    expect(cellByName.test(code('lstmCellForward(k, gates)'))).toBe(true);
    expect(cellLiteral.test(code("// the 'lstm' carries c\n/* or 'gru' */"))).toBe(false);
  });

  it.each(files)('src/model/%s has no cell name in its code', (name) => {
    const lines = code(readFileSync(join(folder, name), 'utf8'))
      .split('\n')
      .filter((line) => cellLiteral.test(line) || cellByName.test(line));
    expect(lines, 'branch on the cell type: move the per-cell part into the cell (src/nn/*-cell.ts)').toEqual([]);
  });
});

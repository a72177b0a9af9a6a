/** Mode 'auto': a list of short lines trains in mode lines, running text in mode stream. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseMode } from '../../src/index.js';
import { SAMPLE_CHARACTERS } from '../../src/data/auto-mode.js';
import { dinosPath } from '../helpers.js';

const prose = (paragraphs: number) =>
  Array.from(
    { length: paragraphs },
    (_, p) => `It was the ${p}th day of the voyage, and the sea lay flat under a white sky;\nthe men had long stopped counting the hours between the bells.\n`,
  ).join('\n');

const code = Array.from({ length: 40 }, (_, i) => `static int f${i}(int x)\n{\n\tif (x > ${i})\n\t\treturn x - ${i};\n\treturn 0;\n}\n`).join('\n');

describe('chooseMode', () => {
  it('a list of names is lines', () => {
    const choice = chooseMode(readFileSync(dinosPath, 'utf8'));
    expect(choice.mode).toBe('lines');
    expect(choice.reason).toMatch(/list of short lines: [\d,]+ lines, median \d+ characters, no blank lines/);
  });

  it('prose with paragraphs is stream, for its blank lines', () => {
    expect(chooseMode(prose(30))).toEqual({ mode: 'stream', reason: expect.stringMatching(/running text: \d+% of lines are blank/) });
  });

  it('prose without blank lines is stream, for its long lines', () => {
    expect(chooseMode(prose(30).replace(/\n\n/g, '\n'))).toEqual({ mode: 'stream', reason: 'running text: lines are long (median 73 characters)' });
  });

  it('code is stream', () => {
    expect(chooseMode(code).mode).toBe('stream');
    // Without its blank lines code is still told apart by its indentation.
    expect(chooseMode(code.replace(/\n\n/g, '\n'))).toEqual({ mode: 'stream', reason: expect.stringMatching(/of lines are indented/) });
  });

  it('a few long lines among short ones make it stream', () => {
    const lines = Array.from({ length: 100 }, (_, i) => (i % 5 === 0 ? 'x'.repeat(90) : 'word'));
    expect(chooseMode(lines.join('\n')).reason).toBe('running text: many lines are long (10% over 90 characters)');
  });

  it('one line, or none, is stream; a Windows list is still lines', () => {
    expect(chooseMode('a single long line of text without a break').mode).toBe('stream');
    expect(chooseMode('\n\n').mode).toBe('stream');
    expect(chooseMode('alpha\r\nbeta\r\ngamma\r\n').mode).toBe('lines');
  });

  it('reads only the beginning of a long text', () => {
    const list = 'aardvark\nbadger\n'.repeat(SAMPLE_CHARACTERS / 8);
    const choice = chooseMode(`${list}${prose(1000)}`);
    expect(choice.mode).toBe('lines');
    expect(choice.reason).toMatch(/the first [\d,]+ lines/);
  });
});

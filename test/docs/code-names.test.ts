/**
 * Every code name the docs cite is real: each `camelCase` or `Class.member` name in backticks in
 * README.md and docs/ must occur in the source (src/, scripts/, test/, bench/, web/), so a rename
 * cannot leave a stale pointer behind; and every file path they cite under src/, test/, scripts/, bench/ or web/ exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function files(dir: string, extensions: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'generated' || entry.name === 'fixtures') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path, extensions) : extensions.test(entry.name) ? [path] : [];
  });
}

const source = ['src', 'scripts', 'test', 'bench', 'web']
  .flatMap((dir) => files(join(root, dir), /\.(ts|mjs|js|py|sh)$/))
  .map((path) => readFileSync(path, 'utf8'))
  .join('\n');
const words = new Set(source.match(/[A-Za-z_$][\w$]*/g));

/** Names in backticks that look like code: fooBar, fooBar(), Foo.bar, foo.barBaz(…). Flags (--x), paths and formulas are skipped. */
function citedNames(markdown: string): string[] {
  const names: string[] = [];
  for (const [, span] of markdown.matchAll(/`([^`\n]+)`/g)) {
    const match = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?:\(.*\))?$/.exec(span.trim());
    if (!match || span.includes('_')) continue; // W_h, dW_x: the blog's maths, not code
    const parts = match[1].split('.');
    // A code name: a part in camelCase (a lower-case letter then an upper-case one) or a Class.member.
    if (!parts.some((p) => /[a-z][A-Z]/.test(p)) && !(parts.length > 1 && /^[A-Z]/.test(parts[0]))) continue;
    names.push(...parts);
  }
  return names;
}

describe('the docs', () => {
  const docs = [join(root, 'README.md'), ...files(join(root, 'docs'), /\.md$/)];
  it.each(docs.map((path) => [path.slice(root.length + 1), path]))('%s cites only names that exist in the code', (_, path) => {
    const missing = [...new Set(citedNames(readFileSync(path, 'utf8')))].filter((name) => !words.has(name));
    expect(missing).toEqual([]);
  });

  it.each(docs.map((path) => [path.slice(root.length + 1), path]))('%s cites only files that exist', (_, path) => {
    const cited = readFileSync(path, 'utf8').match(/\b(?:src|test|scripts|bench|web)\/[\w./-]+\.(?:ts|py|mjs|md|sh|json)\b/g) ?? [];
    expect([...new Set(cited)].filter((file) => !existsSync(join(root, file)))).toEqual([]);
  });

  it('finds the names it checks (the check is not vacuous)', () => {
    expect(citedNames('`backThroughTime` and `RnnModel.backward` and `--seq-length` and `h · W_hᵀ`')).toEqual(['backThroughTime', 'RnnModel', 'backward']);
  });
});

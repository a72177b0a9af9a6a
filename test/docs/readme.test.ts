/** The README stays a front page: at most 12,000 bytes; the details live in docs/ (and are linked from it). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('README.md', () => {
  it('is at most 12,000 bytes', () => {
    expect(readFileSync(join(root, 'README.md')).length).toBeLessThanOrEqual(12_000);
  });

  it('links to pages that exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(((?:docs|src|bench|scripts)\/[^)#]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !existsSync(join(root, link)))).toEqual([]);
  });
});

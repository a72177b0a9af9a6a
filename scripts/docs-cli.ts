/** Writes docs/cli.md from the CLI's flag table (src/cli/flag-docs.ts). Run: npm run docs:cli */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliReference } from '../src/cli/flag-docs.js';

const path = join(import.meta.dirname, '..', 'docs', 'cli.md');
writeFileSync(path, cliReference());
console.log(`wrote ${path}`);

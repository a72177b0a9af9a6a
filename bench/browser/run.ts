/**
 * Runs the benchmark in headless Chromium (Debian's, driven by playwright-core)
 * and in Node, in the same command, and prints both with their ratio.
 *   npx tsx bench/browser/run.ts [--seconds S] [--preset seed|small]
 * The page is served from localhost with the cross-origin isolation headers
 * that shared WebAssembly memory needs.
 */
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { enableRelaxedSimd } from '../../src/cli/engine.js';
import { WORKLOADS } from '../../src/cli/bench.js';
import { loadCorpus } from '../../src/cli/corpus.js';
import { availableBackends, benchmarkTraining, loadKernels, prepareData } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const argument = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(argument('--seconds', '3'));
// The name workloads (the text workload's streams are not wired into the page's worker).
const presets = process.argv.includes('--preset')
  ? [argument('--preset', 'seed')]
  : Object.keys(WORKLOADS).filter((name) => WORKLOADS[name].recipe.mode !== 'stream');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const site = mkdtempSync(join(tmpdir(), 'bptt-browser-bench-'));
await build({
  entryPoints: [join(here, 'worker.ts')],
  bundle: true,
  format: 'esm',
  outfile: join(site, 'worker.js'),
  loader: { '.csv': 'text' },
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(site, 'index.html'));
const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const file = join(site, path === '/' ? 'index.html' : path.slice(1));
  try {
    const body = readFileSync(file);
    response.writeHead(200, {
      'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'text/html',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;

enableRelaxedSimd();
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const corpus = loadCorpus('dinosaurs');
  for (const preset of presets) {
    const { describe, recipe } = WORKLOADS[preset];
    const backends = (await availableBackends()).filter((b) => b !== 'reference').slice(0, 1); // the best one
    const page = await browser.newPage();
    page.on('console', (message) => console.error(`[page] ${message.text()}`));
    await page.goto(`http://127.0.0.1:${port}/?request=${encodeURIComponent(JSON.stringify({ workload: preset, recipe, backends, seconds }))}`);
    await page.waitForFunction('window.benchResults || window.benchError', undefined, { timeout: 600_000 });
    const error = await page.evaluate('window.benchError');
    if (error) throw new Error(`browser benchmark failed: ${error}`);
    const [inBrowser] = (await page.evaluate('window.benchResults')) as { backend: string; tokens_per_s: number }[];
    await page.close();
    const data = prepareData(corpus.text, recipe, corpus.source);
    const inNode = await benchmarkTraining(await loadKernels(backends[0]), recipe, data.train, data.tokenizer.size, seconds);
    const ratio = inBrowser.tokens_per_s / inNode.tokensPerSecond;
    console.log(`${describe}`);
    console.log(`  Chromium ${browser.version()} (Web Worker, ${inBrowser.backend}, 1 thread): ${inBrowser.tokens_per_s.toLocaleString('en-US')} tokens/s`);
    console.log(`  Node ${process.version} (${inNode.backend}, 1 thread): ${Math.round(inNode.tokensPerSecond).toLocaleString('en-US')} tokens/s`);
    console.log(`  browser / Node = ${ratio.toFixed(2)}`);
    console.log(
      JSON.stringify({
        workload: preset,
        browser_tokens_per_s: inBrowser.tokens_per_s,
        node_tokens_per_s: Math.round(inNode.tokensPerSecond),
        ratio,
        backend: inBrowser.backend,
      }),
    );
  }
} finally {
  await browser.close();
  server.close();
}

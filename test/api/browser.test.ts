/**
 * The five lines in a web page, in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; $CHROMIUM overrides the path): a page bundles `import { train, loadModel }
 * from 'bptt'` with esbuild, trains on 400 names for 8 s, samples, saves, reloads and scores.
 * Served cross-origin isolated, it trains on WebAssembly; served without the isolation headers,
 * it still works, on the pure-TypeScript kernels.
 */
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dinosPath, repoRoot } from '../helpers.js';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const names = readFileSync(dinosPath, 'utf8')
  .split('\n')
  .filter(Boolean)
  .filter((_, i) => i % 3 === 0)
  .slice(0, 400);

/** The page's script: the README's five lines, with the names and the budget from the page's URL. */
const PAGE_SCRIPT = `
import { train, loadModel } from 'bptt';
const options = JSON.parse(new URLSearchParams(location.search).get('options'));
const started = performance.now();
const model = await train(window.names, options);
const samples = model.sample({ count: 10, temperature: 0.8, novel: true });
const again = await loadModel(model.toBytes());
window.result = { samples, scores: [model.score('Tyrannosaurus'), again.score('Tyrannosaurus')], kernels: [model.rnn.kernels.name, again.rnn.kernels.name], seconds: (performance.now() - started) / 1000, isolated: self.crossOriginIsolated };
`;

interface PageResult {
  samples: string[];
  scores: unknown[];
  kernels: string[];
  seconds: number;
  isolated: boolean;
}

describe('the five lines in a browser page', () => {
  let server: Server;
  let browser: Browser;
  let origin = '';

  beforeAll(async () => {
    expect(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium (.ci/run does), or set $CHROMIUM`).toBe(true);
    const bundle = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: repoRoot, loader: 'js' },
      alias: { bptt: join(repoRoot, 'src', 'index.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0].text;
    const html = `<!doctype html><meta charset="utf-8"><title>bptt</title><script>window.names = ${JSON.stringify(names)};</script><script type="module" src="/five-lines.js"></script>`;
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      // /isolated/… is served with the cross-origin isolation headers (SharedArrayBuffer, so WebAssembly threads' memory), /plain/… without.
      const headers: Record<string, string> = url.pathname.startsWith('/isolated/')
        ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
        : {};
      if (url.pathname.endsWith('/five-lines.js') || url.pathname === '/five-lines.js')
        response.writeHead(200, { 'Content-Type': 'text/javascript', ...headers }).end(script);
      else if (url.pathname.endsWith('/'))
        response.writeHead(200, { 'Content-Type': 'text/html', ...headers }).end(html.replace('/five-lines.js', `${url.pathname}five-lines.js`));
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function runPage(folder: 'isolated' | 'plain', options: object): Promise<PageResult> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/${folder}/?options=${encodeURIComponent(JSON.stringify(options))}`);
    try {
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    } catch (error) {
      throw new Error(`the page gave no result: ${errors.join('; ') || String(error)}`, { cause: error });
    }
    const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as PageResult;
    await page.close();
    expect(errors).toEqual([]);
    return result;
  }

  it('trains on 400 names for 8 s on WebAssembly, samples novel names, and the reloaded model scores alike', async () => {
    const result = await runPage('isolated', { time: 8 });
    console.log(`browser, cross-origin isolated: ${result.seconds.toFixed(1)} s on ${result.kernels[0]}; ${result.samples.slice(0, 5).join(', ')}`);
    expect(result.isolated).toBe(true);
    expect(result.kernels[0]).toMatch(/^wasm-/);
    expect(result.kernels[1]).toBe(result.kernels[0]);
    expect(result.samples).toHaveLength(10);
    for (const sample of result.samples) expect(names).not.toContain(sample);
    expect(result.scores[1]).toEqual(result.scores[0]);
  });

  it('works in a page without cross-origin isolation, on the pure-TypeScript kernels', async () => {
    const result = await runPage('plain', { steps: 30, hidden: 32 });
    expect(result.isolated).toBe(false);
    expect(result.kernels).toEqual(['reference', 'reference']);
    expect(result.samples.length).toBeGreaterThan(0);
    expect(result.scores[1]).toEqual(result.scores[0]);
  });
});

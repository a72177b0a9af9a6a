#!/usr/bin/env node
// `npm run test:web`: the playground end to end in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; $CHROMIUM overrides the path).
// Builds the static site, serves it from a plain node http server (with the
// cross-origin isolation headers a static host would send), trains for a few
// seconds and checks what a user would see. Saves a screenshot to
// artifacts/playground.png, prints "N passed, N failed" last.
//   node scripts/test-web.mjs [--report FILE.json] [--screenshot-docs]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(root, 'web', 'dist');
const artifacts = join(root, 'artifacts');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const argument = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const TRAIN_SECONDS = 6;

const results = [];
/** Records one named check; a thrown error or a false condition fails it. */
async function check(name, body) {
  try {
    const detail = await body();
    results.push({ name, passed: true });
    console.log(`  ✓ ${name}${detail ? ` (${detail})` : ''}`);
  } catch (error) {
    results.push({ name, passed: false });
    console.log(`  ✗ ${name}: ${error instanceof Error ? error.message : error}`);
  }
}
const expect = (condition, message) => {
  if (!condition) throw new Error(message);
};

function finish() {
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  const report = argument('--report');
  if (report) writeFileSync(report, JSON.stringify({ passed, failed }));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

console.log('> playground end-to-end (headless Chromium)');
if (!existsSync(chromiumPath)) {
  results.push({ name: 'chromium is installed', passed: false });
  console.log(`  ✗ ${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set $CHROMIUM`);
  finish();
}
const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  results.push({ name: 'the static site builds', passed: false });
  finish();
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
const server = createServer((request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(site, path === '/' ? 'index.html' : path);
  if (!file.startsWith(site) || !existsSync(file)) return response.writeHead(404).end();
  response.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
  response.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

mkdirSync(artifacts, { recursive: true });
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  const hooks = () => page.evaluate(() => window.playground);

  await check('the page loads, cross-origin isolated, on WebAssembly kernels', async () => {
    await page.goto(url);
    await page.waitForFunction(() => window.playground?.ready >= 1 && window.playground.flowMax > 0, undefined, { timeout: 30_000 });
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    const status = await page.textContent('#status');
    expect(isolated, 'the page is not cross-origin isolated');
    expect(/wasm-/.test(status ?? ''), `status shows no WebAssembly backend: ${status}`);
    return status.split(' · ').at(-1);
  });

  await check('the data panel shows the line count and vocabulary size', async () => {
    const summary = await page.textContent('#data-summary');
    expect(/1,318 lines, vocabulary \d+ characters/.test(summary ?? ''), `summary: ${summary}`);
    return summary;
  });

  /** How late a main-thread task scheduled every 20 ms runs, over `seconds`: median, p95 and max (ms). */
  const measureLateness = (seconds) =>
    page.evaluate(async (seconds) => {
      const lags = [];
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        const scheduled = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 20));
        lags.push(performance.now() - scheduled - 20);
      }
      lags.sort((a, b) => a - b);
      const at = (q) => lags[Math.min(lags.length - 1, Math.floor(lags.length * q))];
      return { median: at(0.5), p95: at(0.95), max: lags.at(-1), tasks: lags.length };
    }, seconds);
  const describeLateness = (l) => `median ${l.median.toFixed(1)} ms, p95 ${l.p95.toFixed(1)} ms, max ${l.max.toFixed(1)} ms over ${l.tasks} tasks`;

  await check(`training runs for ${TRAIN_SECONDS} s in the worker while the main thread stays responsive`, async () => {
    const idle = await measureLateness(1);
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 2, undefined, { timeout: 20_000 });
    const training = await measureLateness(TRAIN_SECONDS);
    // Training on the main thread would hold every task for a whole training slice (40 ms) or more.
    expect(training.median < 10 && training.p95 < 40, `while training: ${describeLateness(training)}`);
    return `idle: ${describeLateness(idle)}; training: ${describeLateness(training)}`;
  });

  await check('pause stops training', async () => {
    await page.click('#start');
    await page.waitForFunction(() => document.querySelector('#start').textContent === 'Resume', undefined, { timeout: 10_000 });
    const before = (await hooks()).losses.length;
    await page.waitForTimeout(500);
    expect((await hooks()).losses.length === before, 'progress kept coming after pause');
  });

  await check('the training loss fell', async () => {
    const { losses } = await hooks();
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 3));
    const last = mean(losses.slice(-3));
    expect(losses.length >= 6, `only ${losses.length} progress points`);
    expect(last < first - 0.3, `loss went from ${first.toFixed(3)} to ${last.toFixed(3)}`);
    return `${first.toFixed(3)} → ${last.toFixed(3)} nats/char over ${losses.length} points`;
  });

  await check('samples streamed during training', async () => {
    const { streamed } = await hooks();
    const shown = await page.locator('#stream-list li').count();
    expect(streamed.length > 0 && shown === streamed.length, `streamed ${streamed.length}, shown ${shown}`);
    return streamed.slice(0, 3).join(', ');
  });

  await check('the gradient-flow map has non-zero values, and hovering explains a cell with (6.2)', async () => {
    const { flowMax } = await hooks();
    expect(flowMax > 0, 'the map is all zeros');
    const canvas = page.locator('#flow-live canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    // Row 4, column 1 (below the diagonal): label column 64 px, label row 18 px, 20 px cells.
    await page.mouse.move(box.x + 64 + 10, box.y + 18 + 3 * 20 + 10);
    const readout = await page.textContent('#flow-readout');
    expect(/\(6\.2\)/.test(readout ?? '') && /‖∂J\(4\)\/∂h\(1\)‖ = /.test(readout ?? ''), `readout: ${readout}`);
    return readout.slice(0, 60) + '…';
  });

  await check('the map is keyboard usable: arrow keys move the selected cell', async () => {
    await page.focus('#flow-live canvas');
    await page.keyboard.press('ArrowDown');
    const readout = await page.textContent('#flow-readout');
    expect(/‖∂J\(5\)\/∂h\(1\)‖/.test(readout ?? ''), `readout: ${readout}`);
  });

  await check('pinning keeps a map beside the live one', async () => {
    await page.click('#flow-pin');
    expect(await page.locator('#flow-pinned canvas').isVisible(), 'the pinned map is hidden');
  });

  const sampleWith = async (seed) => {
    await page.fill('#sample-seed', String(seed));
    await page.evaluate(() => (window.playground.samples = []));
    await page.click('#sample');
    await page.waitForFunction(() => window.playground.samples.length > 0, undefined, { timeout: 10_000 });
    return (await hooks()).samples;
  };

  let before = [];
  await check('the sampler draws samples with the panel\'s settings', async () => {
    before = await sampleWith(7);
    expect(before.length === 10, `got ${before.length} samples`);
    return before.slice(0, 4).join(', ');
  });

  await check('inside a sample: characters with probabilities and a hidden-state map', async () => {
    await page.click('#explain');
    await page.waitForFunction(() => document.querySelectorAll('#inside-tokens .token').length > 1, undefined, { timeout: 10_000 });
    await page.locator('#inside-tokens .token').first().focus();
    const readout = await page.textContent('#inside-readout');
    expect(/ŷ = [\d.e-]+/.test(readout ?? '') && /most likely:/.test(readout ?? ''), `readout: ${readout}`);
    const height = await page.evaluate(() => document.querySelector('#inside-hidden').height);
    expect(height > 0, 'no hidden-state map');
  });

  const modelPath = join(artifacts, 'playground-model.safetensors');
  let savedBytes = 0;
  await check('save downloads the model file the CLI writes (safetensors with bptt metadata)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    await download.saveAs(modelPath);
    const bytes = readFileSync(modelPath);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    const metadata = JSON.parse(header.__metadata__.bptt);
    expect(metadata.cell === 'rnn' && metadata.activation === 'sigmoid' && header['rnn.weight_hh_l0'].shape.join() === '192,192', `header: ${JSON.stringify(metadata)}`);
    savedBytes = bytes.length;
    return `${bytes.length.toLocaleString('en-US')} bytes`;
  });

  await check('another cell trains beside the pinned map: sigmoid RNN vs LSTM', async () => {
    const readyBefore = (await hooks()).ready;
    await page.selectOption('#cell', 'lstm');
    await page.waitForFunction((n) => window.playground.ready > n, readyBefore);
    await page.evaluate(() => (window.playground.losses = []));
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 25, undefined, { timeout: 30_000 }); // about 4 s
    await page.click('#start');
    await page.waitForFunction(() => document.querySelector('#start').textContent === 'Resume', undefined, { timeout: 10_000 });
    await page.click('#explain');
    const live = await page.textContent('#flow-live figcaption');
    const pinned = await page.textContent('#flow-pinned figcaption');
    expect(/^LSTM/.test(live ?? '') && /^sigmoid RNN/.test(pinned ?? ''), `live: ${live}; pinned: ${pinned}`);
    return `${live} | ${pinned}`;
  });

  await check('the optimizer menu offers every optimizer of the library; Adam trains with its own learning rate', async () => {
    const offered = await page.$$eval('#optimizer option', (options) => options.map((o) => o.value));
    expect(offered.join() === 'adagrad,sgd,rmsprop,adam,adamw', `offered: ${offered.join()}`);
    const readyBefore = (await hooks()).ready;
    await page.selectOption('#optimizer', 'adam');
    await page.waitForFunction((n) => window.playground.ready > n, readyBefore);
    const lr = await page.inputValue('#lr');
    expect(lr === '0.005', `learning rate after choosing Adam: ${lr}`);
    await page.evaluate(() => (window.playground.losses = []));
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 15, undefined, { timeout: 30_000 });
    await page.click('#start');
    await page.waitForFunction(() => document.querySelector('#start').textContent === 'Resume', undefined, { timeout: 10_000 });
    const losses = await page.evaluate(() => window.playground.losses);
    expect(losses.at(-1) < losses[0] - 0.5, `losses: ${losses[0]} → ${losses.at(-1)}`);
    return `lr ${lr}; loss ${losses[0].toFixed(3)} → ${losses.at(-1).toFixed(3)} over ${losses.length} points`;
  });

  // The screenshot: charts, the two maps side by side, samples and the inside view.
  await page.waitForTimeout(300);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });
  if (process.argv.includes('--screenshot-docs')) copyFileSync(join(artifacts, 'playground.png'), join(root, 'docs', 'playground.png'));

  await check('loading the saved model back gives the same samples for the same seed', async () => {
    const other = await sampleWith(7);
    expect(other.join() !== before.join(), 'the LSTM gave the sigmoid model\'s samples');
    const readyBefore = (await hooks()).ready;
    await page.setInputFiles('#model-file', modelPath);
    await page.waitForFunction((n) => window.playground.ready > n, readyBefore);
    const summary = await page.textContent('#model-summary');
    expect(/Loaded playground-model\.safetensors: sigmoid RNN, hidden 192/.test(summary ?? ''), `summary: ${summary}`);
    const after = await sampleWith(7);
    expect(after.join() === before.join(), `before: ${before.join()} after: ${after.join()}`);
    return `${savedBytes.toLocaleString('en-US')} bytes; ${after.slice(0, 3).join(', ')}`;
  });

  /** `bptt …` (the CLI from source), its stdout lines. */
  const bptt = (...args) => {
    const result = spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`bptt ${args.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout.split('\n').filter(Boolean);
  };

  await check('the CLI samples the model saved in the browser: the same samples for the same seed', async () => {
    const cli = bptt('sample', '--model', modelPath, '--seed', '7', '--count', '10', '--temperature', '0.8', '--novel');
    expect(cli.join() === before.join(), `browser: ${before.join()} CLI: ${cli.join()}`);
  });

  await check('a model trained with the CLI loads in the browser and gives the CLI\'s samples', async () => {
    const cliModel = join(artifacts, 'cli-model.safetensors');
    bptt('train', '--cell', 'gru', '--hidden', '24', '--steps', '40', '--out', cliModel, '--print', '0');
    const cli = bptt('sample', '--model', cliModel, '--seed', '3', '--count', '10', '--temperature', '0.8', '--novel');
    const readyBefore = (await hooks()).ready;
    await page.setInputFiles('#model-file', cliModel);
    await page.waitForFunction((n) => window.playground.ready > n, readyBefore);
    const summary = await page.textContent('#model-summary');
    expect(/Loaded cli-model\.safetensors: GRU, hidden 24/.test(summary ?? ''), `summary: ${summary}`);
    const browser = await sampleWith(3);
    expect(browser.join() === cli.join(), `CLI: ${cli.join()} browser: ${browser.join()}`);
    return browser.slice(0, 3).join(', ');
  });

  await check('no console errors or warnings, no errors on the page', async () => {
    const errors = [...consoleErrors, ...(await hooks()).errors];
    expect(errors.length === 0, errors.join(' | '));
  });
  await context.close();
} finally {
  await browser.close();
  server.close();
}
finish();

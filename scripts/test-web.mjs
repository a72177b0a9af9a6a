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
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  const watch = (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  };
  watch(page);
  const hooks = () =>
    page.evaluate(() => {
      const { charts: _charts, ...rest } = window.playground;
      return rest;
    }); // the charts do not serialise
  const waitReady = async (action) => {
    const readyBefore = (await hooks()).ready;
    await action();
    await page.waitForFunction((n) => window.playground.ready > n, readyBefore, { timeout: 30_000 });
  };
  /** Sets several controls at once and starts over once (one change event, one new model). */
  const configureWith = (values) =>
    waitReady(() =>
      page.evaluate((values) => {
        for (const [id, value] of Object.entries(values)) document.querySelector(`#${id}`).value = value;
        document.querySelector('#settings').dispatchEvent(new Event('change'));
      }, values),
    );
  const pause = async () => {
    await page.click('#start');
    await page.waitForFunction(() => document.querySelector('#start').textContent === 'Resume', undefined, { timeout: 10_000 });
  };
  /** The library's values, from the sources (as the CLI reads them): no copy in the page or here. */
  const library = (expression) => {
    const code = `import * as bptt from './src/index.ts'; console.log(JSON.stringify(${expression}));`;
    const result = spawnSync('npx', ['tsx', '--eval', code], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tsx --eval failed: ${result.stderr.trim()}`);
    return JSON.parse(result.stdout);
  };

  await check('the page loads, cross-origin isolated, on WebAssembly kernels', async () => {
    await page.goto(url);
    await page.waitForFunction(() => window.playground?.ready >= 1 && window.playground.flowMax > 0, undefined, { timeout: 30_000 });
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    const status = await page.textContent('#status');
    expect(isolated, 'the page is not cross-origin isolated');
    expect(/wasm-/.test(status ?? ''), `status shows no WebAssembly backend: ${status}`);
    return status.split(' · ').at(-1);
  });

  await check('the data panel shows the line count and vocabulary size, and mode lines for a list of names', async () => {
    const summary = await page.textContent('#data-summary');
    expect(/1,318 lines, vocabulary \d+ characters/.test(summary ?? ''), `summary: ${summary}`);
    expect(/Trains in mode lines: a list of short lines/.test(summary ?? ''), `summary: ${summary}`);
    return summary;
  });

  await check("the controls start from the CLI's default recipe (DEFAULT_RECIPE)", async () => {
    const recipe = library('bptt.DEFAULT_RECIPE');
    const shown = await page.evaluate(() =>
      Object.fromEntries(
        ['cell', 'hidden', 'layers', 'embed', 'dropout', 'optimizer', 'lr', 'batch', 'clip', 'seed', 'epochs', 'patience'].map((id) => [
          id,
          document.querySelector(`#${id}`).value,
        ]),
      ),
    );
    const expected = {
      cell: recipe.cell === 'rnn' ? `rnn-${recipe.activation}` : recipe.cell,
      hidden: String(recipe.hidden),
      layers: String(recipe.layers),
      embed: String(recipe.embed),
      dropout: String(recipe.dropout ?? 0),
      optimizer: recipe.optimizer ?? 'adagrad',
      lr: String(recipe.learningRate),
      batch: String(recipe.batchSize),
      clip: String(recipe.clip),
      seed: String(recipe.seed),
      epochs: String(recipe.epochs ?? 0),
      patience: String(recipe.patience ?? 0),
    };
    expect(JSON.stringify(shown) === JSON.stringify(expected), `page: ${JSON.stringify(shown)}; DEFAULT_RECIPE: ${JSON.stringify(expected)}`);
    const summary = await page.textContent('#model-summary');
    expect(
      summary.includes(`${recipe.cell === 'rnn' ? `${recipe.activation} RNN` : recipe.cell.toUpperCase()}, hidden ${recipe.hidden}`),
      `model summary: ${summary}`,
    );
    return Object.entries(shown)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
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
    await pause();
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

  await check('the training-loss curve is one unbroken line, also over a long run (downsampled, not dropped)', async () => {
    const live = await page.evaluate(() => window.playground.charts.lineOf('loss', 1));
    expect(live.rows > 0 && live.pieces === 1, `after training: ${JSON.stringify(live)}`);
    // 20,000 more steps as the worker reports them (a point per 150 ms, an epoch's validation point every 75 steps), through the chart's own add().
    const long = await page.evaluate(async () => {
      const charts = window.playground.charts;
      const start = window.playground.losses.length * 40;
      for (let step = start; step < start + 20_000; step += 7) {
        charts.add({ step, epoch: step / 75, loss: 2 - step / 40_000, tokensPerSecond: 1e5, gradientNorm: 1, clippedFraction: 0 });
        if (step % 75 < 7) charts.addValidation(step, 2.1 - step / 50_000);
      }
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return { train: charts.lineOf('loss', 1), validation: charts.lineOf('loss', 2) };
    });
    expect(long.train.pieces === 1 && long.validation.pieces === 1, `pieces: ${JSON.stringify(long)}`);
    expect(long.train.rows <= 1200, `${long.train.rows} rows kept`);
    return `${live.rows} rows after training; after 20,000 more steps ${long.train.rows} rows, 1 piece`;
  });

  await check('the clipped-fraction chart has distinct y tick labels', async () => {
    const ticks = await page.evaluate(() => window.playground.charts.tickLabels('clipped'));
    expect(ticks.length >= 2 && new Set(ticks).size === ticks.length, `ticks: ${ticks.join(' | ')}`);
    return ticks.join(' | ');
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

  const sampleWith = async (seed) => {
    await page.fill('#sample-seed', String(seed));
    await page.evaluate(() => (window.playground.samples = []));
    await page.click('#sample');
    await page.waitForFunction(() => window.playground.samples.length > 0, undefined, { timeout: 30_000 });
    return (await hooks()).samples;
  };

  await check("the sampler draws samples with the panel's settings", async () => {
    const drawn = await sampleWith(7);
    expect(drawn.length === 10, `got ${drawn.length} samples`);
    return drawn.slice(0, 4).join(', ');
  });

  const explainWith = async (seed) => {
    await page.fill('#sample-seed', String(seed));
    await page.evaluate(() => (document.querySelector('#inside-readout').dataset.novel = ''));
    await page.click('#explain');
    await page.waitForFunction(() => document.querySelector('#inside-readout').dataset.novel !== '', undefined, { timeout: 10_000 });
    return page.evaluate(() => ({
      novel: document.querySelector('#inside-readout').dataset.novel === 'true',
      text: document.querySelector('#inside-readout').textContent.split(' (')[0],
    }));
  };

  await check('inside a sample: characters with probabilities and a hidden-state map', async () => {
    await explainWith(1);
    await page.locator('#inside-tokens .token').first().focus();
    const readout = await page.textContent('#inside-readout');
    expect(/ŷ = [\d.e-]+/.test(readout ?? '') && /most likely:/.test(readout ?? ''), `readout: ${readout}`);
    const height = await page.evaluate(() => document.querySelector('#inside-hidden').height);
    expect(height > 0, 'no hidden-state map');
  });

  await check('"Look inside one" with "Novel only" explains a novel name, where unticked it explained a training name', async () => {
    await page.fill('#temperature', '0.3');
    await page.uncheck('#novel');
    let copied = null;
    for (let seed = 1; seed <= 60 && !copied; seed++) {
      const explained = await explainWith(seed);
      if (!explained.novel) copied = { seed, text: explained.text };
    }
    expect(copied, 'no seed of 1..60 drew a training name with Novel only off (the check needs one)');
    await page.check('#novel');
    const novel = await explainWith(copied.seed);
    await page.fill('#temperature', '0.8');
    expect(novel.novel && novel.text !== copied.text, `seed ${copied.seed}: ${copied.text} without, ${novel.text} (novel: ${novel.novel}) with Novel only`);
    return `seed ${copied.seed}: ${copied.text} (training name) → ${novel.text}`;
  });

  // Early stopping and keep-best: the seed's RNN without dropout overfits these names within seconds.
  let best = null;
  await check('early stopping ends the run, keeps the best validation epoch and says it overfitted', async () => {
    await configureWith({ cell: 'rnn-sigmoid', embed: '16', dropout: '0', lr: '0.1', epochs: '0', patience: '3' });
    await page.click('#start');
    await page.waitForFunction(() => window.playground.finished !== '', undefined, { timeout: 120_000 });
    const h = await hooks();
    best = h.best;
    const lowest = h.epochs.reduce((a, b) => (b.validationLoss < a.validationLoss ? b : a));
    expect(/stopped early after epoch \d+: 3 epochs without a better validation loss/.test(h.finished), `finished: ${h.finished}`);
    expect(
      best && best.epoch === lowest.epoch && best.validationLoss === lowest.validationLoss,
      `best ${JSON.stringify(best)}, lowest ${JSON.stringify(lowest)}`,
    );
    expect(h.epochs.at(-1).epoch === best.epoch + 3, `last epoch ${h.epochs.at(-1).epoch}, best ${best.epoch}`);
    expect(h.overfittingCues > 0, 'no overfitting cue was shown');
    const note = await page.textContent('#fit-note');
    expect(note.includes(`Kept epoch ${best.epoch}`), `note: ${note}`);
    const ringed = await page.evaluate(() => window.playground.charts.lineOf('loss', 3).pieces);
    expect(ringed === 1, 'the kept epoch is not marked on the loss chart');
    return `best epoch ${best.epoch} (validation ${best.validationLoss.toFixed(3)}) of ${h.epochs.length}; ${h.overfittingCues} overfitting cues`;
  });

  const modelPath = join(artifacts, 'playground-model.safetensors');
  let savedBytes = 0;
  let before = [];
  await check('save downloads the model file the CLI writes (safetensors with bptt metadata), of the best epoch', async () => {
    before = await sampleWith(7);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    await download.saveAs(modelPath);
    const bytes = readFileSync(modelPath);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    const metadata = JSON.parse(header.__metadata__.bptt);
    expect(
      metadata.cell === 'rnn' && metadata.activation === 'sigmoid' && header['rnn.weight_hh_l0'].shape.join() === '192,192',
      `header: ${JSON.stringify(metadata)}`,
    );
    const { savedBest } = await hooks();
    expect(savedBest?.epoch === best?.epoch, `saved ${JSON.stringify(savedBest)}, best ${JSON.stringify(best)}`);
    savedBytes = bytes.length;
    return `${bytes.length.toLocaleString('en-US')} bytes, epoch ${savedBest.epoch}`;
  });

  // The screenshot docs/playground.md shows: a run that stopped early, its charts, the maps, the derivation, samples.
  await page.click('#explain');
  await page.waitForFunction(() => document.querySelectorAll('#inside-tokens .token').length > 1, undefined, { timeout: 10_000 });
  await page.focus('#derive-backward button.value[tabindex="0"]');
  for (const key of ['ArrowDown', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });

  await check('pinning keeps a map beside the live one', async () => {
    await page.click('#flow-pin');
    expect(await page.locator('#flow-pinned canvas').isVisible(), 'the pinned map is hidden');
  });

  await check('another cell trains beside the pinned map: LSTM vs sigmoid RNN', async () => {
    await configureWith({ cell: 'lstm', patience: '0' });
    await page.evaluate(() => (window.playground.losses = []));
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 20, undefined, { timeout: 60_000 });
    await pause();
    const live = await page.textContent('#flow-live figcaption');
    const pinned = await page.textContent('#flow-pinned figcaption');
    expect(/^LSTM/.test(live ?? '') && /^sigmoid RNN/.test(pinned ?? ''), `live: ${live}; pinned: ${pinned}`);
    return `${live} | ${pinned}`;
  });

  await check('the optimizer menu offers every optimizer of the library; Adam trains with its own learning rate', async () => {
    const offered = await page.$$eval('#optimizer option', (options) => options.map((o) => o.value));
    const optimizers = library('bptt.OPTIMIZERS');
    expect(offered.join() === optimizers.join(), `offered: ${offered.join()}; the library's: ${optimizers.join()}`);
    await waitReady(() => page.selectOption('#optimizer', 'adam'));
    const lr = await page.inputValue('#lr');
    expect(lr === String(library('bptt.DEFAULT_LEARNING_RATES.adam')), `learning rate after choosing Adam: ${lr}`);
    await page.evaluate(() => (window.playground.losses = []));
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 15, undefined, { timeout: 60_000 });
    await pause();
    const losses = await page.evaluate(() => window.playground.losses);
    expect(losses.at(-1) < losses[0] - 0.5, `losses: ${losses[0]} → ${losses.at(-1)}`);
    return `lr ${lr}; loss ${losses[0].toFixed(3)} → ${losses.at(-1).toFixed(3)} over ${losses.length} points`;
  });

  /** The derivation view's J(t) and ‖γ(t)‖ against the gradient-flow map's (gradientFlow) on the same line, and its Σ ∂J/∂W_h check. */
  const checkDerivation = async () => {
    await page.fill('#flow-text', 'tyranno');
    await page.dispatchEvent('#flow-text', 'change');
    await page.waitForFunction(() => window.playground.flow.steps === 8);
    const count = (await hooks()).derivations;
    await page.fill('#derive-text', 'tyranno');
    await page.click('#derive-run');
    await page.waitForFunction((n) => window.playground.derivations > n, count);
    const view = await page.evaluate(() => {
      const values = (table, header) => {
        const column = [...document.querySelectorAll(`${table} th`)].findIndex((th) => th.textContent.startsWith(header));
        return [...document.querySelectorAll(`${table} tbody tr`)].map((tr) => Number(tr.cells[column].querySelector('button')?.dataset.value ?? NaN));
      };
      return {
        losses: values('#derive-forward', 'J(t)'),
        gammas: values('#derive-backward', '‖γ(t)‖'),
        relative: Number(document.querySelector('#derive-check').dataset.difference),
      };
    });
    const { flow } = await hooks();
    const T = flow.steps;
    const relative = (a, b) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
    const lossError = Math.max(...Array.from({ length: T }, (_, t) => relative(view.losses[t], flow.losses[t])));
    // The backward table runs t = T..1; its last row is the sum.
    const gammaError = Math.max(...Array.from({ length: T }, (_, t) => relative(view.gammas[T - 1 - t], flow.total[t])));
    expect(view.losses.length === T + 1 && lossError < 1e-5, `J(t): view ${view.losses.join()}, gradientFlow ${[...flow.losses].join()}`);
    expect(gammaError < 1e-3, `‖γ(t)‖: view ${view.gammas.join()}, gradientFlow ${[...flow.total].join()}`);
    expect(view.relative < 1e-4, `Σ ∂J/∂W_h vs backward(): relative difference ${view.relative}`);
    return `T = ${T}; J(t) within ${lossError.toExponential(1)}, ‖γ(t)‖ within ${gammaError.toExponential(1)}, ∂J/∂W_h within ${view.relative.toExponential(1)}`;
  };

  await check("the derivation view walks the LSTM (L.1)–(L.11): J(t) and ‖γ(t)‖ as the gradient-flow map's, Σ (L.10) as backward()'s", async () => {
    const headers = await page.$$eval('#derive-backward th', (ths) => ths.map((th) => th.textContent));
    expect(headers.some((h) => h.startsWith('κ in')) && headers.some((h) => h.startsWith('dz_f')), `backward headers: ${headers.join(' | ')}`);
    return checkDerivation();
  });

  await check("the derivation view asks for another cell on a GRU, and switches to the seed's RNN", async () => {
    await configureWith({ cell: 'gru' });
    await page.waitForFunction(() => window.playground.derivation && 'unavailable' in window.playground.derivation);
    expect(await page.locator('#derive-switch').isVisible(), 'no switch button');
    await waitReady(() => page.click('#derive-switch'));
    await page.waitForFunction(() => window.playground.derivation && !('unavailable' in window.playground.derivation), undefined, { timeout: 10_000 });
    expect(!(await page.locator('#derive-switch').isVisible()), 'the switch button is still shown');
    expect((await page.inputValue('#cell')) === 'rnn-sigmoid', 'the cell is not the sigmoid RNN');
  });

  await check("on the seed's RNN, (1.1)–(6.2): J(t) and ‖γ(t)‖ as the gradient-flow map's, Σ (5.2) as backward()'s", async () => {
    await page.evaluate(() => (window.playground.losses = []));
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 10, undefined, { timeout: 30_000 });
    await pause();
    return checkDerivation();
  });

  await check('the derivation is keyboard usable: a table is one tab stop, arrows move, the readout names formula and code', async () => {
    await page.focus('#derive-forward button.value[tabindex="0"]');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const detail = await page.textContent('#derive-detail');
    expect(/^\(1\.2\) h\(t\) = σ\(z\(t\)\)/.test(detail) && /src\/nn\/activation\.ts:\d+ +export function activationForward/.test(detail), `detail: ${detail}`);
    await page.focus('#derive-backward button.value[tabindex="0"]');
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
    const back = await page.textContent('#derive-detail');
    expect(/^\(6\.2\) γ\(t−1\)/.test(back) && /rnnCellBackwardStep/.test(back), `detail: ${back}`);
    return detail.split('\n')[1];
  });

  await check("loading the saved model back gives the same samples for the same seed, and clears the last model's samples", async () => {
    await waitReady(() => page.setInputFiles('#model-file', modelPath));
    const drawn = await page.locator('#sample-list li').count();
    expect(drawn === 0, `the Drawn list still shows ${drawn} samples of the previous model`);
    const summary = await page.textContent('#model-summary');
    expect(/Loaded playground-model\.safetensors: sigmoid RNN, hidden 192/.test(summary ?? ''), `summary: ${summary}`);
    const validationLoss = Number(await page.getAttribute('#model-summary', 'data-validation-loss'));
    expect(
      Math.abs(validationLoss - best.validationLoss) < 1e-5,
      `the loaded file's validation loss ${validationLoss}, the best epoch's ${best.validationLoss}`,
    );
    const after = await sampleWith(7);
    expect(after.join() === before.join(), `before: ${before.join()} after: ${after.join()}`);
    return `${savedBytes.toLocaleString('en-US')} bytes; validation loss ${validationLoss.toFixed(4)} = the best epoch's; ${after.slice(0, 3).join(', ')}`;
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

  await check("a model trained with the CLI loads in the browser and gives the CLI's samples", async () => {
    const cliModel = join(artifacts, 'cli-model.safetensors');
    bptt('train', '--cell', 'gru', '--hidden', '24', '--steps', '40', '--out', cliModel, '--print', '0');
    const cli = bptt('sample', '--model', cliModel, '--seed', '3', '--count', '10', '--temperature', '0.8', '--novel');
    await waitReady(() => page.setInputFiles('#model-file', cliModel));
    const summary = await page.textContent('#model-summary');
    expect(/Loaded cli-model\.safetensors: GRU, hidden 24/.test(summary ?? ''), `summary: ${summary}`);
    const browser = await sampleWith(3);
    expect(browser.join() === cli.join(), `CLI: ${cli.join()} browser: ${browser.join()}`);
    return browser.slice(0, 3).join(', ');
  });

  await check('pasted running text trains in mode stream, as the CLI decides, and samples are passages', async () => {
    const text = readFileSync(join(root, 'docs', 'playground.md'), 'utf8');
    const choice = library(`bptt.chooseMode(${JSON.stringify(text)})`);
    expect(choice.mode === 'stream', `chooseMode says ${JSON.stringify(choice)} (the check needs running text)`);
    await page.fill('#paste', text);
    await waitReady(() => page.click('#use-paste'));
    const mode = await page.getAttribute('#data-summary', 'data-mode');
    const summary = await page.textContent('#data-summary');
    expect(mode === 'stream' && summary.includes(choice.reason), `mode ${mode}; summary: ${summary}`);
    const model = await page.textContent('#model-summary');
    const textRecipe = library('bptt.TEXT_RECIPE');
    expect(model.includes(`windows of ${textRecipe.seqLength} characters per epoch`), `model summary: ${model}`);
    // As `bptt train` without flags on running text: TEXT_RECIPE.
    const shown = await page.evaluate(() =>
      ['hidden', 'embed', 'optimizer', 'lr', 'batch', 'dropout'].map((id) => document.querySelector(`#${id}`).value).join(),
    );
    const expected = [
      textRecipe.hidden,
      textRecipe.embed,
      textRecipe.optimizer ?? 'adagrad',
      textRecipe.learningRate,
      textRecipe.batchSize,
      textRecipe.dropout ?? 0,
    ].join();
    expect(shown === expected, `controls ${shown}; TEXT_RECIPE ${expected}`);
    await page.evaluate(() => (window.playground.losses = []));
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 6, undefined, { timeout: 60_000 });
    await pause();
    const passages = await sampleWith(2);
    const lengths = [...new Set(passages.map((p) => [...p].length))];
    expect(lengths.join() === '160', `sample lengths ${lengths.join()}: ${JSON.stringify(passages.slice(0, 2))}`);
    return `${choice.reason}; controls ${shown}; ${passages.length} passages of 160 characters`;
  });

  await check("a short running text trains in mode lines, as the CLI decides (too short for the text recipe's streams)", async () => {
    const text = 'A first short paragraph of running text.\n\nA second one, just as short.\n\nAnd a third.\n';
    await page.fill('#paste', text);
    await waitReady(() => page.click('#use-paste'));
    const mode = await page.getAttribute('#data-summary', 'data-mode');
    const summary = await page.textContent('#data-summary');
    expect(mode === 'lines' && /fewer than [\d,]+ for the text recipe's streams/.test(summary), `mode ${mode}; summary: ${summary}`);
    return summary.split('Trains in ')[1];
  });

  // One column on a phone: nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  watch(small);
  await check('at 390 px wide (a phone) the page is one column and nothing overflows sideways', async () => {
    await small.goto(url);
    await small.waitForFunction(() => window.playground?.ready >= 1 && window.playground.flowMax > 0, undefined, { timeout: 30_000 });
    await small.click('#start');
    await small.waitForFunction(() => window.playground.losses.length >= 4, undefined, { timeout: 30_000 });
    await small.click('#start');
    const layout = await small.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      sections: [...document.querySelectorAll('main > section')].map((s) => ({
        id: s.id,
        left: Math.round(s.getBoundingClientRect().left),
        right: Math.round(s.getBoundingClientRect().right),
      })),
      wide: [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.maps, .table-scroll') && e.getClientRects().length > 0)
        .map((e) => e.id || e.tagName)
        .slice(0, 5),
    }));
    expect(layout.scrollWidth <= 390, `the page is ${layout.scrollWidth} px wide`);
    expect(
      new Set(layout.sections.map((s) => s.left)).size === 1 && layout.sections.every((s) => s.right <= 390),
      `sections: ${JSON.stringify(layout.sections)}`,
    );
    expect(layout.wide.length === 0, `wider than the screen: ${layout.wide.join(', ')}`);
    await small.waitForTimeout(300);
    // The top of the page down to the charts, as a phone shows it.
    const bottom = await small.evaluate(() => document.querySelector('#charts').getBoundingClientRect().bottom + window.scrollY + 8);
    await small.screenshot({ path: join(artifacts, 'playground-phone.png'), fullPage: true, clip: { x: 0, y: 0, width: 390, height: bottom } });
    return `${layout.sections.length} sections in one column, page ${layout.scrollWidth} px`;
  });
  await phone.close();
  if (process.argv.includes('--screenshot-docs')) {
    copyFileSync(join(artifacts, 'playground.png'), join(root, 'docs', 'playground.png'));
    copyFileSync(join(artifacts, 'playground-phone.png'), join(root, 'docs', 'playground-phone.png'));
  }

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

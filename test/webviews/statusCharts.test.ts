/**
 * The training panel's charts as a user reads them: a CARE run that was cancelled and resumed,
 * with its training loss, method terms (stage, learning rate), recall and confusion matrix.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { EvalMetrics, JobInfo, PanelJob } from '../../server/src/protocol';
import { launchBrowser, openWebview } from './harness';

let browser: Browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

const shots = process.env.MEDSTUDIO_SCREENSHOT_DIR ?? '/tmp';
const classes = ['nevus', 'melanoma', 'vascular'];
const runDir = '/ws/skin/.medstudio/runs/20261126-care-ab12';
const info = (id: string, state: JobInfo['state'], epoch: number, createdAt: string): JobInfo => ({
  id, runId: '20261126-care-ab12', runDir, experimentPath: '/ws/skin/care.medstudio.yaml',
  method: 'care', action: 'train', state, backend: 'wasm', device: 'CPU (2 cores), wasm', createdAt, epoch, epochs: 6,
});
const val = (epoch: number): EvalMetrics => ({
  split: 'val', epoch, loss: 1.4 / epoch, balancedAccuracy: 0.3 + epoch * 0.08, meanClassError: 0.7 - epoch * 0.08, classes,
  recall: { nevus: 0.9, melanoma: 0.5, vascular: 0.3 },
  confusion: [[18, 2, 0], [4, 6, 2], [2, 1, 2]],
  extra: { trainLoss: 1.6 / epoch, stage: epoch > 2 ? 2 : 1, lr: 0.003 * (1 - epoch / 7), ...(epoch > 2 ? { attentionLoss: 0.2 / epoch } : {}) },
});
// Cancelled at epoch 2, resumed as a new job on the same run folder, now in epoch 4 of 6.
const cancelled: PanelJob = { info: info('job-a', 'cancelled', 2, '2026-11-26T07:00:00Z'), metrics: [val(1), val(2)] };
const resumed: PanelJob = {
  info: info('job-b', 'running', 3, '2026-11-26T07:30:00Z'),
  metrics: [val(1), val(2), val(3)],
  progress: { epoch: 4, epochs: 6, step: 3, steps: 8, loss: 0.41, imagesPerSec: 80, etaSeconds: 75, memoryMB: 300 },
};

async function open(): Promise<{ page: Page; close: () => Promise<void> }> {
  const w = await openWebview(browser, 'status', { state: { selected: 'job-a' }, width: 1100, height: 900 });
  w.answer('ready', () => ({ jobs: [cancelled, resumed] }));
  w.answer('sweeps', () => ({ sweeps: [] }));
  await w.page.waitForSelector('li.run.sel');
  return w;
}

const box = (page: Page, sel: string) => page.locator(sel).first().boundingBox();
const overlap = (a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

test('a resumed run is listed once, selected as its live job, and list and detail say the same epoch', async () => {
  const w = await open();
  try {
    await w.page.screenshot({ path: `${shots}/status-charts.png`, fullPage: true });
    assert.equal(await w.page.locator('li.run').count(), 1, 'one entry for the run folder');
    assert.match((await w.page.textContent('li.run.sel')) ?? '', /running/);
    assert.match((await w.page.textContent('li.run.sel')) ?? '', /epoch 4\/6/);
    assert.match((await w.page.textContent('.stats')) ?? '', /epoch\s*4\/6/);
    assert.match((await w.page.textContent('.stats')) ?? '', /ETA\s*1 min 15 s/);
  } finally {
    await w.close();
  }
});

test('the loss chart draws train and val with a colour key each, and method terms are not on the loss axis', async () => {
  const w = await open();
  try {
    const loss = w.page.locator('[data-chart="loss"]');
    await loss.waitFor();
    assert.deepEqual(await loss.locator('.u-legend .u-series:not(:first-child) .u-label').allTextContents(), ['train', 'val']);
    const keys = await loss.locator('.u-legend .u-series:not(:first-child) .u-marker').evaluateAll((ms) => ms.map((m) => getComputedStyle(m).borderColor));
    assert.equal(new Set(keys).size, 2, `two distinct colour keys: ${keys.join(', ')}`);
    assert.equal(await loss.getAttribute('data-points'), '3,3', 'both curves have their three epochs');
    const lossSeries = await w.page.locator('[data-chart] .u-legend .u-series .u-label').allTextContents();
    assert.ok(!(await loss.locator('.u-legend').textContent())?.match(/\b(stage|lr)\b/), 'stage and lr are not drawn against loss');
    assert.ok(lossSeries.includes('lr') && lossSeries.includes('stage'), `the schedule terms have a chart of their own: ${lossSeries.join(', ')}`);
    const sched = w.page.locator('[data-chart="schedule"]');
    assert.ok((await sched.locator('.u-axis').count()) >= 3, 'lr and stage each have their own y axis');
    // Hover values: the legend shows the epoch under the mouse.
    const plot = await box(w.page, '[data-chart="loss"] .u-over');
    assert.ok(plot);
    await w.page.mouse.move(plot.x + plot.width - 2, plot.y + plot.height / 2);
    await w.page.waitForFunction(() => /1\.4|0\.46|0\.467/.test(document.querySelector('[data-chart="loss"] .u-legend')?.textContent ?? ''));
    await w.page.screenshot({ path: `${shots}/status-charts-hover.png`, fullPage: true });
  } finally {
    await w.close();
  }
});

test('chart titles do not overlap their legends, and the confusion matrix names the predicted classes under an unclipped title', async () => {
  const w = await open();
  try {
    await w.page.locator('[data-chart="loss"]').waitFor();
    for (const chart of await w.page.locator('[data-chart]').all()) {
      const title = await chart.locator('.chart-title').boundingBox();
      const legend = await chart.locator('.u-legend').boundingBox();
      assert.ok(title && legend && !overlap(title, legend), `title and legend apart in ${await chart.getAttribute('data-chart')}`);
    }
    const cm = w.page.locator('svg[aria-label="confusion matrix"]');
    const predicted = await cm.locator('text.col').allTextContents();
    assert.deepEqual(predicted, classes, 'each column is labelled with its predicted class');
    const svgBox = await cm.boundingBox();
    const titleBox = await cm.locator('text.t').boundingBox();
    assert.ok(svgBox && titleBox && titleBox.x >= svgBox.x && titleBox.x + titleBox.width <= svgBox.x + svgBox.width + 0.5, 'the title fits inside the matrix');
  } finally {
    await w.close();
  }
});

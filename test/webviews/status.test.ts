import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { EvalMetrics, JobEvent, JobInfo, WireMessage } from '../../server/src/protocol';
import { launchBrowser, openWebview } from './harness';

let browser: Browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

const classes = ['nevus', 'melanoma', 'vascular'];
const job = (state: JobInfo['state'], epoch: number): JobInfo => ({
  id: 'job-1', runId: '20261126-care-ab12', runDir: '/ws/.medstudio/runs/20261126-care-ab12', experimentPath: '/ws/care.medstudio.yaml',
  method: 'care', action: 'train', state, backend: 'wasm', device: 'CPU (2 cores), wasm', createdAt: '2026-11-26T07:00:00Z', epoch, epochs: 3,
});
const metrics = (epoch: number, bal: number): EvalMetrics => ({
  split: 'val', epoch, loss: 1.2 / epoch, accuracy: bal + 0.05, balancedAccuracy: bal, meanClassError: 1 - bal, classes,
  recall: { nevus: 0.9, melanoma: bal, vascular: bal / 2 }, precision: { nevus: 0.8, melanoma: 0.5, vascular: 0.4 },
  confusion: [[9, 1, 0], [2, 6, 2], [1, 1, 3]],
});
// A recorded stream of what the server sends during a short run.
const stream: JobEvent[] = [
  { jobId: 'job-1', kind: 'state', job: job('running', 0) },
  { jobId: 'job-1', kind: 'progress', progress: { epoch: 1, epochs: 3, step: 4, steps: 8, loss: 0.9, imagesPerSec: 123.4, etaSeconds: 42, memoryMB: 512 } },
  { jobId: 'job-1', kind: 'metrics', metrics: metrics(1, 0.4) },
  { jobId: 'job-1', kind: 'state', job: job('running', 1) },
  { jobId: 'job-1', kind: 'metrics', metrics: metrics(2, 0.6) },
];

const event = (payload: JobEvent): WireMessage => ({ kind: 'event', type: 'job', payload });

test('streamed job events draw the run, its curves, recall bars and confusion matrix', async () => {
  const w = await openWebview(browser, 'status');
  try {
    w.answer('ready', () => ({ jobs: [] }));
    await w.page.waitForSelector('text=No runs yet');
    for (const e of stream.slice(0, 3)) await w.send(event(e));
    await w.page.waitForSelector('li.run.sel >> text=20261126-care-ab12');
    assert.match(await w.page.textContent('.stats') ?? '', /123\.4\s*img\/s/);
    assert.match(await w.page.textContent('.stats') ?? '', /ETA\s*42/);
    // Points per curve (balanced accuracy, mean class error) of the live chart.
    const points = async () => ((await w.page.getAttribute('[data-chart="accuracy"]', 'data-points')) ?? '').split(',').map(Number);
    const polyBefore = await points();
    for (const e of stream.slice(3)) await w.send(event(e));
    await w.page.waitForFunction(() => document.querySelector('svg[aria-label^="per-class recall"] text.t')?.textContent?.includes('epoch 2'));
    const polyAfter = await points();
    assert.deepEqual(polyBefore, [1, 1]);
    assert.deepEqual(polyAfter, [2, 2], 'each curve gained the new epoch');
    const melanomaBar = await w.page.getAttribute('svg[aria-label^="per-class recall"] rect[data-label="melanoma"]', 'width');
    const nevusBar = await w.page.getAttribute('svg[aria-label^="per-class recall"] rect[data-label="nevus"]', 'width');
    assert.ok(Number(melanomaBar) < Number(nevusBar) && Number(melanomaBar) > 0);
    assert.equal(await w.page.locator('svg[aria-label="confusion matrix"] rect[data-cell]').count(), 9);
    await w.page.screenshot({ path: `${process.env.MEDSTUDIO_SCREENSHOT_DIR ?? '/tmp'}/status-panel.png` });
  } finally {
    await w.close();
  }
});

test('Cancel and Pause on a running job ask the extension to stop that job', async () => {
  const w = await openWebview(browser, 'status');
  try {
    w.answer('ready', () => ({ jobs: [{ info: job('running', 1), metrics: [metrics(1, 0.5)] }] }));
    let cancelled: unknown;
    w.answer('cancel', (p) => {
      cancelled = p;
      return job('cancelled', 1);
    });
    await w.page.getByRole('button', { name: 'Cancel' }).click();
    await w.waitForPosted((m) => m.kind === 'request' && m.method === 'cancel');
    assert.deepEqual(cancelled, { jobId: 'job-1' });
    assert.equal(await w.page.getByRole('button', { name: 'Resume' }).count(), 0, 'a running job offers no Resume');
    let paused: unknown;
    w.answer('pause', (p) => {
      paused = p;
      return job('paused', 1);
    });
    await w.page.getByRole('button', { name: 'Pause' }).click();
    await w.waitForPosted((m) => m.kind === 'request' && m.method === 'pause');
    assert.deepEqual(paused, { jobId: 'job-1' });
  } finally {
    await w.close();
  }
});

test('after a reload the panel keeps the selected run and loads its history', async () => {
  const other: JobInfo = { ...job('finished', 3), id: 'job-0', runId: '20261125-base-0000', runDir: '/ws/.medstudio/runs/base', createdAt: '2026-11-25T07:00:00Z' };
  const w = await openWebview(browser, 'status', { state: { selected: 'job-0' } });
  try {
    w.answer('ready', () => ({ jobs: [{ info: job('finished', 3), metrics: [] }, { info: other, metrics: [] }] }));
    w.answer('history', (p) => ({ metrics: (p as { runDir: string }).runDir === '/ws/.medstudio/runs/base' ? [metrics(1, 0.3), metrics(2, 0.5), metrics(3, 0.7)] : [] }));
    await w.page.waitForSelector('li.run.sel >> text=20261125-base-0000');
    await w.page.waitForFunction(() => document.querySelector('svg[aria-label^="per-class recall"] text.t')?.textContent?.includes('epoch 3'));
    await w.page.keyboard.press('Tab');
    await w.page.focus('#runs');
    await w.page.keyboard.press('ArrowUp');
    await w.page.waitForSelector('li.run.sel >> text=20261126-care-ab12');
  } finally {
    await w.close();
  }
});

test('job state, ids, errors and class names from a crafted jobs.json or metrics file show as text, never as markup', async () => {
  const evil = '<img src=x onerror="window.__pwned=1"><b style="color:red">styled</b>';
  const crafted = {
    ...job('failed', 1),
    state: `failed"><img src=x onerror="window.__pwned=2">` as JobInfo['state'],
    runId: evil,
    method: evil,
    backend: evil as JobInfo['backend'],
    device: evil,
    error: evil,
  };
  const m: EvalMetrics = { ...metrics(1, 0.5), classes: [evil, 'b', 'c'], recall: { [evil]: 0.5 }, extra: { [evil]: 1 } };
  const w = await openWebview(browser, 'status');
  try {
    w.answer('ready', () => ({ jobs: [{ info: crafted, metrics: [m] }] }));
    await w.page.waitForSelector('li.run.sel');
    await w.page.waitForSelector('svg[aria-label="confusion matrix"]');
    assert.equal(await w.page.locator('img').count(), 0, 'no <img> element was created');
    assert.equal(await w.page.locator('#app b[style]').count(), 0, 'no styled element was created');
    assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await w.page.textContent('.detail header h2'), evil, 'the run id reads as the text it is');
    assert.equal(await w.page.textContent('.detail p.error'), evil);
    assert.match((await w.page.textContent('li.run.sel')) ?? '', /failed"><img src=x/);
    assert.ok((await w.page.textContent('svg[aria-label^="per-class recall"]'))?.includes(evil));
    // The state's CSS class keeps letters only, so it cannot close the attribute either.
    assert.deepEqual(await w.page.$$eval('.state', (els) => els.map((e) => e.className)), ['state s-failedimgsrcxonerrorwindowpwned', 'state s-failedimgsrcxonerrorwindowpwned']);
  } finally {
    await w.close();
  }
});

test('the panel runs under a CSP without unsafe-inline styles, and its styles still apply', async () => {
  const w = await openWebview(browser, 'status');
  try {
    w.answer('ready', () => ({ jobs: [{ info: job('running', 1), metrics: [metrics(1, 0.5)] }] }));
    await w.page.waitForSelector('li.run.sel');
    const csp = await w.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp ?? '', /style-src [^;]*'nonce-/);
    assert.doesNotMatch(csp ?? '', /unsafe-inline/);
    // .layout { display: flex } comes from the panel's stylesheet: it was admitted.
    assert.equal(await w.page.$eval('.layout', (e) => getComputedStyle(e).display), 'flex');
    assert.deepEqual(await w.cspViolations(), []);
  } finally {
    await w.close();
  }
});

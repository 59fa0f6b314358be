/**
 * The training panel's sweep table and compare view in headless Chromium: a sweep's trials sorted
 * by any metric (mouse and keyboard), the best trial marked, runs ticked and compared (curves on
 * shared axes, final metrics, settings diff), and hostile run names shown as text.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { JobInfo, PanelJob, RunComparison, SweepTable, TrialRow, WireMessage } from '../../server/src/protocol';
import { launchBrowser, openWebview } from './harness';

let browser: Browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

const dir = '/ws/.medstudio/sweeps/20261204-1900-sweep-ab12';
const row = (id: string, lr: number, bal: number, loss: number, state: TrialRow['state'] = 'finished'): TrialRow => ({
  id, params: { 'train.lr': lr }, state, runDir: `${dir}/${id}/runs/20261204-1900-supervised-${id}`, epoch: 2, epochs: 2,
  final: { split: 'test', epoch: 2, values: { balancedAccuracy: bal, accuracy: bal + 0.1, loss, meanClassError: 1 - bal } },
});
const table = (rows: TrialRow[], bestId?: string): SweepTable => ({ id: '20261204-1900-sweep-ab12', dir, name: 'skin lr', experimentPath: '/ws/skin.medstudio.yaml', metric: 'balancedAccuracy', keys: ['train.lr'], rows, ...(bestId ? { bestId } : {}), slurmJobId: '42' });
const job = (id: string, runId: string): PanelJob => ({
  info: { id, runId, runDir: `/ws/.medstudio/runs/${runId}`, experimentPath: '/ws/x.medstudio.yaml', method: 'supervised', action: 'train', state: 'finished', createdAt: `2026-12-04T19:0${id.length}:00Z`, epoch: 2, epochs: 2 } as JobInfo,
  metrics: [],
});
const comparison = (a: string, b: string): RunComparison => ({
  runs: [a, b].map((runId, i) => ({
    runDir: `/ws/.medstudio/runs/${runId}`, runId, name: runId, method: 'supervised', state: 'finished' as const,
    final: { split: 'test' as const, epoch: 3, values: { balancedAccuracy: 0.5 + i / 10, loss: 1 - i / 10 } },
    curves: { balancedAccuracy: [[1, 0.3 + i / 10], [2, 0.4 + i / 10], [3, 0.5 + i / 10]], loss: [[1, 1.4], [2, 1.2 - i / 10], [3, 1 - i / 10]] },
  })),
  differences: [{ key: 'train.lr', values: ['0.001', '0.01'] }, { key: 'model.width', values: ['8', undefined] }],
});

const trialOrder = (page: import('playwright-core').Page) => page.$$eval('section.sweep tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-trial')));

test('a sweep table sorts by any metric with mouse and keyboard and marks the best trial', async () => {
  const w = await openWebview(browser, 'status', { height: 900 });
  try {
    w.answer('ready', () => ({ jobs: [] }));
    w.answer('sweeps', () => ({ sweeps: [table([row('t01', 0.001, 0.50, 1.1), row('t02', 0.003, 0.70, 1.3), row('t03', 0.01, 0.60, 0.9)], 't02')] }));
    await w.page.waitForSelector('section.sweep tr.best');
    assert.deepEqual(await trialOrder(w.page), ['t02', 't03', 't01'], 'best balanced accuracy first');
    assert.equal(await w.page.textContent('tr.best td:first-child'), '★');
    assert.equal(await w.page.getAttribute('tr.best', 'data-trial'), 't02');
    await w.page.click('th[data-metric="loss"]');
    assert.deepEqual(await trialOrder(w.page), ['t03', 't01', 't02'], 'lowest loss first');
    assert.equal(await w.page.getAttribute('th[data-metric="loss"]', 'aria-sort'), 'ascending');
    // Keyboard: the focused header stays focused after a re-sort; Enter sorts.
    await w.page.focus('th[data-metric="accuracy"]');
    await w.page.keyboard.press('Enter');
    assert.deepEqual(await trialOrder(w.page), ['t02', 't03', 't01']);
    assert.equal(await w.page.evaluate(() => document.activeElement?.getAttribute('data-metric')), 'accuracy');
    // A live sweep offers cancel (scancel on Slurm) and the table follows streamed updates.
    await w.send({ kind: 'event', type: 'sweep', payload: table([row('t01', 0.001, 0.5, 1.1), row('t02', 0.003, 0.7, 1.3), row('t03', 0.01, 0.6, 0.9), row('t04', 0.03, 0.2, 2, 'running')], 't02') } as WireMessage);
    await w.page.waitForSelector('tr[data-trial="t04"]');
    let cancelled: unknown;
    w.answer('cancelSweep', (p) => ((cancelled = p), table([row('t01', 0.001, 0.5, 1.1), row('t02', 0.003, 0.7, 1.3), row('t03', 0.01, 0.6, 0.9), row('t04', 0.03, 0.2, 2, 'cancelled')], 't02')));
    await w.page.click('button[data-act="cancelSweep"]');
    await w.waitForPosted((m) => m.kind === 'request' && m.method === 'cancelSweep');
    assert.deepEqual(cancelled, { sweepDir: dir });
    await w.page.waitForSelector('tr[data-trial="t04"] .s-cancelled');
    assert.equal(await w.page.locator('button[data-act="cancelSweep"]').count(), 0, 'an ended sweep offers no cancel');
    await w.page.click('th[data-metric="balancedAccuracy"]');
    await w.page.screenshot({ path: `${process.env.MEDSTUDIO_SCREENSHOT_DIR ?? '/tmp'}/sweep-table.png`, fullPage: true });
  } finally {
    await w.close();
  }
});

test('ticking two runs and Compare draws their curves on shared axes, final metrics side by side and the settings diff', async () => {
  const w = await openWebview(browser, 'status', { height: 1000 });
  try {
    const evil = '<img src=x onerror="window.__pwned=1">';
    w.answer('ready', () => ({ jobs: [job('job-a', 'run-a'), job('job-bb', evil), job('job-ccc', 'run-c')] }));
    w.answer('sweeps', () => ({ sweeps: [] }));
    await w.page.waitForSelector('#compare-pick input[type=checkbox]');
    assert.equal(await w.page.isDisabled('button[data-act="compareRuns"]'), true, 'needs two runs');
    await w.page.check('input[data-run="/ws/.medstudio/runs/run-a"]');
    await w.page.check('input[data-run="/ws/.medstudio/runs/run-c"]');
    let asked: unknown;
    w.answer('compare', (p) => ((asked = p), comparison('run-a', evil)));
    await w.page.click('button[data-act="compareRuns"]');
    await w.page.waitForSelector('section.compare');
    assert.deepEqual(asked, { runDirs: ['/ws/.medstudio/runs/run-a', '/ws/.medstudio/runs/run-c'] });
    // One chart per metric, one polyline per run, both on the same axes (same x extent).
    const charts = await w.page.$$eval('section.compare svg.overlay', (svgs) => svgs.map((s) => ({ title: s.getAttribute('aria-label'), lines: [...s.querySelectorAll('polyline')].map((p) => p.getAttribute('points')!.split(' ')) })));
    assert.deepEqual(charts.map((c) => c.title), ['val balanced accuracy', 'val loss']);
    for (const c of charts) {
      assert.equal(c.lines.length, 2);
      assert.deepEqual(c.lines[0]!.map((p) => p.split(',')[0]), c.lines[1]!.map((p) => p.split(',')[0]), 'same epochs at the same x');
    }
    assert.equal(await w.page.textContent('table[aria-label="final metrics"] tr[data-metric="balancedAccuracy"]'), 'balanced accuracy0.5000.600');
    assert.equal(await w.page.textContent('table[aria-label="settings that differ"] tr[data-key="train.lr"]'), 'train.lr0.0010.01');
    assert.equal(await w.page.textContent('table[aria-label="settings that differ"] tr[data-key="model.width"]'), 'model.width8(unset)');
    // The hostile run name is text, not markup.
    assert.ok((await w.page.textContent('section.compare')!)?.includes(evil));
    assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await w.page.locator('section.compare img').count(), 0);
    // The extension can ask for a comparison too (Compare Runs from the palette).
    w.answer('compare', () => comparison('run-x', 'run-y'));
    await w.send({ kind: 'event', type: 'compare', payload: { runDirs: ['/a', '/b'] } } as WireMessage);
    await w.page.waitForSelector('section.compare >> text=run-x');
    await w.page.screenshot({ path: `${process.env.MEDSTUDIO_SCREENSHOT_DIR ?? '/tmp'}/compare-view.png`, fullPage: true });
  } finally {
    await w.close();
  }
});

test('keyboard only: Space ticks runs while a sweep streams in (focus stays put), Enter on Compare compares them; Compare trials compares a sweep', async () => {
  const w = await openWebview(browser, 'status', { height: 1000 });
  try {
    w.answer('ready', () => ({ jobs: [job('job-a', 'run-a'), job('job-bb', 'run-b')] }));
    w.answer('sweeps', () => ({ sweeps: [table([row('t01', 0.001, 0.5, 1.1), row('t02', 0.003, 0.7, 1.3), row('t03', 0.01, 0.6, 0.9)], 't02')] }));
    await w.page.waitForSelector('input[data-run="/ws/.medstudio/runs/run-b"]');
    await w.page.focus('input[data-run="/ws/.medstudio/runs/run-a"]');
    await w.page.keyboard.press('Space');
    // A trial's state arrives between two key presses: the list gains a run, the focused box keeps focus and its tick.
    const trial: JobInfo = { ...job('job-t', 'trial-run').info, state: 'running', createdAt: '2026-12-04T19:00:00Z' };
    await w.send({ kind: 'event', type: 'job', payload: { jobId: 'job-t', kind: 'state', job: trial } } as WireMessage);
    await w.page.waitForSelector('input[data-run="/ws/.medstudio/runs/trial-run"]');
    assert.equal(await w.page.evaluate(() => document.activeElement?.getAttribute('data-run')), '/ws/.medstudio/runs/run-a', 'focus stays on the ticked box');
    assert.equal(await w.page.isChecked('input[data-run="/ws/.medstudio/runs/run-a"]'), true);
    // Newest first: run-b is the box before run-a.
    await w.page.keyboard.press('Shift+Tab');
    assert.equal(await w.page.evaluate(() => document.activeElement?.getAttribute('data-run')), '/ws/.medstudio/runs/run-b');
    await w.page.keyboard.press('Space');
    let asked: unknown;
    w.answer('compare', (p) => ((asked = p), comparison('run-a', 'run-b')));
    await w.page.focus('button[data-act="compareRuns"]');
    await w.page.keyboard.press('Enter');
    await w.page.waitForSelector('section.compare table[aria-label="final metrics"]');
    assert.deepEqual(asked, { runDirs: ['/ws/.medstudio/runs/run-a', '/ws/.medstudio/runs/run-b'] });
    // From the sweep table: its trials' run folders, in trial order.
    w.answer('compare', (p) => ((asked = p), comparison('t01', 't02')));
    await w.page.click('button[data-act="compareTrials"]');
    await w.page.waitForSelector('section.compare >> text=Comparing 2 runs');
    assert.deepEqual(asked, { runDirs: ['t01', 't02', 't03'].map((id) => `${dir}/${id}/runs/20261204-1900-supervised-${id}`) });
  } finally {
    await w.close();
  }
});

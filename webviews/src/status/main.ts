/**
 * The training status panel: the list of runs (running, queued, finished, failed, interrupted)
 * with backend and device, and for the selected run live curves, per-class recall, the
 * confusion matrix, throughput, memory and ETA, with cancel/resume/report/model/explain buttons.
 * Updates arrive as streamed job events; the panel rebuilds from `ready` after a reload.
 */
import { connect, getState, setState } from '../common/vscodeApi';
import type { EvalMetrics, JobEvent, PanelJob, StatusPanelEvents, StatusPanelRequests, SweepPanelEvents, SweepPanelRequests } from '../../../server/src/protocol';
import { barChart, confusionMatrix, lineChart } from './charts';
import { addStyle, el } from '../common/dom';
import { mountExtras } from './extras';
import { STYLE } from './style';

type Requests = StatusPanelRequests & SweepPanelRequests;
type Events = StatusPanelEvents & SweepPanelEvents;
type Ch = ReturnType<typeof connect<Requests, Record<string, never>, Record<string, never>, Events>>;
interface PanelState {
  selected?: string;
}

const ch: Ch = connect<Requests, Record<string, never>, Record<string, never>, Events>();
const jobs = new Map<string, PanelJob>();
let selected = getState<PanelState>()?.selected;
const app = document.getElementById('app')!;
addStyle(STYLE);
const runsEl = el('ul', { id: 'runs', class: 'runs', role: 'listbox', 'aria-label': 'runs', tabindex: 0 });
const detailEl = el('section', { id: 'detail', class: 'detail', 'aria-live': 'polite' });
app.replaceChildren(el('div', { class: 'layout' }, runsEl, detailEl));

const sorted = () => [...jobs.values()].sort((a, b) => String(b.info.createdAt).localeCompare(String(a.info.createdAt)));
/** A job's state as a CSS class suffix: jobs.json is a file anyone may have edited. */
const stateClass = (s: unknown) => `state s-${String(s).replace(/[^a-z]/g, '')}`;
const extras = mountExtras(app, (method, params) => ch.request(method, params), () => sorted());

function select(id: string | undefined): void {
  selected = id;
  setState<PanelState>({ selected });
  render();
  const j = id ? jobs.get(id) : undefined;
  if (j && j.metrics.length === 0 && j.info.runDir) {
    void ch.request('history', { runDir: j.info.runDir }).then((h) => {
      if (j.metrics.length === 0 && h.metrics.length) {
        j.metrics = h.metrics;
        render();
      }
    });
  }
}

function renderRuns(): void {
  const items = sorted().map(({ info }) =>
    el(
      'li',
      { role: 'option', 'data-id': info.id, class: info.id === selected ? 'run sel' : 'run', 'aria-selected': String(info.id === selected) },
      el('span', { class: stateClass(info.state) }, String(info.state)),
      ' ',
      el('b', {}, String(info.runId || info.id)),
      el('br'),
      el('span', { class: 'muted' }, `${info.method || '…'} · ${info.backend ?? ''} ${info.epochs ? `· epoch ${info.epoch}/${info.epochs}` : ''}`),
    ),
  );
  runsEl.replaceChildren(...(items.length ? items : [el('li', { class: 'muted' }, 'No runs yet. Train an experiment (MedStudio: Train Experiment).')]));
}

function metricSeries(ms: EvalMetrics[], key: 'loss' | 'balancedAccuracy' | 'accuracy' | 'meanClassError' | 'auc', split = 'val'): [number, number][] {
  return ms.filter((m) => m.split === split && typeof m[key] === 'number').map((m) => [m.epoch, m[key] as number]);
}

const stat = (label: string, value: string, after = '') => el('span', {}, `${label} `, el('b', {}, value), after ? ` ${after}` : '');

function renderDetail(): void {
  const j = selected ? jobs.get(selected) : undefined;
  if (!j) {
    detailEl.replaceChildren(el('p', { class: 'muted' }, 'Select a run.'));
    return;
  }
  const { info, metrics, progress } = j;
  const last = [...metrics].reverse().find((m) => m.recall) ?? metrics[metrics.length - 1];
  const button = (act: string, label: string, title?: string) => el('button', { 'data-act': act, title }, label);
  const buttons = [
    info.state === 'running' || info.state === 'queued' ? button('cancel', 'Cancel') : null,
    info.state === 'running' ? button('pause', 'Pause', 'Stop at the next checkpoint; Resume continues from there') : null,
    ['interrupted', 'cancelled', 'paused', 'failed'].includes(info.state) && info.runDir ? button('resume', 'Resume') : null,
    info.reportPath ? button('openReport', 'Open report') : null,
    info.modelPath || info.state === 'finished' ? button('openModel', 'Open model') : null,
    info.state === 'finished' ? button('explain', 'Explain a test image') : null,
  ].filter((b): b is HTMLButtonElement => b !== null);
  const p = progress;
  const n = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : '?');
  const stats = p
    ? [stat('epoch', `${p.epoch}/${p.epochs}`, `step ${p.step}/${p.steps}`), el('span', {}, el('b', {}, n(p.imagesPerSec, 1)), ' img/s'), stat('memory', n(p.memoryMB, 0), 'MB'), stat('ETA', n(p.etaSeconds, 0), 's'), stat('loss', n(p.loss, 4))]
    : [el('span', { class: 'muted' }, 'no live progress')];
  const extraKeys = [...new Set(metrics.flatMap((m) => Object.keys(m.extra ?? {})))].slice(0, 4);
  const palette = ['#4fc1ff', '#f5a623', '#7ed321', '#d0021b'];
  const charts: Node[] = [
    lineChart('loss', [
      { name: 'val', points: metricSeries(metrics, 'loss'), color: palette[0]! },
      { name: 'train', points: metricSeries(metrics, 'loss', 'train'), color: palette[1]! },
    ]),
    lineChart('balanced accuracy / mean class error', [
      { name: 'bal. acc', points: metricSeries(metrics, 'balancedAccuracy'), color: palette[2]! },
      { name: 'mean class err', points: metricSeries(metrics, 'meanClassError'), color: palette[3]! },
    ]),
  ];
  if (extraKeys.length) charts.push(lineChart('method terms', extraKeys.map((k, i) => ({ name: k, points: metrics.filter((m) => m.extra?.[k] !== undefined).map((m) => [m.epoch, m.extra![k]!] as [number, number]), color: palette[i]! }))));
  if (last?.recall) charts.push(barChart(`per-class recall (${last.split}, epoch ${last.epoch})`, Object.entries(last.recall).map(([label, value]) => ({ label, value }))));
  const cm = last?.confusion && last.classes ? confusionMatrix(last.classes, last.confusion) : null;
  if (cm) charts.push(cm);
  detailEl.replaceChildren(
    el(
      'header',
      {},
      el('h2', {}, String(info.runId || info.id)),
      el('span', { class: stateClass(info.state) }, String(info.state)),
      el('span', { class: 'muted' }, `${info.method} on ${info.backend ?? '?'} (${info.device ?? ''})`),
    ),
    ...(info.error ? [el('p', { class: 'error' }, String(info.error))] : []),
    el('div', { class: 'buttons' }, ...buttons),
    el('div', { class: 'stats' }, ...stats),
    el('div', { class: 'charts' }, ...charts),
  );
}

function render(): void {
  renderRuns();
  renderDetail();
}

/** The compare view's run list changes only when runs come or go. */
function renderRunsChanged(): void {
  render();
  extras.runsChanged();
}

function apply(e: JobEvent): void {
  const j = jobs.get(e.jobId) ?? (e.kind === 'state' ? { info: e.job, metrics: [] } : undefined);
  if (!j) return;
  if (e.kind === 'state') j.info = e.job;
  else if (e.kind === 'metrics') j.metrics.push(e.metrics);
  else if (e.kind === 'progress') j.progress = e.progress;
  const isNew = !jobs.has(e.jobId) || e.kind === 'state';
  jobs.set(e.jobId, j);
  if (!selected) selected = e.jobId;
  if (isNew) renderRunsChanged();
  else render();
}

runsEl.addEventListener('click', (ev) => {
  const li = (ev.target as HTMLElement).closest('li[data-id]');
  if (li) select(li.getAttribute('data-id')!);
});
runsEl.addEventListener('keydown', (ev) => {
  const list = sorted();
  const i = list.findIndex((j) => j.info.id === selected);
  if (ev.key === 'ArrowDown' && i < list.length - 1) select(list[i + 1]!.info.id);
  else if (ev.key === 'ArrowUp' && i > 0) select(list[i - 1]!.info.id);
  else return;
  ev.preventDefault();
});
detailEl.addEventListener('click', (ev) => {
  const act = (ev.target as HTMLElement).closest('button')?.getAttribute('data-act');
  const j = selected ? jobs.get(selected) : undefined;
  if (!act || !j) return;
  const runDir = j.info.runDir;
  const done = (p: Promise<unknown>) => p.catch((e: unknown) => detailEl.querySelector('.buttons')!.after(el('p', { class: 'error' }, String(e))));
  if (act === 'cancel' || act === 'pause') void done(ch.request(act, { jobId: j.info.id }));
  else if (act === 'resume' || act === 'openReport' || act === 'openModel' || act === 'explain') void done(ch.request(act, { runDir }));
});

ch.on('job', apply);
ch.on('select', ({ jobId }) => select(jobId));
ch.on('sweep', (t) => extras.sweep(t));
ch.on('compare', ({ runDirs }) => extras.compare(runDirs));
void ch.request('ready', {}).then((r) => {
  for (const j of r.jobs) jobs.set(j.info.id, j);
  extras.runsChanged();
  select(r.selected ?? selected ?? sorted()[0]?.info.id);
});

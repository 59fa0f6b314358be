/**
 * The training status panel: the list of runs (running, queued, finished, failed, interrupted)
 * with backend and device, and for the selected run live curves, per-class recall, the
 * confusion matrix, throughput, memory and ETA, with cancel/resume/report/model/explain buttons.
 * Updates arrive as streamed job events; the panel rebuilds from `ready` after a reload.
 */
import { connect, getState, setState } from '../common/vscodeApi';
import type { JobEvent, PanelJob, StatusPanelEvents, StatusPanelRequests, SweepPanelEvents, SweepPanelRequests } from '../../../server/src/protocol';
import { barChart, confusionMatrix } from './charts';
import { ChartCache, type LiveSeries } from './liveChart';
import { duration, epochOf, latestPerRun, methodTerms, shownJob, trainLoss, valSeries } from './runView';
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

/** One entry per run folder (its latest job), newest first. */
const sorted = () => latestPerRun(jobs.values());
const charts = new ChartCache();
/** A job's state as a CSS class suffix: jobs.json is a file anyone may have edited. */
const stateClass = (s: unknown) => `state s-${String(s).replace(/[^a-z]/g, '')}`;
const extras = mountExtras(app, (method, params) => ch.request(method, params), () => sorted());

function select(id: string | undefined): void {
  selected = shownJob(jobs.values(), id)?.info.id ?? id;
  setState<PanelState>({ selected });
  render();
  const j = selected ? jobs.get(selected) : undefined;
  if (j && j.metrics.length === 0 && j.info.runDir) {
    void ch.request('history', { runDir: j.info.runDir }).then((h) => {
      if (j.metrics.length === 0 && h.metrics.length) {
        j.metrics = h.metrics;
        render();
      }
    });
  }
}

const epochText = (j: PanelJob) => {
  const e = epochOf(j);
  return e ? `epoch ${e.epoch}/${e.epochs}` : '';
};

function renderRuns(): void {
  const items = sorted().map((j) =>
    el(
      'li',
      { role: 'option', 'data-id': j.info.id, class: j.info.id === selected ? 'run sel' : 'run', 'aria-selected': String(j.info.id === selected) },
      el('span', { class: stateClass(j.info.state) }, String(j.info.state)),
      ' ',
      el('b', {}, String(j.info.runId || j.info.id)),
      el('br'),
      el('span', { class: 'muted' }, [j.info.method || '…', j.info.backend ?? '', epochText(j)].filter(Boolean).join(' · ')),
    ),
  );
  runsEl.replaceChildren(...(items.length ? items : [el('li', { class: 'muted' }, 'No runs yet. Train an experiment (MedStudio: Train Experiment).')]));
}

const stat = (label: string, value: string, after = '') => el('span', {}, `${label} `, el('b', {}, value), after ? ` ${after}` : '');
const PALETTE = ['#4fc1ff', '#f5a623', '#7ed321', '#d0021b', '#bd10e0', '#50e3c2'];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;

/** The curves of a run: loss, balanced accuracy / error, method terms, schedule; kept live across events. */
function curveCharts(j: PanelJob): Node[] {
  const { metrics } = j;
  const id = j.info.id;
  const out: Node[] = [];
  const keep = new Set<string>();
  // Every chart spans the run's epochs, so a term that starts in stage 2 lines up with the loss.
  const epochs = [...new Set(metrics.filter((m) => m.split !== 'test').map((m) => m.epoch))];
  const add = (key: string, title: string, series: LiveSeries[], o?: Parameters<ChartCache['get']>[4]) => {
    keep.add(`${id}:${key}`);
    out.push(charts.get(id, key, title, series, { ...o, epochs }));
  };
  add('loss', 'loss per epoch', [
    { name: 'train', points: trainLoss(metrics), color: colour(1) },
    { name: 'val', points: valSeries(metrics, 'loss'), color: colour(0) },
  ]);
  add('accuracy', 'validation: balanced accuracy and mean class error', [
    { name: 'balanced accuracy', points: valSeries(metrics, 'balancedAccuracy'), color: colour(2) },
    { name: 'mean class error', points: valSeries(metrics, 'meanClassError'), color: colour(3) },
  ]);
  const terms = methodTerms(metrics);
  if (terms.losses.length) add('terms', 'method terms', terms.losses.map((t, i) => ({ ...t, color: colour(i + 4) })));
  if (terms.schedule.length) {
    add(
      'schedule',
      'schedule',
      terms.schedule.map((t, i) => ({ ...t, color: colour(i + 1), scale: t.name })),
      { axes: terms.schedule.map((t, i) => ({ scale: t.name, label: t.name, side: i === 0 ? 'left' : 'right' })) },
    );
  }
  charts.keepOnly(keep);
  return out;
}

function renderDetail(): void {
  const j = selected ? jobs.get(selected) : undefined;
  if (!j) {
    charts.keepOnly(new Set());
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
  const p = info.state === 'running' ? progress : undefined;
  const n = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : '?');
  const e = epochOf(j);
  const stats = p
    ? [
        stat('epoch', e ? `${e.epoch}/${e.epochs}` : '?', `step ${p.step}/${p.steps}`),
        el('span', {}, el('b', {}, n(p.imagesPerSec, 1)), ' img/s'),
        stat('memory', n(p.memoryMB, 0), 'MB'),
        stat('ETA', duration(p.etaSeconds), 'for the whole run'),
        stat('loss', n(p.loss, 4)),
      ]
    : [el('span', { class: 'muted' }, epochText(j) ? `${epochText(j)} · no live progress` : 'no live progress')];
  const other: Node[] = [];
  if (last?.recall) other.push(barChart(`per-class recall (${last.split}, epoch ${last.epoch})`, Object.entries(last.recall).map(([label, value]) => ({ label, value }))));
  const cm = last?.confusion && last.classes ? confusionMatrix(last.classes, last.confusion) : null;
  if (cm) other.push(cm);
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
    el('div', { class: 'charts' }, ...curveCharts(j), ...other),
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
  // A new job on the selected run's folder (a resume) takes over the selection.
  selected = shownJob(jobs.values(), selected ?? e.jobId)?.info.id ?? e.jobId;
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

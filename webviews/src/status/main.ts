/**
 * The training status panel: the list of runs (running, queued, finished, failed, interrupted)
 * with backend and device, and for the selected run live curves, per-class recall, the
 * confusion matrix, throughput, memory and ETA, with cancel/resume/report/model/explain buttons.
 * Updates arrive as streamed job events; the panel rebuilds from `ready` after a reload.
 */
import { connect, getState, setState } from '../common/vscodeApi';
import type { EvalMetrics, JobEvent, PanelJob, StatusPanelEvents, StatusPanelRequests, SweepPanelEvents, SweepPanelRequests } from '../../../server/src/protocol';
import { barChart, confusionMatrix, lineChart } from './charts';
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
app.innerHTML = `<style>${STYLE}</style><div class="layout"><ul id="runs" class="runs" role="listbox" aria-label="runs" tabindex="0"></ul><section id="detail" class="detail" aria-live="polite"></section></div>`;
const runsEl = document.getElementById('runs')!;
const detailEl = document.getElementById('detail')!;

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const sorted = () => [...jobs.values()].sort((a, b) => b.info.createdAt.localeCompare(a.info.createdAt));
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
  runsEl.innerHTML = sorted()
    .map(
      ({ info }) =>
        `<li role="option" data-id="${esc(info.id)}" class="run ${info.id === selected ? 'sel' : ''}" aria-selected="${info.id === selected}"><span class="state s-${info.state}">${info.state}</span> <b>${esc(info.runId || info.id)}</b><br><span class="muted">${esc(info.method || '…')} · ${esc(info.backend ?? '')} ${info.epochs ? `· epoch ${info.epoch}/${info.epochs}` : ''}</span></li>`,
    )
    .join('') || '<li class="muted">No runs yet. Train an experiment (MedStudio: Train Experiment).</li>';
}

function metricSeries(ms: EvalMetrics[], key: 'loss' | 'balancedAccuracy' | 'accuracy' | 'meanClassError' | 'auc', split = 'val'): [number, number][] {
  return ms.filter((m) => m.split === split && typeof m[key] === 'number').map((m) => [m.epoch, m[key] as number]);
}

function renderDetail(): void {
  const j = selected ? jobs.get(selected) : undefined;
  if (!j) {
    detailEl.innerHTML = '<p class="muted">Select a run.</p>';
    return;
  }
  const { info, metrics, progress } = j;
  const last = [...metrics].reverse().find((m) => m.recall) ?? metrics[metrics.length - 1];
  const buttons = [
    info.state === 'running' || info.state === 'queued' ? `<button data-act="cancel">Cancel</button>` : '',
    info.state === 'running' ? `<button data-act="pause" title="Stop at the next checkpoint; Resume continues from there">Pause</button>` : '',
    ['interrupted', 'cancelled', 'paused', 'failed'].includes(info.state) && info.runDir ? `<button data-act="resume">Resume</button>` : '',
    info.reportPath ? `<button data-act="openReport">Open report</button>` : '',
    info.modelPath || info.state === 'finished' ? `<button data-act="openModel">Open model</button>` : '',
    info.state === 'finished' ? `<button data-act="explain">Explain a test image</button>` : '',
  ].join('');
  const p = progress;
  const extraKeys = [...new Set(metrics.flatMap((m) => Object.keys(m.extra ?? {})))].slice(0, 4);
  const palette = ['#4fc1ff', '#f5a623', '#7ed321', '#d0021b'];
  detailEl.innerHTML = `
<header><h2>${esc(info.runId || info.id)}</h2><span class="state s-${info.state}">${info.state}</span>
<span class="muted">${esc(info.method)} on ${esc(info.backend ?? '?')} (${esc(info.device ?? '')})</span></header>
${info.error ? `<p class="error">${esc(info.error)}</p>` : ''}
<div class="buttons">${buttons}</div>
<div class="stats">${p ? `<span>epoch <b>${p.epoch}/${p.epochs}</b> step ${p.step}/${p.steps}</span><span><b>${p.imagesPerSec.toFixed(1)}</b> img/s</span><span>memory <b>${p.memoryMB.toFixed(0)}</b> MB</span><span>ETA <b>${Math.round(p.etaSeconds)}</b> s</span><span>loss <b>${p.loss.toFixed(4)}</b></span>` : '<span class="muted">no live progress</span>'}</div>
<div class="charts">
${lineChart('loss', [
  { name: 'val', points: metricSeries(metrics, 'loss'), color: palette[0]! },
  { name: 'train', points: metricSeries(metrics, 'loss', 'train'), color: palette[1]! },
])}
${lineChart('balanced accuracy / mean class error', [
  { name: 'bal. acc', points: metricSeries(metrics, 'balancedAccuracy'), color: palette[2]! },
  { name: 'mean class err', points: metricSeries(metrics, 'meanClassError'), color: palette[3]! },
])}
${extraKeys.length ? lineChart('method terms', extraKeys.map((k, i) => ({ name: k, points: metrics.filter((m) => m.extra?.[k] !== undefined).map((m) => [m.epoch, m.extra![k]!] as [number, number]), color: palette[i]! }))) : ''}
${last?.recall ? barChart(`per-class recall (${last.split}, epoch ${last.epoch})`, Object.entries(last.recall).map(([label, value]) => ({ label, value }))) : ''}
${last?.confusion && last.classes ? confusionMatrix(last.classes, last.confusion) : ''}
</div>`;
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
  const done = (p: Promise<unknown>) => p.catch((e: unknown) => (detailEl.querySelector('.buttons')!.insertAdjacentHTML('afterend', `<p class="error">${esc(String(e))}</p>`)));
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

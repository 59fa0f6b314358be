/**
 * The panel's sweep table: one row per trial (settings, state, final metrics), sortable by any
 * metric column (click or Enter on its header), the best trial marked; buttons to compare the
 * trials and to cancel the sweep.
 */
import { LOWER_IS_BETTER, METRIC_KEYS, type MetricKey, type SweepTable, type TrialRow } from '../../../server/src/protocol';
import { el, f3 } from './dom';

const LABEL: Record<MetricKey, string> = { balancedAccuracy: 'bal. acc', accuracy: 'accuracy', auc: 'AUC', meanClassError: 'mean class err', loss: 'loss' };

export interface SweepViewActions {
  compare(runDirs: string[]): void;
  cancel(sweepDir: string): void;
}

function sortRows(rows: readonly TrialRow[], metric: MetricKey): TrialRow[] {
  const sign = LOWER_IS_BETTER.includes(metric) ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = a.final.values[metric];
    const vb = b.final.values[metric];
    if (va === undefined || vb === undefined) return va === undefined ? (vb === undefined ? a.id.localeCompare(b.id) : 1) : -1;
    return sign * (va - vb) || a.id.localeCompare(b.id);
  });
}

export function renderSweep(t: SweepTable, sortBy: MetricKey, onSort: (m: MetricKey) => void, act: SweepViewActions): HTMLElement {
  const live = t.rows.some((r) => ['running', 'queued', 'pending', 'not started'].includes(r.state));
  const runDirs = t.rows.flatMap((r) => (r.runDir ? [r.runDir] : []));
  const head = el(
    'tr',
    {},
    el('th', {}, ''),
    el('th', { class: 'l' }, 'trial'),
    ...t.keys.map((k) => el('th', {}, k)),
    el('th', {}, 'seed'),
    el('th', { class: 'l' }, 'state'),
    ...METRIC_KEYS.map((m) => {
      const th = el('th', { class: `sortable${m === sortBy ? ' sorted' : ''}`, tabindex: '0', 'data-metric': m, 'aria-sort': m === sortBy ? (LOWER_IS_BETTER.includes(m) ? 'ascending' : 'descending') : 'none', title: `sort by ${m}` }, `${LABEL[m]}${m === sortBy ? ' ▾' : ''}`);
      th.addEventListener('click', () => onSort(m));
      th.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        onSort(m);
      });
      return th;
    }),
  );
  const body = sortRows(t.rows, sortBy).map((r) =>
    el(
      'tr',
      { class: r.id === t.bestId ? 'best' : undefined, 'data-trial': r.id },
      el('td', { title: r.id === t.bestId ? `best by ${t.metric}` : undefined }, r.id === t.bestId ? '★' : ''),
      el('td', { class: 'l' }, r.id),
      ...t.keys.map((k) => el('td', {}, r.params[k] === undefined ? '' : String(r.params[k]))),
      el('td', {}, r.seed === undefined ? '' : String(r.seed)),
      el('td', { class: 'l', title: r.error ?? r.scheduler }, el('span', { class: `state s-${r.state.replace(' ', '-')}` }, r.state), r.scheduler ? ` ${r.scheduler}` : ''),
      ...METRIC_KEYS.map((m) => el('td', { 'data-metric': m }, f3(r.final.values[m]))),
    ),
  );
  const compareBtn = el('button', { 'data-act': 'compareTrials' }, 'Compare trials');
  compareBtn.toggleAttribute('disabled', runDirs.length < 2);
  compareBtn.addEventListener('click', () => act.compare(runDirs));
  const cancelBtn = live ? el('button', { 'data-act': 'cancelSweep' }, t.slurmJobId ? `Cancel (scancel ${t.slurmJobId})` : 'Cancel sweep') : null;
  cancelBtn?.addEventListener('click', () => act.cancel(t.dir));
  return el(
    'section',
    { class: 'sweep', 'data-sweep': t.id },
    el('h3', {}, `Sweep ${t.name} `, el('span', { class: 'muted' }, `${t.rows.length} trials${t.slurmJobId ? ` · Slurm job ${t.slurmJobId}` : ' · local'}${t.bestId ? ` · best ${t.bestId} by ${t.metric}` : ''}`)),
    el('div', { class: 'buttons' }, compareBtn, cancelBtn),
    el('table', { class: 'grid', 'aria-label': `sweep ${t.id}` }, el('thead', {}, head), el('tbody', {}, ...body)),
  );
}

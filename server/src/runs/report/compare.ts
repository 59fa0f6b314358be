/** HTML sections for comparisons and sweeps: overlaid curves, final metrics side by side, settings diff, sweep table. */
import { METRIC_KEYS, type MetricKey, type RunComparison, type SweepTable } from '../../protocol';
import { sortRows } from '../../sweeps/table';
import { lineChart } from './charts';
import { esc } from './html';

const f3 = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));
const LABEL: Record<MetricKey, string> = { balancedAccuracy: 'balanced accuracy', accuracy: 'accuracy', auc: 'macro AUC', meanClassError: 'mean class error', loss: 'loss' };

export function comparisonSections(c: RunComparison): string[] {
  const names = c.runs.map((r) => r.runId);
  const charts = METRIC_KEYS.filter((k) => c.runs.some((r) => r.curves[k]?.length))
    .map((k) => lineChart(`validation ${LABEL[k]}`, c.runs.map((r, i) => ({ name: names[i]!, points: r.curves[k] ?? [] })), { yLabel: LABEL[k] }))
    .join('');
  const head = `<tr><th class="l">metric</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const rows = METRIC_KEYS.filter((k) => c.runs.some((r) => r.final.values[k] !== undefined))
    .map((k) => `<tr><th class="l">${esc(LABEL[k])}</th>${c.runs.map((r) => `<td>${f3(r.final.values[k])}</td>`).join('')}</tr>`)
    .join('');
  const split = `<tr><th class="l">from</th>${c.runs.map((r) => `<td>${esc(r.final.split ? `${r.final.split}, epoch ${r.final.epoch}` : 'no metrics')}</td>`).join('')}</tr>`;
  const diff = c.differences.length
    ? `<table><tr><th class="l">setting</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>${c.differences
        .map((d) => `<tr><th class="l">${esc(d.key)}</th>${d.values.map((v) => `<td class="l">${esc(v ?? '(unset)')}</td>`).join('')}</tr>`)
        .join('')}</table>`
    : '<p class="muted">The runs\' resolved settings are identical.</p>';
  return [
    `<h2>Curves (validation, shared axes)</h2><div class="grid">${charts || '<p class="muted">no validation metrics yet</p>'}</div>`,
    `<h2>Final metrics</h2><table>${head}${split}${rows}</table>`,
    `<h2>Settings that differ</h2>${diff}`,
  ];
}

export function sweepTableSection(t: SweepTable): string {
  const head = `<tr><th></th><th class="l">trial</th>${t.keys.map((k) => `<th>${esc(k)}</th>`).join('')}<th>seed</th><th class="l">state</th>${METRIC_KEYS.map((m) => `<th>${esc(LABEL[m])}${m === t.metric ? ' ↓' : ''}</th>`).join('')}</tr>`;
  const body = sortRows(t.rows, t.metric)
    .map(
      (r) =>
        `<tr${r.id === t.bestId ? ' style="font-weight:bold"' : ''}><td>${r.id === t.bestId ? '★' : ''}</td><td class="l">${esc(r.id)}</td>${t.keys.map((k) => `<td>${esc(r.params[k] === undefined ? '' : String(r.params[k]))}</td>`).join('')}<td>${r.seed ?? ''}</td><td class="l">${esc(r.state)}</td>${METRIC_KEYS.map((m) => `<td>${f3(r.final.values[m])}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<h2>Trials (best by ${esc(LABEL[t.metric])} first)</h2><table>${head}${body}</table>`;
}

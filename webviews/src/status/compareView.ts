/** The panel's comparison of runs: curves overlaid on shared axes, final metrics side by side, settings that differ. */
import { METRIC_KEYS, type MetricKey, type RunComparison } from '../../../server/src/protocol';
import { el, f3 } from './dom';
import { overlayChart, RUN_COLOURS } from './overlayChart';

const LABEL: Record<MetricKey, string> = { balancedAccuracy: 'balanced accuracy', accuracy: 'accuracy', auc: 'macro AUC', meanClassError: 'mean class error', loss: 'loss' };

export function renderComparison(c: RunComparison): HTMLElement {
  const colour = (i: number) => RUN_COLOURS[i % RUN_COLOURS.length]!;
  const legend = el('div', { class: 'legend' }, ...c.runs.map((r, i) => el('span', { style: `color:${colour(i)}` }, `■ ${r.runId} `)));
  const charts = METRIC_KEYS.filter((k) => c.runs.some((r) => r.curves[k]?.length)).map((k) =>
    overlayChart(`val ${LABEL[k]}`, c.runs.map((r, i) => ({ name: r.runId, points: r.curves[k] ?? [], colour: colour(i) }))),
  );
  const finals = el(
    'table',
    { class: 'grid', 'aria-label': 'final metrics' },
    el('thead', {}, el('tr', {}, el('th', { class: 'l' }, 'metric'), ...c.runs.map((r, i) => el('th', { style: `color:${colour(i)}` }, r.runId)))),
    el(
      'tbody',
      {},
      el('tr', {}, el('th', { class: 'l' }, 'from'), ...c.runs.map((r) => el('td', {}, r.final.split ? `${r.final.split}, epoch ${r.final.epoch}` : 'no metrics'))),
      ...METRIC_KEYS.filter((k) => c.runs.some((r) => r.final.values[k] !== undefined)).map((k) => el('tr', { 'data-metric': k }, el('th', { class: 'l' }, LABEL[k]), ...c.runs.map((r) => el('td', {}, f3(r.final.values[k]))))),
    ),
  );
  const diff = c.differences.length
    ? el(
        'table',
        { class: 'grid', 'aria-label': 'settings that differ' },
        el('thead', {}, el('tr', {}, el('th', { class: 'l' }, 'setting'), ...c.runs.map((r) => el('th', {}, r.runId)))),
        el('tbody', {}, ...c.differences.map((d) => el('tr', { 'data-key': d.key }, el('th', { class: 'l' }, d.key), ...d.values.map((v) => el('td', { class: 'l' }, v ?? '(unset)'))))),
      )
    : el('p', { class: 'muted' }, "The runs' resolved settings are identical.");
  return el('section', { class: 'compare' }, el('h3', {}, `Comparing ${c.runs.length} runs`), legend, el('div', { class: 'charts' }, ...charts), el('h4', {}, 'Final metrics'), finals, el('h4', {}, 'Settings that differ'), diff);
}

/**
 * Below the run list and detail: the sweeps of this workspace (each a sortable table) and the
 * comparison view (tick runs, Compare: curves overlaid, final metrics, settings diff).
 */
import type { MetricKey, PanelJob, RunComparison, SweepPanelRequests, SweepTable } from '../../../server/src/protocol';
import { renderComparison } from './compareView';
import { el } from './dom';
import { addStyle } from '../common/dom';
import { EXTRAS_STYLE } from './extrasStyle';
import { renderSweep } from './sweepView';

type Request = <K extends keyof SweepPanelRequests>(method: K, params: SweepPanelRequests[K]['params']) => Promise<SweepPanelRequests[K]['result']>;

export interface Extras {
  /** The run list changed (new runs to offer for comparison). */
  runsChanged(): void;
  sweep(t: SweepTable): void;
  compare(runDirs: string[]): void;
}

export function mountExtras(parent: HTMLElement, request: Request, runs: () => PanelJob[]): Extras {
  const sweeps = new Map<string, SweepTable>();
  const sortBy = new Map<string, MetricKey>();
  const picked = new Set<string>();
  let comparison: RunComparison | undefined;
  let error = '';
  const sweepsEl = el('div', { id: 'sweeps' });
  const pickEl = el('div', { id: 'compare-pick' });
  const compareEl = el('div', { id: 'compare' });
  addStyle(EXTRAS_STYLE);
  parent.append(el('section', { class: 'extras' }, sweepsEl, el('h3', {}, 'Compare runs'), pickEl, compareEl));

  const compare = (runDirs: string[]) => {
    error = '';
    request('compare', { runDirs }).then(
      (c) => {
        comparison = c;
        renderCompare();
      },
      (e: unknown) => {
        error = e instanceof Error ? e.message : String(e);
        renderCompare();
      },
    );
  };

  function renderSweeps(): void {
    const tables = [...sweeps.values()].sort((a, b) => b.id.localeCompare(a.id));
    sweepsEl.replaceChildren(
      ...tables.map((t) =>
        renderSweep(
          t,
          sortBy.get(t.id) ?? t.metric,
          (m) => {
            sortBy.set(t.id, m);
            renderSweeps();
            (sweepsEl.querySelector(`[data-sweep="${t.id}"] th[data-metric="${m}"]`) as HTMLElement | null)?.focus();
          },
          { compare, cancel: (dir) => void request('cancelSweep', { sweepDir: dir }).then((x) => sweepChanged(x)) },
        ),
      ),
    );
  }

  function renderPick(): void {
    // Runs come and go while a sweep streams in: a keyboard user keeps their place in the list.
    const focused = pickEl.contains(document.activeElement) ? (document.activeElement as HTMLElement) : undefined;
    const focusRun = focused?.getAttribute('data-run') ?? undefined;
    const focusAct = focused?.getAttribute('data-act') ?? undefined;
    const withRuns = runs().filter((j) => j.info.runDir);
    const boxes = withRuns.map((j) => {
      const box = el('input', { type: 'checkbox', 'data-run': j.info.runDir, 'aria-label': `compare ${j.info.runId || j.info.id}` });
      box.checked = picked.has(j.info.runDir);
      box.addEventListener('change', () => {
        if (box.checked) picked.add(j.info.runDir);
        else picked.delete(j.info.runDir);
        btn.toggleAttribute('disabled', picked.size < 2);
      });
      return el('label', { class: 'pick' }, box, ` ${j.info.runId || j.info.id} `, el('span', { class: 'muted' }, j.info.state));
    });
    const btn = el('button', { 'data-act': 'compareRuns' }, 'Compare');
    btn.toggleAttribute('disabled', picked.size < 2);
    btn.addEventListener('click', () => compare([...picked]));
    pickEl.replaceChildren(withRuns.length ? el('div', { class: 'picks' }, ...boxes) : el('p', { class: 'muted' }, 'No runs to compare yet.'), el('div', { class: 'buttons' }, btn));
    if (focusAct) btn.focus();
    else if (focusRun) boxes.map((b) => b.querySelector('input')).find((i) => i?.getAttribute('data-run') === focusRun)?.focus();
  }

  function renderCompare(): void {
    compareEl.replaceChildren(...(error ? [el('p', { class: 'error' }, error)] : []), ...(comparison ? [renderComparison(comparison)] : []));
  }

  function sweepChanged(t: SweepTable): void {
    sweeps.set(t.id, t);
    renderSweeps();
  }

  void request('sweeps', {}).then(
    (r) => {
      for (const t of r.sweeps) if (!sweeps.has(t.id)) sweeps.set(t.id, t);
      renderSweeps();
    },
    () => undefined,
  );
  renderPick();
  return { runsChanged: renderPick, sweep: sweepChanged, compare };
}

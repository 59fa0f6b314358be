/**
 * A sweep's table: one row per trial with its settings, state and final metrics (from the
 * trial's run folder: run.json and metrics.jsonl), the best trial marked, sortable by any metric.
 */
import type { MetricKey, SweepTable, TrialRow, TrialState } from '../protocol';
import { openRun, readMetrics } from '../runs/runDir';
import { better, finalMetrics } from '../runs/summary';
import { trialRunDir, type SweepRecord, type SweepTrialRecord } from './record';

/** What a scheduler knows that the run folder may not yet (a pending or killed array task). */
export interface SchedulerView {
  state: TrialState;
  scheduler?: string;
  error?: string;
}

/**
 * A trial's state when both its run folder and a scheduler speak: a task Slurm still runs is
 * running (it may be writing its last files after run.json said finished); one Slurm ended as
 * failed or cancelled is that; one that completed is what its run folder says.
 */
export function mergedState(run: TrialState | undefined, sched: SchedulerView | undefined): TrialState {
  if (!sched) return run ?? 'queued';
  if (sched.state === 'pending' || sched.state === 'running') return run ? 'running' : sched.state;
  if (sched.state === 'failed' || sched.state === 'cancelled') return sched.state;
  return run ?? sched.state;
}

async function row(t: SweepTrialRecord, sched: SchedulerView | undefined): Promise<TrialRow> {
  const base = { id: t.id, params: t.params, ...(t.seed !== undefined ? { seed: t.seed } : {}) };
  const runDir = trialRunDir(t);
  if (!runDir) return { ...base, state: sched?.state ?? 'not started', ...(sched?.scheduler ? { scheduler: sched.scheduler } : {}), ...(sched?.error ? { error: sched.error } : {}), epoch: 0, epochs: 0, final: { values: {} } };
  const run = await openRun(runDir).catch(() => undefined);
  const info = run?.info;
  const state = mergedState(info?.state, sched);
  return {
    ...base,
    state,
    ...(sched?.scheduler ? { scheduler: sched.scheduler } : {}),
    runDir,
    epoch: info?.epoch ?? 0,
    epochs: info?.epochs ?? 0,
    final: finalMetrics(await readMetrics(runDir)),
    ...(info?.error || sched?.error ? { error: info?.error ?? sched?.error } : {}),
  };
}

export function bestRow(rows: readonly TrialRow[], metric: MetricKey): TrialRow | undefined {
  let best: TrialRow | undefined;
  for (const r of rows) {
    const v = r.final.values[metric];
    if (v === undefined) continue;
    if (!best || better(metric, v, best.final.values[metric]!)) best = r;
  }
  return best;
}

export async function buildSweepTable(s: SweepRecord, scheduler?: ReadonlyMap<string, SchedulerView>): Promise<SweepTable> {
  const rows = await Promise.all(s.trials.map((t) => row(t, scheduler?.get(t.id))));
  const keys = [...new Set(s.trials.flatMap((t) => Object.keys(t.params)))];
  const best = bestRow(rows, s.metric);
  return {
    id: s.id,
    dir: s.dir,
    name: s.name,
    experimentPath: s.experimentPath,
    metric: s.metric,
    keys,
    rows,
    ...(best ? { bestId: best.id } : {}),
    ...(s.slurm ? { slurmJobId: s.slurm.jobId } : {}),
  };
}

/** Rows ordered best-first by `metric` (rows without it last, in trial order). */
export function sortRows(rows: readonly TrialRow[], metric: MetricKey): TrialRow[] {
  return [...rows].sort((a, b) => {
    const va = a.final.values[metric];
    const vb = b.final.values[metric];
    if (va === undefined || vb === undefined) return va === undefined ? (vb === undefined ? a.id.localeCompare(b.id) : 1) : -1;
    return better(metric, va, vb) ? -1 : better(metric, vb, va) ? 1 : a.id.localeCompare(b.id);
  });
}

const f3 = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));

/** The table as text, best-first by `metric`; '*' marks the best trial. */
export function formatSweepTable(t: SweepTable, metric: MetricKey = t.metric): string[] {
  const metrics: MetricKey[] = ['balancedAccuracy', 'accuracy', 'auc', 'meanClassError', 'loss'];
  const head = ['', 'trial', ...t.keys, 'seed', 'state', ...metrics.map((m) => (m === metric ? `${m} ↓` : m))];
  const body = sortRows(t.rows, metric).map((r) => [
    r.id === t.bestId ? '*' : '',
    r.id,
    ...t.keys.map((k) => (r.params[k] === undefined ? '' : String(r.params[k]))),
    r.seed === undefined ? '' : String(r.seed),
    r.scheduler ? `${r.state} (${r.scheduler})` : r.state,
    ...metrics.map((m) => f3(r.final.values[m])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...body.map(line), ...(t.bestId ? [`* best by ${t.metric}: ${t.bestId}`] : [])];
}

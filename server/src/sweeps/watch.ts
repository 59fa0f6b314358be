/**
 * Follows a sweep until every trial has ended: rebuilds its table on each tick (run folders, plus
 * Slurm's view for a submitted sweep) and reports trials whose state or metrics changed.
 */
import * as os from 'node:os';
import type { SweepTable, TrialRow } from '../protocol';
import { slurmTrialStates } from '../slurm/sweep';
import { openSweep, type SweepRecord } from './record';
import { buildSweepTable } from './table';

export const ENDED_TRIAL_STATES: readonly TrialRow['state'][] = ['finished', 'failed', 'cancelled', 'interrupted', 'paused'];

export function sweepEnded(t: SweepTable): boolean {
  return t.rows.every((r) => ENDED_TRIAL_STATES.includes(r.state));
}

/** The current table of a sweep folder (asks Slurm when it was submitted there). */
export async function currentTable(s: SweepRecord): Promise<SweepTable> {
  return buildSweepTable(s, s.slurm ? await slurmTrialStates(s) : undefined);
}

/** A row's identity for change detection. */
const rowKey = (r: TrialRow) => `${r.state}|${r.scheduler ?? ''}|${r.epoch}|${JSON.stringify(r.final.values)}`;

export async function watchSweep(dir: string, o: { intervalMs: number; signal?: AbortSignal; onChange: (t: SweepTable, changed: TrialRow[]) => void }): Promise<SweepTable> {
  const seen = new Map<string, string>();
  for (;;) {
    const t = await currentTable(await openSweep(dir));
    const changed = t.rows.filter((r) => seen.get(r.id) !== rowKey(r));
    for (const r of changed) seen.set(r.id, rowKey(r));
    if (changed.length) o.onChange(t, changed);
    if (sweepEnded(t) || o.signal?.aborted) return t;
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}

/** wasm threads per trial when `concurrency` trials share this machine. */
export function threadsPerTrial(concurrency: number): number {
  return Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, concurrency)));
}

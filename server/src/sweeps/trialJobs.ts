/**
 * A Slurm trial as a job the panel already knows how to show: a JobInfo per array task, and its
 * metrics.jsonl records (read from the shared filesystem) as metrics events, each sent once.
 */
import * as path from 'node:path';
import type { JobEvent, JobInfo, JobState, SweepTable, TrialRow } from '../protocol';
import { readMetrics } from '../runs/runDir';

export function slurmTaskJobId(jobId: string, task: number): string {
  return `slurm-${jobId}_${task}`;
}

function jobState(s: TrialRow['state']): JobState {
  return s === 'pending' || s === 'not started' ? 'queued' : s;
}

export function trialJobInfo(t: SweepTable, r: TrialRow, task: number, createdAt: string, method: string): JobInfo {
  return {
    id: slurmTaskJobId(t.slurmJobId ?? '?', task),
    runId: r.runDir ? path.basename(r.runDir) : `${t.id}/${r.id}`,
    runDir: r.runDir ?? '',
    experimentPath: t.experimentPath,
    method: typeof r.params.method === 'string' ? r.params.method : method,
    action: 'train',
    state: jobState(r.state),
    createdAt,
    epoch: r.epoch,
    epochs: r.epochs,
    ...(r.error ? { error: r.error } : {}),
  };
}

/** Follows one sweep's trials between polls: the events that are new since the last call. */
export class TrialJobFeed {
  private readonly lastState = new Map<string, string>();
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly createdAt: string,
    private readonly method: string,
  ) {}

  async next(t: SweepTable): Promise<JobEvent[]> {
    const out: JobEvent[] = [];
    for (const [task, r] of t.rows.entries()) {
      const job = trialJobInfo(t, r, task, this.createdAt, this.method);
      const key = JSON.stringify([job.state, job.epoch, job.runDir, job.error]);
      if (this.lastState.get(job.id) !== key) {
        this.lastState.set(job.id, key);
        out.push({ jobId: job.id, kind: 'state', job });
      }
      if (!r.runDir) continue;
      const metrics = await readMetrics(r.runDir);
      const from = this.sent.get(job.id) ?? 0;
      for (const m of metrics.slice(from)) out.push({ jobId: job.id, kind: 'metrics', metrics: m });
      this.sent.set(job.id, metrics.length);
    }
    return out;
  }
}

/**
 * A sweep's trials as jobs the panel already knows how to show: a JobInfo per Slurm array task
 * (its metrics.jsonl records, read from the shared filesystem, as metrics events, each sent once),
 * and a local sweep's own job list read back from its folder.
 */
import * as path from 'node:path';
import type { JobEvent, JobInfo, JobState, SweepTable, TrialRow } from '../protocol';
import { JobStore } from '../jobs/store';
import { readMetrics } from '../runs/runDir';
import type { SweepRecord } from './record';

export function slurmTaskJobId(jobId: string, task: number): string {
  return `slurm-${jobId}_${task}`;
}

/** `slurm-1234_2` -> the array job id and task; undefined for any other job id. */
export function parseSlurmTaskJobId(id: string): { jobId: string; task: number } | undefined {
  const m = /^slurm-(\d+)_(\d+)$/.exec(id);
  return m ? { jobId: m[1]!, task: Number(m[2]) } : undefined;
}

/** The job list a local sweep keeps in its folder (read only: trials that were running when their server stopped are interrupted). */
export function localTrialJobs(s: SweepRecord): JobInfo[] {
  return new JobStore(path.join(s.dir, 'jobs.json'), { readOnly: () => true }).load();
}

/** Every trial of a Slurm sweep as a job, from its current table. */
export function slurmTrialJobs(s: SweepRecord, t: SweepTable, method: string): JobInfo[] {
  return t.rows.map((r, task) => trialJobInfo(t, r, task, s.createdAt, method));
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

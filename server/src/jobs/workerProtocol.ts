/** Messages between the job queue (server) and a job's worker process (Node IPC). */
import type { RunEvent } from '../runs/runner';
import type { RunInfo } from '../runs/runDir';
import type { BackendPreference, EvalMetrics, JobAction } from '../protocol';

export interface WorkerTask {
  action: JobAction;
  experimentPath?: string;
  /** Run folder to resume (train) or to evaluate. */
  runDir?: string;
  outDir?: string;
  backend: BackendPreference;
  threads: number;
}

/** The task is the first message (over IPC, not argv: argv has a size limit and is visible to every user in `ps`). */
export type ToWorker = { type: 'task'; task: WorkerTask } | { type: 'cancel' } | { type: 'pause' };

export type FromWorker =
  | { type: 'created'; info: RunInfo }
  | { type: 'event'; event: RunEvent }
  | { type: 'evaluated'; metrics: EvalMetrics }
  | { type: 'done'; info?: RunInfo }
  | { type: 'error'; message: string };

/**
 * Runs a sweep's trials on the local job queue: one worker process per trial, at most
 * `concurrency` at once, every job event passed on with the trial it belongs to. The queue's
 * list is kept in the sweep folder (jobs.json), so it does not mix with the editor's own jobs.
 */
import * as path from 'node:path';
import type { BackendPreference, JobEvent, JobInfo } from '../protocol';
import { JobQueue } from '../jobs/queue';
import { JobStore } from '../jobs/store';
import type { SweepRecord } from './record';

export interface LocalSweepOptions {
  workerScript: string;
  backend: BackendPreference;
  /** wasm threads per trial. */
  threads: number;
  concurrency: number;
  onEvent?: (trialId: string, e: JobEvent) => void;
}

const ENDED = new Set(['finished', 'failed', 'cancelled', 'paused', 'interrupted']);

export interface LocalSweep {
  queue: JobQueue;
  /** Job id -> trial id. */
  trialOf: ReadonlyMap<string, string>;
  /** Resolves when every trial has ended (in any state), with the jobs' last records. */
  done: Promise<JobInfo[]>;
  cancel(): void;
}

export function runSweepLocally(s: SweepRecord, o: LocalSweepOptions): LocalSweep {
  const trialOf = new Map<string, string>();
  // Events fire inside queue.start (queued, then running): find the trial by its experiment file.
  const byFile = new Map(s.trials.map((t) => [path.resolve(t.experimentFile), t.id]));
  let resolveDone!: (jobs: JobInfo[]) => void;
  const done = new Promise<JobInfo[]>((r) => (resolveDone = r));
  let started = false;
  const queue: JobQueue = new JobQueue({
    workerScript: o.workerScript,
    store: new JobStore(path.join(s.dir, 'jobs.json')),
    backend: o.backend,
    threads: o.threads,
    concurrency: o.concurrency,
    emit: (e) => {
      const file = e.kind === 'state' ? e.job.experimentPath : queue.get(e.jobId)?.experimentPath;
      const trial = file ? byFile.get(path.resolve(file)) : undefined;
      if (trial) o.onEvent?.(trial, e);
      if (started && e.kind === 'state' && queue.list().every((j) => ENDED.has(j.state))) resolveDone(queue.list());
    },
  });
  for (const t of s.trials) trialOf.set(queue.start(t.experimentFile, 'train').id, t.id);
  started = true;
  const q = queue;
  return {
    queue,
    trialOf,
    done,
    cancel() {
      for (const j of q.list()) if (j.state === 'queued' || j.state === 'running') q.cancel(j.id);
    },
  };
}

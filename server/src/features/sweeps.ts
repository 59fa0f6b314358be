/**
 * Sweeps and comparisons over LSP: start a sweep (local job queue with its concurrency limit, or
 * a Slurm array through sbatch), follow it (trials stream as ordinary job events, so the panel
 * shows them like any run; a Slurm sweep is polled with squeue/scontrol and its metrics read from
 * the shared filesystem), cancel it (scancel on Slurm), list sweeps with their tables, compare runs.
 */
import * as path from 'node:path';
import { loadExperiment } from '../experiment/load';
import { CancelSweepRequest, CompareRunsRequest, JobEventNotification, ListSweepsRequest, StartSweepRequest, SweepChangedNotification, type JobEvent, type JobInfo, type SweepTable } from '../protocol';
import { invalidParams, onRequest, sendNotification } from '../lsp/typed';
import { compareRuns } from '../runs/compare';
import { cancelSlurmSweep, defaultCli, submitSweep } from '../slurm/sweep';
import { scancel } from '../slurm/commands';
import { runSweepLocally, type LocalSweep } from '../sweeps/local';
import { createSweep, listSweeps, openSweep, type SweepRecord } from '../sweeps/record';
import { buildSweepTable } from '../sweeps/table';
import { TrialJobFeed } from '../sweeps/trialJobs';
import { currentTable, sweepEnded, threadsPerTrial } from '../sweeps/watch';
import { experimentPath, requestPath } from './paths';
import type { ServerContext, ServerFeature } from './types';

/** How often a Slurm sweep is polled (squeue/scontrol are cheap, but the controller is shared). */
const SLURM_POLL_MS = Number(process.env.MEDSTUDIO_SLURM_POLL_MS) || 5000;

interface Active {
  record: SweepRecord;
  local?: LocalSweep;
  timer?: NodeJS.Timeout;
}

const active = new Map<string, Active>();
/** The latest JobInfo of every Slurm trial this server follows (for cancel from the panel). */
const slurmJobs = new Map<string, JobInfo>();

async function tableOf(s: SweepRecord): Promise<SweepTable> {
  // A sweep submitted from another machine (or with Slurm gone) still shows what its run folders say.
  return currentTable(s).catch(() => buildSweepTable(s));
}

function followSlurm(ctx: ServerContext, a: Active, method: string): void {
  const feed = new TrialJobFeed(a.record.createdAt, method);
  let last = '';
  const tick = async () => {
    try {
      const t = await currentTable(a.record);
      for (const e of await feed.next(t)) {
        if (e.kind === 'state') slurmJobs.set(e.jobId, e.job);
        sendNotification(ctx.connection, JobEventNotification, e);
      }
      const key = JSON.stringify(t.rows);
      if (key !== last) sendNotification(ctx.connection, SweepChangedNotification, t);
      last = key;
      if (sweepEnded(t)) return void active.delete(a.record.dir);
    } catch (e) {
      ctx.log(`sweep ${a.record.id}: ${(e as Error).message}`);
    }
    a.timer = setTimeout(() => void tick(), SLURM_POLL_MS);
  };
  void tick();
}

function runLocal(ctx: ServerContext, a: Active): void {
  const init = ctx.initOptions();
  let pending: Promise<void> = Promise.resolve();
  const changed = () => {
    pending = pending.then(async () => sendNotification(ctx.connection, SweepChangedNotification, await buildSweepTable(a.record)));
  };
  a.local = runSweepLocally(a.record, {
    workerScript: path.join(__dirname, 'jobWorker.js'),
    backend: init.backend,
    threads: init.threads || threadsPerTrial(a.record.concurrency),
    concurrency: a.record.concurrency,
    onEvent: (_trial, e: JobEvent) => {
      sendNotification(ctx.connection, JobEventNotification, e);
      if (e.kind !== 'progress') changed();
    },
  });
  void a.local.done.then(() => {
    changed();
    active.delete(a.record.dir);
  });
}

/**
 * Cancels a Slurm trial shown in the panel (job id `slurm-<array>_<task>`) with scancel of that
 * task; undefined for other jobs. The state change arrives with the next poll.
 */
export async function cancelSlurmTrial(jobId: string): Promise<JobInfo | undefined> {
  const job = slurmJobs.get(jobId);
  const m = /^slurm-(\d+)_(\d+)$/.exec(jobId);
  if (!job || !m) return undefined;
  await scancel(`${m[1]}_${m[2]}`);
  return job;
}

export const sweepsFeature: ServerFeature = {
  name: 'sweeps',
  register(ctx) {
    onRequest(ctx.connection, StartSweepRequest, async (p) => {
      if (!ctx.trusted()) invalidParams('training is disabled until you trust this workspace');
      const exp = await loadExperiment(experimentPath(ctx, p.experimentPath));
      const single = p.single === true || !exp.sweep;
      if (single && !p.slurm) invalidParams(`${p.experimentPath} has no sweep: block`);
      let record = await createSweep(exp, { single });
      const a: Active = { record };
      if (p.slurm) {
        record = a.record = await submitSweep(record, exp.cluster ?? {}, defaultCli());
        active.set(record.dir, a);
        followSlurm(ctx, a, exp.method);
      } else {
        active.set(record.dir, a);
        runLocal(ctx, a);
      }
      return tableOf(record);
    });
    onRequest(ctx.connection, ListSweepsRequest, async () => {
      const root = ctx.workspaceRoots()[0];
      const dirs = root ? listSweeps(root) : [];
      return { sweeps: await Promise.all(dirs.map(async (d) => tableOf(active.get(d)?.record ?? (await openSweep(d))))) };
    });
    onRequest(ctx.connection, CancelSweepRequest, async (p) => {
      const sweepDir = requestPath(ctx, p.sweepDir, 'sweepDir', 'write');
      const a = active.get(sweepDir) ?? active.get(path.resolve(p.sweepDir));
      const record = a?.record ?? (await openSweep(sweepDir));
      if (a?.local) a.local.cancel();
      else if (record.slurm) await cancelSlurmSweep(record);
      else invalidParams(`sweep ${record.id} is not running here`);
      return tableOf(record);
    });
    onRequest(ctx.connection, CompareRunsRequest, (p) => {
      if (p.runDirs.length < 2) invalidParams('runDirs: two or more run folders');
      return compareRuns(p.runDirs.map((d, i) => requestPath(ctx, d, `runDirs/${i}`, 'read')));
    });
    ctx.connection.onShutdown(() => {
      for (const a of active.values()) {
        if (a.timer) clearTimeout(a.timer);
        a.local?.queue.dispose();
      }
    });
  },
};

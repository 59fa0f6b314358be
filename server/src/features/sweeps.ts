/**
 * Sweeps and comparisons over LSP: start a sweep (local job queue with its concurrency limit, or
 * a Slurm array through sbatch), follow it (trials stream as ordinary job events, so the panel
 * shows them like any run; a Slurm sweep is polled with squeue/scontrol and its metrics read from
 * the shared filesystem), cancel it (scancel on Slurm), list sweeps with their tables, compare runs.
 * Everything is read back from the sweep folders, so a reloaded window (a new server) lists every
 * trial again and follows the Slurm arrays that are still running.
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
import { localTrialJobs, parseSlurmTaskJobId, slurmTrialJobs, TrialJobFeed } from '../sweeps/trialJobs';
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

/** The method trials run when they do not sweep over it (older sweep.json files did not record it). */
async function methodOf(s: SweepRecord): Promise<string> {
  if (s.method) return s.method;
  const first = s.trials[0];
  return first ? (await loadExperiment(first.experimentFile).catch(() => undefined))?.method ?? '' : '';
}

/** The workspace's sweeps, each from its folder (or the live record this server holds). */
async function workspaceSweeps(ctx: ServerContext): Promise<SweepRecord[]> {
  const root = ctx.workspaceRoots()[0];
  const out: SweepRecord[] = [];
  for (const d of root ? listSweeps(root) : []) {
    const live = active.get(d)?.record;
    if (live) out.push(live);
    else await openSweep(d).then((r) => out.push(r), (e: Error) => ctx.log(`sweep ${d}: ${e.message}`));
  }
  return out;
}

/** Tables of Slurm sweeps that ended: they no longer change, so Slurm is not asked again. */
const endedSlurmTables = new Map<string, SweepTable>();

/**
 * A sweep's current table. A Slurm sweep still running that this server does not follow (the
 * window was reloaded, the server restarted) is followed again from its folder.
 */
async function liveTable(ctx: ServerContext, s: SweepRecord): Promise<SweepTable> {
  const ended = endedSlurmTables.get(s.dir);
  if (ended) return ended;
  const t = await tableOf(s);
  if (!s.slurm) return t;
  if (sweepEnded(t)) endedSlurmTables.set(s.dir, t);
  else if (!active.has(s.dir)) {
    const again: Active = { record: s };
    active.set(s.dir, again);
    ctx.log(`sweep ${s.id}: following Slurm job ${s.slurm.jobId} again`);
    followSlurm(ctx, again, await methodOf(s));
  }
  return t;
}

/** Every sweep trial of the workspace as a job for the panel's run list: a local sweep's own job list, a Slurm sweep's array tasks. */
export async function sweepTrialJobs(ctx: ServerContext): Promise<JobInfo[]> {
  const jobs: JobInfo[] = [];
  for (const s of await workspaceSweeps(ctx)) {
    const local = active.get(s.dir)?.local;
    if (!s.slurm) jobs.push(...(local ? local.queue.list() : localTrialJobs(s)));
    else jobs.push(...slurmTrialJobs(s, await liveTable(ctx, s), await methodOf(s)));
  }
  return jobs;
}

/**
 * Cancels or pauses a sweep trial shown in the panel; undefined for jobs that are not trials.
 * A Slurm trial (job id `slurm-<array>_<task>`) is scancel'ed, but only when a sweep of this
 * workspace submitted that array; its state change arrives with the next poll. Slurm has no pause.
 */
export async function stopSweepTrial(ctx: ServerContext, jobId: string, how: 'cancel' | 'pause'): Promise<JobInfo | undefined> {
  for (const a of active.values()) if (a.local?.queue.get(jobId)) return how === 'cancel' ? a.local.queue.cancel(jobId) : a.local.queue.pause(jobId);
  const task = parseSlurmTaskJobId(jobId);
  if (!task) return undefined;
  const s = (await workspaceSweeps(ctx)).find((x) => x.slurm?.jobId === task.jobId && task.task < x.trials.length);
  if (!s) invalidParams(`jobId: ${jobId} is not a trial of a sweep in this workspace`);
  if (how === 'pause') invalidParams(`${jobId} runs on Slurm, which cannot pause it: cancel it, then resume its run folder`);
  await scancel(`${task.jobId}_${task.task}`);
  return slurmJobs.get(jobId) ?? slurmTrialJobs(s, await tableOf(s), await methodOf(s))[task.task];
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
    onRequest(ctx.connection, ListSweepsRequest, async () => ({ sweeps: await Promise.all((await workspaceSweeps(ctx)).map((s) => liveTable(ctx, s))) }));
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

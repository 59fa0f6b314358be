/**
 * A sweep on Slurm: write the array script into the sweep folder, submit it with the real
 * `sbatch`, and read each trial's state back from `squeue` (live tasks), then `sacct` or
 * `scontrol show job` (ended ones). Metrics come from the trials' run folders on the shared
 * filesystem, as for local trials.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../data/atomicWrite';
import type { ClusterBlock } from '../experiment/types';
import type { TrialState } from '../protocol';
import { writeSweep, type SweepRecord } from '../sweeps/record';
import type { SchedulerView } from '../sweeps/table';
import { sacct, sbatch, scancel, scontrolTasks, squeue, type TaskState } from './commands';
import { arrayScript } from './script';

/** Slurm's job states -> a trial's. */
export function trialStateOf(slurmState: string): TrialState {
  const s = slurmState.replace(/\+$/, '');
  if (['PENDING', 'CONFIGURING', 'REQUEUED', 'RESV_DEL_HOLD', 'REQUEUE_HOLD', 'SUSPENDED'].includes(s)) return 'pending';
  if (['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING'].includes(s)) return 'running';
  if (s === 'COMPLETED') return 'finished';
  if (s.startsWith('CANCELLED') || s === 'PREEMPTED' || s === 'REVOKED') return 'cancelled';
  return 'failed'; // FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, BOOT_FAIL, DEADLINE
}

/** Writes the array script and submits it; records the job id in sweep.json. */
export async function submitSweep(s: SweepRecord, resources: ClusterBlock, cli: [string, string], trainArgs: string[] = []): Promise<SweepRecord> {
  const slurmDir = path.join(s.dir, 'slurm');
  const logsDir = path.join(slurmDir, 'logs');
  await fs.promises.mkdir(logsDir, { recursive: true });
  const script = path.join(slurmDir, 'array.sbatch');
  await writeFileAtomic(script, arrayScript({ name: s.name, trialFiles: s.trials.map((t) => t.experimentFile), logsDir, resources, cli, trainArgs }));
  const { jobId, cluster } = await sbatch(script);
  const submitted: SweepRecord = { ...s, slurm: { jobId, ...(cluster ? { cluster } : {}), script, logsDir, submittedAt: new Date().toISOString() } };
  await writeSweep(submitted);
  return submitted;
}

function view(t: TaskState, jobId: string, task: number, logsDir: string): SchedulerView {
  const state = trialStateOf(t.state);
  const words = t.reason ? `${t.state} (${t.reason})` : t.state;
  const log = path.join(logsDir, `${jobId}_${task}.out`);
  return {
    state,
    scheduler: words,
    ...(state === 'failed' ? { error: `Slurm: ${words}${t.exitCode ? `, exit ${t.exitCode}` : ''}; log ${log}` } : {}),
  };
}

/** Trial id -> what Slurm says about its task (live tasks from squeue, ended ones from sacct or scontrol). */
export async function slurmTrialStates(s: SweepRecord): Promise<Map<string, SchedulerView>> {
  const out = new Map<string, SchedulerView>();
  if (!s.slurm) return out;
  const { jobId, logsDir } = s.slurm;
  const live = await squeue(jobId);
  const ended = (await sacct(jobId)) ?? (await scontrolTasks(jobId));
  s.trials.forEach((t, i) => {
    const st = live.get(i) ?? ended.get(i);
    // Without accounting, the controller forgets ended tasks after MinJobAge: the run folder tells the rest.
    out.set(t.id, st ? view(st, jobId, i, logsDir) : { state: 'interrupted', scheduler: 'no longer known to Slurm' });
  });
  return out;
}

/** How a compute node runs the CLI: this Node and this installation's bin/medstudio.js (bundles live in dist/). */
export function defaultCli(): [string, string] {
  return [process.execPath, path.join(__dirname, '..', 'bin', 'medstudio.js')];
}

export async function cancelSlurmSweep(s: SweepRecord): Promise<void> {
  if (!s.slurm) throw new Error(`sweep ${s.id} was not submitted to Slurm`);
  await scancel(s.slurm.jobId);
}

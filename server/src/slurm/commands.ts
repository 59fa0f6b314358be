/**
 * Slurm's own command-line tools, called as a user would: `sbatch --parsable`, `squeue`,
 * `scontrol show job`, `sacct` (where accounting is enabled) and `scancel`. No shell: arguments
 * go to execFile as a list. Their environment (SLURM_CONF, PATH) is the caller's.
 */
import { execFile } from 'node:child_process';

export class SlurmError extends Error {}

/** Runs one Slurm command; rejects with its stderr (or why it could not start). */
export function slurmCommand(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new SlurmError(`'${cmd}' was not found on PATH: is this a Slurm login node?`));
      reject(new SlurmError(`${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
    });
  });
}

/** `sbatch --parsable script` -> the job id ("1234", or "1234;cluster" on a federation). */
export async function sbatch(script: string): Promise<{ jobId: string; cluster?: string }> {
  const out = (await slurmCommand('sbatch', ['--parsable', script])).trim().split('\n').pop() ?? '';
  const m = /^(\d+)(?:;(\S+))?$/.exec(out);
  if (!m) throw new SlurmError(`sbatch printed no job id: '${out}'`);
  return { jobId: m[1]!, ...(m[2] ? { cluster: m[2] } : {}) };
}

export interface TaskState {
  /** Slurm's state word: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ... */
  state: string;
  reason?: string;
  exitCode?: string;
}

/** squeue's view of an array job's live tasks (array task id -> state); ended tasks are absent. */
export async function squeue(jobId: string): Promise<Map<number, TaskState>> {
  let out: string;
  try {
    out = await slurmCommand('squeue', ['-h', '-r', '-j', jobId, '-o', '%K|%T|%r']);
  } catch (e) {
    // Once every task has left the queue, squeue rejects the id on some versions.
    if (/Invalid job id/i.test((e as Error).message)) return new Map();
    throw e;
  }
  return parseSqueue(out);
}

export function parseSqueue(out: string): Map<number, TaskState> {
  const tasks = new Map<number, TaskState>();
  for (const line of out.split('\n')) {
    const [task, state, reason] = line.trim().split('|');
    if (!task || !state || !/^\d+$/.test(task)) continue;
    tasks.set(Number(task), { state, ...(reason && reason !== 'None' ? { reason } : {}) });
  }
  return tasks;
}

/** `scontrol show job -o`: every task the controller still remembers (ended ones too, for MinJobAge). */
export async function scontrolTasks(jobId: string): Promise<Map<number, TaskState>> {
  try {
    return parseScontrol(await slurmCommand('scontrol', ['show', 'job', '-o', jobId]));
  } catch (e) {
    if (/Invalid job id/i.test((e as Error).message)) return new Map();
    throw e;
  }
}

export function parseScontrol(out: string): Map<number, TaskState> {
  const tasks = new Map<number, TaskState>();
  for (const line of out.split('\n')) {
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S+)`).exec(line)?.[1];
    const task = field('ArrayTaskId');
    const state = field('JobState');
    if (!task || !state || !/^\d+$/.test(task)) continue;
    const reason = field('Reason');
    const exitCode = field('ExitCode');
    tasks.set(Number(task), { state, ...(reason && reason !== 'None' ? { reason } : {}), ...(exitCode ? { exitCode } : {}) });
  }
  return tasks;
}

/** sacct's record of ended tasks; undefined where accounting storage is disabled (no slurmdbd). */
export async function sacct(jobId: string): Promise<Map<number, TaskState> | undefined> {
  let out: string;
  try {
    out = await slurmCommand('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode']);
  } catch (e) {
    if (/accounting storage is disabled/i.test((e as Error).message)) return undefined;
    throw e;
  }
  if (/accounting storage is disabled/i.test(out)) return undefined;
  const tasks = new Map<number, TaskState>();
  for (const line of out.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    const m = id ? /_(\d+)$/.exec(id) : null;
    if (!m || !state) continue;
    tasks.set(Number(m[1]), { state: state.split(' ')[0]!, ...(exitCode ? { exitCode } : {}) });
  }
  return tasks;
}

export async function scancel(jobId: string): Promise<void> {
  await slurmCommand('scancel', [jobId]);
}

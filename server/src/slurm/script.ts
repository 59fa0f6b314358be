/**
 * The sbatch script of a sweep: one array job, task i runs `medstudio train` on trial i's
 * experiment file. Resources come from the experiment's `cluster:` block, flags override them.
 */
import type { ClusterBlock } from '../experiment/types';

export interface ScriptInputs {
  name: string;
  trialFiles: string[];
  /** Where each task's stdout/stderr goes (%A = array job id, %a = task id). */
  logsDir: string;
  resources: ClusterBlock;
  /** The command that runs the CLI on a compute node: [node, bin/medstudio.js]. */
  cli: [string, string];
  /** Extra `medstudio train` arguments (e.g. --backend). */
  trainArgs?: string[];
}

/** Single-quotes for bash. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Slurm directive values must not break the `#SBATCH` line. */
function directive(flag: string, value: string | number | undefined): string[] {
  if (value === undefined || value === '') return [];
  const v = String(value);
  if (/[\s'"\\]/.test(v)) throw new Error(`cluster setting ${flag}='${v}' has spaces or quotes`);
  return [`#SBATCH --${flag}=${v}`];
}

export function arrayScript(i: ScriptInputs): string {
  const r = i.resources;
  const n = i.trialFiles.length;
  if (!n) throw new Error('a sweep without trials has nothing to submit');
  const jobName = `medstudio-${i.name}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64);
  return [
    '#!/bin/bash',
    `# A MedStudio sweep: ${n} trial(s), one array task each. Written by 'medstudio sweep --slurm'.`,
    ...directive('job-name', jobName),
    ...directive('array', `0-${n - 1}${r.maxParallel ? `%${r.maxParallel}` : ''}`),
    ...directive('output', `${i.logsDir}/%A_%a.out`),
    ...directive('partition', r.partition),
    ...directive('account', r.account),
    ...directive('qos', r.qos),
    ...directive('cpus-per-task', r.cpus),
    ...directive('mem', r.memory),
    ...(r.gpus ? directive('gres', `gpu:${r.gpus}`) : []),
    ...directive('time', r.time),
    'set -euo pipefail',
    ...(r.setup ? [r.setup] : []),
    `TRIALS=(${i.trialFiles.map(shq).join(' ')})`,
    'echo "medstudio: task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID} on $(hostname): ${TRIALS[$SLURM_ARRAY_TASK_ID]}"',
    `exec ${shq(i.cli[0])} ${shq(i.cli[1])} train "\${TRIALS[$SLURM_ARRAY_TASK_ID]}"${(i.trainArgs ?? []).map((a) => ' ' + shq(a)).join('')}`,
    '',
  ].join('\n');
}

/** The Slurm resource flags `sweep --slurm` and `submit --slurm` share, over the experiment's cluster: block. */
import type { ClusterBlock } from '../../experiment/types';
import { UsageError } from '../types';

export const CLUSTER_OPTIONS = {
  slurm: { type: 'boolean' },
  partition: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
  cpus: { type: 'string' },
  mem: { type: 'string' },
  gpus: { type: 'string' },
  time: { type: 'string' },
  'max-parallel': { type: 'string' },
  detach: { type: 'boolean' },
  poll: { type: 'string' },
} as const;

export const CLUSTER_USAGE = '[--slurm [--partition P] [--account A] [--qos Q] [--cpus N] [--mem 8G] [--gpus N] [--time HH:MM:SS] [--max-parallel N] [--detach] [--poll SECONDS]]';

function int(name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number >= ${min}, not '${String(v)}'`);
  return n;
}

export function clusterResources(block: ClusterBlock | undefined, values: Record<string, unknown>): ClusterBlock {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const pick = <T>(flag: T | undefined, fromFile: T | undefined) => (flag !== undefined ? flag : fromFile);
  const r: ClusterBlock = {
    ...block,
    partition: pick(s('partition'), block?.partition),
    account: pick(s('account'), block?.account),
    qos: pick(s('qos'), block?.qos),
    cpus: pick(int('cpus', values.cpus, 1), block?.cpus),
    memory: pick(s('mem'), block?.memory),
    gpus: pick(int('gpus', values.gpus, 0), block?.gpus),
    time: pick(s('time'), block?.time),
    maxParallel: pick(int('max-parallel', values['max-parallel'], 1), block?.maxParallel),
  };
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as ClusterBlock;
}

export function pollMs(values: Record<string, unknown>): number {
  return (int('poll', values.poll, 1) ?? 10) * 1000;
}

/**
 * `medstudio sweep <experiment>`: expands the experiment's `sweep:` block into trials and runs
 * them on the local job queue (`--concurrency N`, default sweep.concurrency) or, with --slurm,
 * as one Slurm job array. `medstudio sweep <sweep-folder>` prints an existing sweep's table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadExperiment } from '../../experiment/load';
import { METRIC_KEYS, type MetricKey } from '../../protocol';
import { cancelSlurmSweep } from '../../slurm/sweep';
import { createSweep, openSweep, SWEEP_FILE } from '../../sweeps/record';
import { formatSweepTable } from '../../sweeps/table';
import { currentTable } from '../../sweeps/watch';
import { UsageError, type CliCommand } from '../types';
import { CLUSTER_OPTIONS, CLUSTER_USAGE } from './clusterFlags';
import { runSweepCli } from './sweepRun';

export function sortKey(v: unknown, fallback: MetricKey): MetricKey {
  if (v === undefined) return fallback;
  if (!(METRIC_KEYS as readonly string[]).includes(String(v))) throw new UsageError(`--sort must be one of ${METRIC_KEYS.join(', ')}`);
  return v as MetricKey;
}

export const sweep: CliCommand = {
  name: 'sweep',
  summary: "run an experiment's sweep: block (grid/random trials) locally or on Slurm; or show a sweep's table",
  usage: `medstudio sweep <experiment | sweep-folder [--cancel]> [--concurrency N] [--out DIR] [--sort METRIC] [--backend B] ${CLUSTER_USAGE} [--json]`,
  options: { cancel: { type: 'boolean' }, concurrency: { type: 'string' }, out: { type: 'string' }, sort: { type: 'string' }, backend: { type: 'string' }, ...CLUSTER_OPTIONS },
  async run({ positionals, values }, io) {
    const [target, ...extra] = positionals;
    if (!target) throw new UsageError('name an experiment file with a sweep: block (or a sweep folder)');
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (values.concurrency !== undefined && !(Number.isInteger(Number(values.concurrency)) && Number(values.concurrency) >= 1)) throw new UsageError('--concurrency must be a whole number >= 1');
    if (fs.existsSync(path.join(target, SWEEP_FILE))) {
      const record = await openSweep(target);
      if (values.cancel) {
        await cancelSlurmSweep(record);
        io.err(`scancel ${record.slurm!.jobId}`);
      }
      const t = await currentTable(record);
      const sort = sortKey(values.sort, t.metric);
      if (!io.json) for (const l of formatSweepTable(t, sort)) io.out(l);
      return t;
    }
    const exp = await loadExperiment(path.resolve(target));
    if (!exp.sweep) throw new UsageError(`${target} has no sweep: block; add one (sweep: { params: { train.lr: [0.001, 0.01] } }) or use 'medstudio train'`);
    const s = await createSweep(exp, { outDir: values.out as string | undefined });
    return runSweepCli(s, exp, values, io, sortKey(values.sort, s.metric));
  },
};

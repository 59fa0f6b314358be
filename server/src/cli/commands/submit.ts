/**
 * `medstudio submit --slurm <experiment>`: one training run as a one-task Slurm array (the same
 * folder layout as a sweep, so `medstudio sweep <folder>` and the panel follow it the same way).
 */
import * as path from 'node:path';
import { loadExperiment } from '../../experiment/load';
import { createSweep } from '../../sweeps/record';
import { UsageError, type CliCommand } from '../types';
import { CLUSTER_OPTIONS, CLUSTER_USAGE } from './clusterFlags';
import { runSweepCli } from './sweepRun';

export const submit: CliCommand = {
  name: 'submit',
  summary: 'submit one training run to a cluster scheduler (--slurm), following it until it ends',
  usage: `medstudio submit <experiment> ${CLUSTER_USAGE} [--out DIR] [--backend B] [--json]`,
  options: { out: { type: 'string' }, backend: { type: 'string' }, ...CLUSTER_OPTIONS },
  async run({ positionals, values }, io) {
    const [target, ...extra] = positionals;
    if (!target) throw new UsageError('name an experiment file');
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (!values.slurm) throw new UsageError('say where to submit: --slurm (the only scheduler so far); to train here, use medstudio train');
    const exp = await loadExperiment(path.resolve(target));
    const s = await createSweep(exp, { outDir: values.out as string | undefined, single: true });
    return runSweepCli(s, exp, values, io, s.metric);
  },
};

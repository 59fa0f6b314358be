/**
 * What `medstudio sweep` and `medstudio submit` share once the sweep folder exists: run its
 * trials on the local job queue (concurrency limit) or submit them as a Slurm array and follow
 * squeue/sacct, printing each trial's changes and, at the end, the table with the best trial.
 */
import * as path from 'node:path';
import type { Experiment } from '../../experiment/types';
import type { BackendPreference, MetricKey, SweepTable } from '../../protocol';
import { describeTrial } from '../../sweeps/expand';
import { runSweepLocally } from '../../sweeps/local';
import type { SweepRecord } from '../../sweeps/record';
import { writeSweepReport } from '../../sweeps/report';
import { formatSweepTable } from '../../sweeps/table';
import { currentTable, sweepEnded, threadsPerTrial, watchSweep } from '../../sweeps/watch';
import { defaultCli, submitSweep } from '../../slurm/sweep';
import type { CliIo } from '../types';
import { clusterResources, pollMs } from './clusterFlags';
import { stopOnSigint } from './train';

const f3 = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));

export type SweepResult = SweepTable & { exitCode: number };

async function finish(io: CliIo, t: SweepTable, sort: MetricKey): Promise<SweepResult> {
  const report = await writeSweepReport(t);
  if (!io.json) {
    io.out('');
    for (const l of formatSweepTable(t, sort)) io.out(l);
    io.out(`report: ${report}`);
    io.out(`sweep:  ${t.dir}`);
  }
  return { ...t, exitCode: t.rows.every((r) => r.state === 'finished') ? 0 : 1 };
}

export async function runSweepCli(s: SweepRecord, exp: Experiment, values: Record<string, unknown>, io: CliIo, sort: MetricKey): Promise<SweepResult> {
  const backend = values.backend as BackendPreference | undefined;
  io.err(`sweep ${s.id}: ${s.trials.length} trial(s) in ${s.dir}`);
  for (const t of s.trials) io.err(`  ${t.id}  ${describeTrial(t) || '(as written)'}`);
  if (values.slurm) {
    const submitted = await submitSweep(s, clusterResources(exp.cluster, values), defaultCli(), backend ? ['--backend', backend] : []);
    io.err(`submitted Slurm array job ${submitted.slurm!.jobId} (${path.relative(process.cwd(), submitted.slurm!.script)}); cancel with: scancel ${submitted.slurm!.jobId}`);
    if (values.detach) return finish(io, await currentTable(submitted), sort);
    const stop = stopOnSigint(io);
    try {
      const t = await watchSweep(s.dir, {
        intervalMs: pollMs(values),
        signal: stop.signal,
        onChange: (_t, rows) => {
          for (const r of rows) io.err(`  ${r.id} ${r.state}${r.scheduler ? ` [${r.scheduler}]` : ''}${r.epochs ? ` epoch ${r.epoch}/${r.epochs}` : ''} ${s.metric} ${f3(r.final.values[s.metric])}`);
        },
      });
      if (!sweepEnded(t)) io.err(`stopped following; the jobs keep running. Follow again with: medstudio sweep ${s.dir}`);
      return finish(io, t, sort);
    } finally {
      stop.dispose();
    }
  }
  const concurrency = values.concurrency !== undefined ? Number(values.concurrency) : s.concurrency;
  const lastState = new Map<string, string>();
  const local = runSweepLocally(s, {
    workerScript: path.join(__dirname, 'jobWorker.js'),
    backend: backend ?? 'auto',
    threads: threadsPerTrial(concurrency),
    concurrency,
    onEvent: (trial, e) => {
      if (e.kind === 'state' && e.job.state !== 'queued' && lastState.get(trial) !== e.job.state) {
        lastState.set(trial, e.job.state);
        io.err(`  ${trial} ${e.job.state}${e.job.error ? `: ${e.job.error}` : ''}`);
      }
      else if (e.kind === 'metrics' && e.metrics.split !== 'train') io.err(`  ${trial} epoch ${e.metrics.epoch} ${e.metrics.split}: ${s.metric} ${f3(e.metrics[s.metric])}`);
    },
  });
  const stop = stopOnSigint(io);
  stop.signal.addEventListener('abort', () => local.cancel());
  try {
    await local.done;
  } finally {
    stop.dispose();
  }
  return finish(io, await currentTable(s), sort);
}

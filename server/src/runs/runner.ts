/**
 * Runs an experiment end to end: creates (or reopens, to resume) its run folder, selects the
 * compute backend, hands a RunContext to the method's runner, keeps run.json current and streams
 * events. The CLI (`medstudio train`) and the server's job queue both call this.
 */
import * as path from 'node:path';
import { ensureBackend } from '../engine/backend';
import { loadExperiment } from '../experiment/load';
import type { Experiment } from '../experiment/types';
import { methodRunner } from '../methods';
import type { ComputeStatus, EvalMetrics, StepProgress } from '../protocol';
import type { RunContext, RunResult } from '../training/types';
import { readCheckpointState } from './checkpoint';
import { appendMetrics, createRun, headlineMetric, openRun, RUN_FILES, truncateMetricsAfter, writeRunInfo, type Run, type RunInfo } from './runDir';

/** What a run reports while it runs (JobEvent without the job id; the queue adds it). */
export type RunEvent =
  | { kind: 'state'; info: RunInfo }
  | { kind: 'progress'; progress: StepProgress }
  | { kind: 'metrics'; metrics: EvalMetrics }
  | { kind: 'log'; message: string };

export interface RunOptions {
  /** Runs folder instead of the experiment's (output.dir, else <workspace>/.medstudio/runs). */
  outDir?: string;
  /** A run folder to continue from its last checkpoint (its stored experiment is used). */
  resume?: string;
  /** Abort to stop at the next step; the method writes a checkpoint first. */
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** Adjusts the loaded experiment before the run starts (benchmarks: seed, epochs). Recorded as resolved. */
  adjust?: (e: Experiment) => Experiment;
  /** Called once the run folder exists, before training starts (the job queue records it). */
  onRunCreated?: (info: RunInfo) => void;
}

export interface RunOutcome {
  info: RunInfo;
  /** The resolved experiment the run used. */
  experiment: Experiment;
  result?: RunResult;
}

/** Prepares the run folder: a fresh one, or the one to resume (its metrics cut back to the checkpoint). */
async function prepareRun(experimentPath: string | undefined, opts: RunOptions): Promise<{ run: Run; resuming: boolean }> {
  if (opts.resume) {
    const run = await openRun(opts.resume);
    if (run.info.state === 'finished') throw new Error(`run ${run.dir} has already finished; start a new run instead of resuming it`);
    const state = await readCheckpointState(run.dir);
    const resuming = state !== undefined;
    const epoch = state?.epoch ?? 0;
    await truncateMetricsAfter(run.dir, epoch);
    run.info = { ...run.info, epoch, error: undefined, endedAt: undefined };
    return { run, resuming };
  }
  if (!experimentPath) throw new Error('runExperiment needs an experiment file or a run folder to resume');
  const loaded = await loadExperiment(experimentPath);
  const experiment = opts.adjust ? opts.adjust(loaded) : loaded;
  return { run: await createRun(experiment, { outDir: opts.outDir }), resuming: false };
}

/**
 * Trains `experimentPath` (or resumes `opts.resume`). Resolves when the run ends: finished,
 * cancelled (signal aborted) or failed (the error is recorded in run.json and rethrown).
 */
export async function runExperiment(experimentPath: string | undefined, opts: RunOptions = {}): Promise<RunOutcome> {
  const emit = opts.onEvent ?? (() => undefined);
  const { run, resuming } = await prepareRun(experimentPath, opts);
  const signal = opts.signal ?? new AbortController().signal;
  let info: RunInfo = run.info;
  const update = async (patch: Partial<RunInfo>) => {
    info = { ...info, ...patch };
    await writeRunInfo(run.dir, info);
    emit({ kind: 'state', info });
  };
  opts.onRunCreated?.(info);

  let compute: ComputeStatus;
  try {
    compute = await ensureBackend();
  } catch (e) {
    await update({ state: 'failed', error: (e as Error).message, endedAt: new Date().toISOString() });
    throw e;
  }
  await update({ state: 'running', backend: compute.backend, device: compute.device, startedAt: info.startedAt ?? new Date().toISOString() });

  // metrics.jsonl and run.json are written in order, one record at a time.
  let writes: Promise<void> = Promise.resolve();
  const queue = (f: () => Promise<void>) => {
    writes = writes.then(f, f);
  };
  const ctx: RunContext = {
    experiment: run.experiment,
    runDir: run.dir,
    runId: info.runId,
    compute,
    signal,
    resuming,
    metrics(m) {
      emit({ kind: 'metrics', metrics: m });
      queue(async () => {
        await appendMetrics(run.dir, m);
        if (m.split !== 'val') return;
        const h = headlineMetric(m);
        const better = h && (!info.best || info.best.metric !== h.metric || (h.higherIsBetter ? h.value > info.best.value : h.value < info.best.value));
        await update({ epoch: Math.max(info.epoch, m.epoch), ...(better && h ? { best: { metric: h.metric, value: h.value, epoch: m.epoch } } : {}) });
      });
    },
    progress(p) {
      emit({ kind: 'progress', progress: p });
    },
    log(message) {
      emit({ kind: 'log', message });
    },
  };

  try {
    const result = await methodRunner(run.experiment.method).train(ctx);
    await writes;
    const artifacts = result.artifacts;
    const stopped = signal.aborted;
    await update({
      state: stopped ? 'cancelled' : 'finished',
      endedAt: new Date().toISOString(),
      ...(stopped ? {} : { epoch: info.epochs }),
      artifacts,
      ...(artifacts.report ? { reportPath: path.join(run.dir, artifacts.report) } : {}),
      ...(artifacts.model ? { modelPath: path.join(run.dir, artifacts.model) } : {}),
    });
    return { info, experiment: run.experiment, result };
  } catch (e) {
    await writes;
    await update({ state: signal.aborted ? 'cancelled' : 'failed', error: (e as Error).message, endedAt: new Date().toISOString() });
    throw e;
  }
}

export { RUN_FILES };

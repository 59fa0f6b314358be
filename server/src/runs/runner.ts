/**
 * Runs an experiment end to end: creates (or reopens, to resume) its run folder, selects the
 * compute backend, hands a RunContext to the method's runner, keeps run.json current and streams
 * events. The CLI (`medstudio train`) and the server's job queue both call this.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBackend } from '../engine/backend';
import { loadExperiment } from '../experiment/load';
import type { Experiment } from '../experiment/types';
import { methodRunner } from '../methods';
import type { ComputeStatus, EvalMetrics, StepProgress } from '../protocol';
import type { RunContext, RunResult } from '../training/types';
import { cleanInterruptedWrites, findCheckpoints, readCheckpointState } from './checkpoint';
import { appendMetrics, createRun, headlineMetric, openRun, readMetrics, RUN_FILES, truncateMetricsAfter, writeRunInfo, type Run, type RunInfo } from './runDir';
import { acquireRunLock } from './runLock';

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

interface Prepared {
  run: Run;
  resuming: boolean;
  /** Releases the run's lock (held from here until the run ends). */
  release: () => void;
  /** What resuming found (a missing latest.json, a damaged checkpoint, cleaned temp folders). */
  notes: string[];
}

/**
 * Prepares the run folder: a fresh one, or the one to resume (its metrics cut back to the
 * checkpoint), with the run's lock taken before anything in it changes. Resuming never starts
 * over silently: a run with recorded epochs but no intact checkpoint is refused.
 */
async function prepareRun(experimentPath: string | undefined, opts: RunOptions): Promise<Prepared> {
  if (opts.resume) {
    const run = await openRun(opts.resume);
    const release = acquireRunLock(run.dir);
    try {
      if (run.info.state === 'finished') throw new Error(`run ${run.dir} has already finished; start a new run instead of resuming it`);
      const notes = (await cleanInterruptedWrites(run.dir)).map((f) => `removed ${f}, left by an interrupted write`);
      const found = findCheckpoints(run.dir);
      notes.push(...found.notes);
      const state = await readCheckpointState(run.dir);
      if (!state) {
        const done = (await readMetrics(run.dir)).filter((m) => m.split !== 'test').length;
        if (done || run.info.epoch > 0) {
          throw new Error(
            `run ${run.dir} has recorded ${Math.max(done, run.info.epoch)} epoch(s) but no intact checkpoint to resume from${found.notes.length ? ` (${found.notes.join('; ')})` : ''}; refusing to start it again from scratch over its metrics. Start a new run instead`,
          );
        }
      }
      const epoch = state?.epoch ?? 0;
      await truncateMetricsAfter(run.dir, epoch);
      run.info = { ...run.info, epoch, error: undefined, endedAt: undefined };
      return { run, resuming: state !== undefined, release, notes };
    } catch (e) {
      release();
      throw e;
    }
  }
  if (!experimentPath) throw new Error('runExperiment needs an experiment file or a run folder to resume');
  const loaded = await loadExperiment(experimentPath);
  const experiment = opts.adjust ? opts.adjust(loaded) : loaded;
  const run = await createRun(experiment, { outDir: opts.outDir });
  return { run, resuming: false, release: acquireRunLock(run.dir), notes: [] };
}

/**
 * Trains `experimentPath` (or resumes `opts.resume`). Resolves when the run ends: finished,
 * cancelled (signal aborted) or failed (the error is recorded in run.json and rethrown).
 */
export async function runExperiment(experimentPath: string | undefined, opts: RunOptions = {}): Promise<RunOutcome> {
  const emit = opts.onEvent ?? (() => undefined);
  const { run, resuming, release, notes } = await prepareRun(experimentPath, opts);
  try {
    for (const message of notes) emit({ kind: 'log', message });
    return await runLocked(run, resuming, opts);
  } finally {
    release();
  }
}

async function runLocked(run: Run, resuming: boolean, opts: RunOptions): Promise<RunOutcome> {
  const emit = opts.onEvent ?? (() => undefined);
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
  // pid and host: a reader tells a killed run (no such process) from a running one.
  await update({ state: 'running', backend: compute.backend, device: compute.device, startedAt: info.startedAt ?? new Date().toISOString(), pid: process.pid, host: os.hostname() });

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

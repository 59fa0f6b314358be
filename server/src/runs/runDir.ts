/**
 * A run folder, `.medstudio/runs/<run-id>/`: the resolved experiment (experiment.json and a copy
 * of the YAML as written), `run.json` (state, backend, device, times, epoch, best metric; rewritten
 * atomically on every change), `metrics.jsonl` (one EvalMetrics per line, appended), checkpoints/,
 * model/ and report.html.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../data/atomicWrite';
import type { Experiment } from '../experiment/types';
import type { EvalMetrics, JobInfo } from '../protocol';
import { defaultRunsDir } from './workspace';
import { newRunId } from './runId';
import { withLiveState } from './runLock';

/** run.json: a job's record without the queue's own fields (so the queue can spread it into a JobInfo). */
export type RunInfo = Omit<JobInfo, 'id' | 'action'> & {
  /** Other files the method wrote, relative to the run folder. */
  artifacts?: Record<string, string>;
  /** The process training it, and its machine (so a reader can tell a killed run). */
  pid?: number;
  host?: string;
};

export const RUN_FILES = {
  info: 'run.json',
  experiment: 'experiment.json',
  metrics: 'metrics.jsonl',
  model: 'model',
  report: 'report.html',
} as const;

export interface Run {
  dir: string;
  info: RunInfo;
  experiment: Experiment;
}

/** Creates a fresh run folder for an experiment; `outDir` overrides the runs folder. */
export async function createRun(experiment: Experiment, opts: { outDir?: string; now?: Date } = {}): Promise<Run> {
  const runsDir = opts.outDir ? path.resolve(opts.outDir) : (experiment.output.dir ?? defaultRunsDir(experiment.file));
  const now = opts.now ?? new Date();
  let runId = newRunId(experiment.method, now);
  while (fs.existsSync(path.join(runsDir, runId))) runId = newRunId(experiment.method, now);
  const dir = path.join(runsDir, runId);
  await fs.promises.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, RUN_FILES.experiment), JSON.stringify(experiment, null, 2) + '\n');
  try {
    await fs.promises.copyFile(experiment.file, path.join(dir, path.basename(experiment.file)));
  } catch {
    /* the resolved experiment.json is the record; the YAML copy is for people */
  }
  const info: RunInfo = {
    runId,
    runDir: dir,
    experimentPath: experiment.file,
    method: experiment.method,
    state: 'queued',
    createdAt: now.toISOString(),
    epoch: 0,
    epochs: experiment.train.epochs,
  };
  await writeRunInfo(dir, info);
  return { dir, info, experiment };
}

/** Opens an existing run folder (to resume or evaluate it). */
export async function openRun(dir: string): Promise<Run> {
  const abs = path.resolve(dir);
  const read = async (name: string): Promise<unknown> => {
    const f = path.join(abs, name);
    let text: string;
    try {
      text = await fs.promises.readFile(f, 'utf8');
    } catch {
      throw new Error(`${abs} is not a MedStudio run folder: ${name} is missing`);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`${f} is not valid JSON: ${(e as Error).message}`);
    }
  };
  // A run.json left saying "running" by a killed process reads as interrupted.
  const info = withLiveState(abs, (await read(RUN_FILES.info)) as RunInfo);
  const experiment = (await read(RUN_FILES.experiment)) as Experiment;
  // The folder may have been moved or copied since it was written.
  info.runDir = abs;
  return { dir: abs, info, experiment };
}

export async function writeRunInfo(dir: string, info: RunInfo): Promise<void> {
  await writeFileAtomic(path.join(dir, RUN_FILES.info), JSON.stringify(info, null, 2) + '\n');
}

export async function readRunInfo(dir: string): Promise<RunInfo> {
  return (await openRun(dir)).info;
}

/** Appends one metrics record (one line; a line is written whole, so readers never see half). */
export async function appendMetrics(dir: string, m: EvalMetrics): Promise<void> {
  await fs.promises.appendFile(path.join(dir, RUN_FILES.metrics), JSON.stringify(m) + '\n');
}

/** Every metrics record of a run, in order; a torn last line (crash mid-append) is skipped. */
export async function readMetrics(dir: string): Promise<EvalMetrics[]> {
  let text = '';
  try {
    text = await fs.promises.readFile(path.join(dir, RUN_FILES.metrics), 'utf8');
  } catch {
    return [];
  }
  const out: EvalMetrics[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EvalMetrics);
    } catch {
      /* torn line */
    }
  }
  return out;
}

/**
 * Drops metrics records after `epoch` (exclusive). A resumed run repeats the epochs after its
 * last checkpoint, and must not leave the stopped attempt's records for them behind.
 */
export async function truncateMetricsAfter(dir: string, epoch: number): Promise<void> {
  const all = await readMetrics(dir);
  const kept = all.filter((m) => m.epoch <= epoch && m.split !== 'test');
  await writeFileAtomic(path.join(dir, RUN_FILES.metrics), kept.map((m) => JSON.stringify(m) + '\n').join(''));
}

/** The headline number of an evaluation: balanced accuracy, else accuracy, else loss. */
export function headlineMetric(m: EvalMetrics): { metric: string; value: number; higherIsBetter: boolean } | undefined {
  if (m.balancedAccuracy !== undefined) return { metric: 'balancedAccuracy', value: m.balancedAccuracy, higherIsBetter: true };
  if (m.accuracy !== undefined) return { metric: 'accuracy', value: m.accuracy, higherIsBetter: true };
  if (m.loss !== undefined) return { metric: 'loss', value: m.loss, higherIsBetter: false };
  return undefined;
}

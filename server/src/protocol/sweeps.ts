/** Sweeps (many trials of one experiment) and run comparison: server <-> extension <-> panel. */
import { Type } from '@sinclair/typebox';
import { FromServer, notification, request, type RequestsFrom } from './defs';
import type { JobState } from './jobs';
import { ListOf, NoParams, Params, PathParam } from './limits';

/** Metrics a sweep table and a comparison rank by. */
export const METRIC_KEYS = ['balancedAccuracy', 'accuracy', 'auc', 'meanClassError', 'loss'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export const LOWER_IS_BETTER: readonly MetricKey[] = ['meanClassError', 'loss'];

/** A run's final numbers: the test evaluation when there is one, else the last validation. */
export interface FinalMetrics {
  split?: 'test' | 'val';
  epoch?: number;
  values: Partial<Record<MetricKey, number>>;
}

/** Where a trial runs: the local job queue, or a Slurm array task. */
export type TrialState = JobState | 'not started' | 'pending';

export interface TrialRow {
  id: string;
  params: Record<string, string | number | boolean>;
  seed?: number;
  state: TrialState;
  /** Scheduler's words when on Slurm (e.g. "PENDING (Resources)", "COMPLETED"). */
  scheduler?: string;
  runDir?: string;
  epoch: number;
  epochs: number;
  final: FinalMetrics;
  error?: string;
}

export interface SweepTable {
  id: string;
  dir: string;
  name: string;
  experimentPath: string;
  metric: MetricKey;
  /** Swept keys, in the experiment's order: the table's parameter columns. */
  keys: string[];
  rows: TrialRow[];
  /** The row with the best `metric` among trials that have it. */
  bestId?: string;
  /** Slurm array job id when submitted to a cluster. */
  slurmJobId?: string;
}

/** Everything the compare view draws for a set of runs. */
export interface RunComparison {
  runs: {
    runDir: string;
    runId: string;
    name: string;
    method: string;
    state: JobState;
    final: FinalMetrics;
    /** metric -> [epoch, value] on the validation split. */
    curves: Partial<Record<MetricKey, [number, number][]>>;
  }[];
  /** Resolved settings that differ between the runs ('train.lr' -> one value per run; undefined = unset). */
  differences: { key: string; values: (string | undefined)[] }[];
}

export const StartSweepParams = Params({ experimentPath: PathParam, slurm: Type.Optional(Type.Boolean()), single: Type.Optional(Type.Boolean()) });
export const SweepDirParams = Params({ sweepDir: PathParam });
/** Two or more runs, at most a screenful of curves. */
export const CompareRunsParams = Params({ runDirs: ListOf(PathParam, 64) });

/** client -> server: expand an experiment's sweep block and run its trials (local queue, or Slurm). */
/** `single`: one trial of the file as written (Submit Run to Slurm), even when it has a sweep block. */
export const StartSweepRequest = request<typeof StartSweepParams, SweepTable>('medstudio/sweeps/start', StartSweepParams);
/** client -> server: the workspace's sweeps with their tables (newest first). */
export const ListSweepsRequest = request<typeof NoParams, { sweeps: SweepTable[] }>('medstudio/sweeps/list', NoParams);
/** client -> server: cancel a sweep's queued and running trials (scancel on Slurm). */
export const CancelSweepRequest = request<typeof SweepDirParams, SweepTable>('medstudio/sweeps/cancel', SweepDirParams);
/** client -> server: curves, final metrics and settings diff of two or more runs. */
export const CompareRunsRequest = request<typeof CompareRunsParams, RunComparison>('medstudio/runs/compare', CompareRunsParams);
/** server -> client: a sweep's table changed (a trial started, finished, or its metrics moved). */
export const SweepChangedNotification = notification('medstudio/sweeps/changed', FromServer<SweepTable>());

/** Training panel (webview) -> extension: the sweep and compare views' requests (checked by the host, added to StatusPanelRequests). */
export const SweepPanelRequestParams = {
  sweeps: Type.Object({}, { additionalProperties: false }),
  compare: CompareRunsParams,
  cancelSweep: SweepDirParams,
};
export type SweepPanelRequests = RequestsFrom<typeof SweepPanelRequestParams, { sweeps: { sweeps: SweepTable[] }; compare: RunComparison; cancelSweep: SweepTable }>;

/** Extension -> training panel: a sweep's table changed; show a comparison of these runs. */
export type SweepPanelEvents = {
  sweep: SweepTable;
  compare: { runDirs: string[] };
};
